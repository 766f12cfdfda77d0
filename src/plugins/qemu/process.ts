// QEMU process helpers: liveness by pid (a zombie counts as dead), signals, waiting.
import { readFileSync } from "node:fs";

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
  if (!alive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {}
  if (await waitGone(pid, graceMs)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {}
  await waitGone(pid, 5000);
}
