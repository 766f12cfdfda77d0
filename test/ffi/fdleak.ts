// fd leak checks that tolerate Bun closing its own fds meanwhile (a finished subprocess's
// pidfd, a timer fd…): compare what the fds point at, not just how many there are.
import { readlinkSync } from "node:fs";
import { openFds } from "../../src/ffi/libc.ts";

/** Kinds of open fds ("pipe", "socket", "/dev/null", "anon_inode:[pidfd]"…) with counts. */
export function fdKinds(): Map<string, number> {
  const m = new Map<string, number>();
  for (const fd of openFds()) {
    let t: string;
    try {
      t = readlinkSync(`/proc/self/fd/${fd}`).replace(/^(pipe|socket|net):\[\d+\]$/, "$1");
    } catch {
      continue; // the readdir fd itself, already closed
    }
    m.set(t, (m.get(t) ?? 0) + 1);
  }
  return m;
}

/** Kinds that grew since `before`: what leaked. Empty means no leak. */
export function fdGrowth(before: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, n] of fdKinds()) if (n > (before.get(k) ?? 0)) out[k] = n - (before.get(k) ?? 0);
  return out;
}
