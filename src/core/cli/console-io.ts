// Wire a domain's console (a pty master or socket fd from openConsole) to this process's stdio,
// as virsh console does: raw terminal, ^] detaches, the session ends when the guest side closes.

import { createReadStream, writeSync } from "node:fs";
import type { FullConnection } from "../api.ts";
import type { DomainRef } from "../driver.ts";
import { CliError, type VerbContext } from "./verb.ts";

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
      guest.destroy();
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
    // the guest side: EOF or EIO (pty hung up) ends the session
    const guest = createReadStream("", { fd: stream.fd, autoClose: false, highWaterMark: 16384 });
    guest.on("data", (b) => process.stdout.write(b));
    guest.on("end", finish);
    guest.on("error", finish);
    process.stdin.on("data", onInput);
    process.stdin.resume();
    opts.until?.then(finish, finish);
  });
  stream.close();
  if (banner && tty) ctx.out("\n");
}
