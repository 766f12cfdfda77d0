// Child processes outside Bun's own subprocess tracking: posix_spawn (libc forks/execs in C, so
// no JavaScript runs in the child) and asynchronous exit waits through pidfds. Bun reaps only
// the children it spawned itself; children made here (or by the post-clone executor) are ours
// to reap, with waitExit.

import { dlopen, ptr } from "bun:ffi";
import { waitReadable, type WaitOptions } from "./fdpass.ts";
import { P_PIDFD, SysError, WEXITED, WNOHANG, closeQuiet, cstr, pidfdOpen, waitid, type WaitResult } from "./libc.ts";

const lib = dlopen("libc.so.6", {
  posix_spawnp: { args: ["ptr", "ptr", "ptr", "ptr", "ptr", "ptr"], returns: "i32" },
});

/** NULL-terminated char*[] plus the buffers it points into (kept alive by the caller). */
function cstrArray(items: string[]): { array: BigUint64Array; keep: Buffer[] } {
  const keep = items.map(cstr);
  const array = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => { array[i] = BigInt(ptr(b)); });
  return { array, keep };
}

/**
 * posix_spawnp(argv[0], argv, env): returns the child's pid. The child inherits only fds without
 * FD_CLOEXEC (all of ours are close-on-exec unless cleared on purpose).
 */
export function spawnRaw(argv: string[], env: Record<string, string | undefined> = process.env): number {
  if (argv.length === 0) throw new SysError("posix_spawnp", 22, "empty argv");
  const a = cstrArray(argv);
  const e = cstrArray(Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`));
  const pid = new Int32Array(1);
  // posix_spawn returns the error number instead of setting errno.
  const r = lib.symbols.posix_spawnp(pid, a.keep[0]!, null, null, a.array, e.array);
  if (r !== 0) throw new SysError("posix_spawnp", r, JSON.stringify(argv[0]));
  return pid[0]!;
}

/**
 * Wait for a child (by pidfd) to exit without blocking the event loop, and reap it. The pidfd
 * becomes readable at exit; waitid(P_PIDFD, WNOHANG) then collects the status.
 */
export async function waitExit(pidfd: number, opts: WaitOptions = {}): Promise<WaitResult> {
  for (;;) {
    await waitReadable(pidfd, opts);
    const r = waitid(P_PIDFD, pidfd, WEXITED | WNOHANG);
    if (r.pid !== 0) return r;
  }
}

/** spawnRaw + waitExit: run a command to completion; returns its wait status. */
export async function runRaw(argv: string[], opts: WaitOptions & { env?: Record<string, string | undefined> } = {}): Promise<WaitResult> {
  const pid = spawnRaw(argv, opts.env);
  const pidfd = pidfdOpen(pid);
  try {
    return await waitExit(pidfd, opts);
  } finally {
    closeQuiet(pidfd);
  }
}
