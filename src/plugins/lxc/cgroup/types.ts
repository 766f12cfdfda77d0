// What a container's cgroup must enforce, independent of the cgroup version.

export interface DeviceRule {
  type: "c" | "b" | "a";
  major: number; // -1 = any
  minor: number; // -1 = any
  access: string; // subset of "rwm"
}

export interface CgroupLimits {
  /** memory limit in KiB (<memory>/<memtune hard_limit>) */
  memoryKiB?: number;
  /** <cputune><shares> (v1 scale: 2..262144, 1024 = default) */
  cpuShares?: number;
  /** allow-list; everything else denied */
  devices: DeviceRule[];
}

/** One cgroup version's handling of a container's cgroup (same shape in v1/ and v2/). */
export interface CgroupDriver {
  /** Directories created for this container (removed by `remove`). */
  readonly dirs: string[];
  create(): void;
  apply(limits: CgroupLimits): void;
  addPid(pid: number): void;
  remove(): void;
}

export const devRuleText = (r: DeviceRule) =>
  `${r.type} ${r.major < 0 ? "*" : r.major}:${r.minor < 0 ? "*" : r.minor} ${r.access}`;
