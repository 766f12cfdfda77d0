// Wire a domain's console (a pty master or socket fd from openConsole) to this process's stdio,
// as virsh console does: raw terminal, ^] detaches, the session ends when the guest side closes.

import { writeSync } from "node:fs";
import type { FullConnection } from "../api.ts";
import type { DomainRef } from "../driver.ts";
import { CliError, type VerbContext } from "./verb.ts";
import { writeAll } from "./write.ts";

const ESCAPE = 0x1d; // ^]

export interface ConsoleOpts {
  banner?: boolean;
  requireTty?: boolean;
  /** End the session when this settles (e.g. the domain stopped). */
  until?: Promise<void>;
}

export async function attachConsole(ctx: VerbContext, conn: FullConnection, dom: DomainRef, devName?: string, opts: ConsoleOpts = {}): Promise<void> {
  const { banner = true, requireTty = true } = opts;
  const tty = !!process.stdin.isTTY;
  if (requireTty && !tty) throw new CliError(["Cannot run interactive console without a controlling TTY"]);
  const stream = await conn.openConsole(dom, devName);
  if (banner) ctx.out(`Connected to domain '${dom.name}'\nEscape character is ^] (Ctrl + ])\n`);
  if (tty) process.stdin.setRawMode(true);
  await new Promise<void>((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      process.stdin.off("data", onInput);
      process.stdin.pause();
      if (tty) process.stdin.setRawMode(false);
      void reader.cancel().catch(() => {});
      resolve();
    };
    const onInput = (chunk: Buffer) => {
      const i = tty ? chunk.indexOf(ESCAPE) : -1;
      const data = i >= 0 ? chunk.subarray(0, i) : chunk;
      try {
        if (data.length) writeSync(stream.fd, data);
      } catch {
        return finish();
      }
      if (i >= 0) finish();
    };
    // The guest side. Bun.file(fd).stream() polls the fd, so cancelling it cannot leave a
    // blocked read behind that would keep the process alive (fs.createReadStream would).
    // EOF or EIO (pty hung up) ends the session.
    const reader = Bun.file(stream.fd).stream().getReader();
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          writeAll(1, value);
        }
      } catch {}
      finish();
    })();
    process.stdin.on("data", onInput);
    process.stdin.resume();
    opts.until?.then(finish, finish);
  });
  stream.close();
  if (banner && tty) ctx.out("\n");
}
