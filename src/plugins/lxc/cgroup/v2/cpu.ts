import { join } from "node:path";
import { cgWrite } from "../util.ts";
import type { CgroupLimits } from "../types.ts";

/** <cputune><shares> on v2: libvirt writes the value itself as cpu.weight (range 1..10000). */
export function sharesToWeight(shares: number): number {
  return Math.min(10000, Math.max(1, Math.round(shares)));
}

export function applyCpu(dir: string, l: CgroupLimits): void {
  if (l.cpuShares) cgWrite(join(dir, "cpu.weight"), String(sharesToWeight(l.cpuShares)));
}
