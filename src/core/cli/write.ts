// Synchronous, complete writes to stdout/stderr: output is on its way when a command returns, so
// the CLI can exit at once whatever the reader's pace. EAGAIN (a non-blocking pipe that is full)
// waits for the reader; EPIPE (the reader went away, `| head`) ends output quietly.

import { writeSync } from "node:fs";

const pause = new Int32Array(new SharedArrayBuffer(4));
const closed = new Set<number>();

export function writeAll(fd: number, data: string | Uint8Array): void {
  let buf = typeof data === "string" ? Buffer.from(data) : data;
  while (!closed.has(fd) && buf.length) {
    try {
      buf = buf.subarray(writeSync(fd, buf));
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code === "EAGAIN") Atomics.wait(pause, 0, 0, 1);
      else if (code === "EPIPE") closed.add(fd);
      else throw e;
    }
  }
}
