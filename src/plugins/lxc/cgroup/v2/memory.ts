import { join } from "node:path";
import { cgWrite } from "../util.ts";
import type { CgroupLimits } from "../types.ts";

export function applyMemory(dir: string, l: CgroupLimits): void {
  if (l.memoryKiB) cgWrite(join(dir, "memory.max"), String(l.memoryKiB * 1024));
}
