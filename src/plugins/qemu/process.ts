// QEMU process helpers: liveness by pid (a zombie counts as dead), signals, waiting, and reaping
// of the QEMUs this process spawned (an exited child stays a zombie until its parent reaps it).
import { readFileSync } from "node:fs";

const children = new Map<number, { exited: Promise<unknown> }>();

/** Remember a QEMU we spawned so that stopping it also reaps it. */
export function adopt(proc: { pid: number; exited: Promise<unknown> }): void {
  children.set(proc.pid, proc);
  void proc.exited.then(() => children.delete(proc.pid));
}

/** Wait (bounded) until a child of ours that has exited is reaped. */
export async function reap(pid: number, ms = 2000): Promise<void> {
  const c = children.get(pid);
  if (c) await Promise.race([c.exited, Bun.sleep(ms)]);
}

export function alive(pid: number, emulator?: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    if (emulator) {
      const exe = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0];
      return exe === emulator;
    }
    return true;
  } catch {
    return false;
  }
}

export async function waitGone(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await Bun.sleep(10);
  }
  return !alive(pid);
}

/** SIGTERM, then SIGKILL after a grace period (libvirt's virProcessKillPainfully, shortened). */
export async function terminate(pid: number, graceMs = 3000): Promise<void> {
  if (alive(pid)) {
    try {
      process.kill(pid, "SIGTERM");
    } catch {}
    if (!(await waitGone(pid, graceMs))) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {}
      await waitGone(pid, 5000);
    }
  }
  await reap(pid);
}
