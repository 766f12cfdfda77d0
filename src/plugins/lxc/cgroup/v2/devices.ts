import { attachDeviceFilter } from "../../../../ffi/exec/bpf.ts";
import type { CgroupLimits } from "../types.ts";

/** cgroup v2 has no devices files: the allow-list becomes a BPF_CGROUP_DEVICE program attached
 * to the container's cgroup (everything not listed is denied). */
export function applyDevices(dir: string, l: CgroupLimits): { enforced: boolean } {
  attachDeviceFilter(dir, l.devices);
  return { enforced: true };
}
