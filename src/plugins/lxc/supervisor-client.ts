// Talking to a container's supervisor over its unix socket (protocol: supervisor.c header).

import { closeFd, readFd, unixConnect, writeFd } from "../../ffi/exec/index.ts";

export type SupStatus = { running: true; initPid: number } | { running: false; waitStatus: number };

function parse(line: string): SupStatus | undefined {
  const m = /^(run|exit) (\d+)/.exec(line);
  if (!m) return undefined;
  return m[1] === "run" ? { running: true, initPid: Number(m[2]) } : { running: false, waitStatus: Number(m[2]) };
}

/** Send commands and read the one-line reply (blocking, bounded by timeoutMs). Undefined when
 * no supervisor listens at `sock` or it gave no reply in time. */
export function supervisorRequest(sock: string, cmd: string, timeoutMs = 2000): SupStatus | undefined {
  const fd = unixConnect(sock);
  if (fd === null) return undefined;
  try {
    writeFd(fd, cmd);
    let text = "";
    const deadline = Date.now() + timeoutMs;
    while (!text.includes("\n")) {
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      const b = readFd(fd, 64, left);
      if (!b || b.length === 0) break;
      text += b.toString();
    }
    return parse(text);
  } catch {
    return undefined;
  } finally {
    closeFd(fd);
  }
}

/** Resolve with init's wait status when it exits (asynchronous; the socket does not keep the
 * process alive when `unref` is set, for watchers in a CLI process). */
export function supervisorWait(sock: string, opts: { unref?: boolean } = {}): Promise<number | undefined> {
  return new Promise((resolve) => {
    let text = "";
    let done = false;
    const finish = (v: number | undefined) => {
      if (!done) {
        done = true;
        resolve(v);
      }
    };
    Bun.connect({
      unix: sock,
      socket: {
        open(s) {
          if (opts.unref) s.unref();
          s.write("W");
        },
        data(_s, d) {
          text += d.toString();
          const st = parse(text);
          if (st && !st.running) finish(st.waitStatus);
        },
        close() {
          const st = parse(text);
          finish(st && !st.running ? st.waitStatus : undefined);
        },
        error() {
          finish(undefined);
        },
      },
    }).catch(() => finish(undefined));
  });
}

/** A console session: a connected socket fd after the 'C' command. */
export function supervisorConsole(sock: string): number | null {
  const fd = unixConnect(sock);
  if (fd === null) return null;
  try {
    writeFd(fd, "C");
  } catch {
    // the supervisor was exiting: its backlog accepted us, then closed (EPIPE)
    closeFd(fd);
    return null;
  }
  return fd;
}
