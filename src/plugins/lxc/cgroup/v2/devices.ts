import type { CgroupLimits } from "../types.ts";

/** cgroup v2 has no devices files: enforcement needs a BPF_CGROUP_DEVICE program, which we do
 * not load yet. The private /dev (only the nodes we create) is the remaining barrier; report it. */
export function applyDevices(_dir: string, _l: CgroupLimits): { enforced: boolean } {
  return { enforced: false };
}
