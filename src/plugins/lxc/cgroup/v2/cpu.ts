import { join } from "node:path";
import { cgWrite } from "../util.ts";
import type { CgroupLimits } from "../types.ts";

/** v1 shares → v2 weight with the kernel/systemd formula (1024 → 100). */
export function sharesToWeight(shares: number): number {
  return Math.min(10000, Math.max(1, Math.floor(1 + ((shares - 2) * 9999) / 262142)));
}

export function applyCpu(dir: string, l: CgroupLimits): void {
  if (l.cpuShares) cgWrite(join(dir, "cpu.weight"), String(sharesToWeight(l.cpuShares)));
}
