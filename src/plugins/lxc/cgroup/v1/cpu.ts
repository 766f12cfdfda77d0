import { join } from "node:path";
import { cgWrite } from "../util.ts";
import type { CgroupLimits } from "../types.ts";

export function applyCpu(dir: string, l: CgroupLimits): void {
  if (l.cpuShares) cgWrite(join(dir, "cpu.shares"), String(l.cpuShares));
}
