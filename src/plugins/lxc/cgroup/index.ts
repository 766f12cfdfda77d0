// Container cgroups on v1, v2 and hybrid hosts. The layout is read from /proc/self/mountinfo:
//   v2:     one cgroup2 mount with controllers → V2Cgroup with controllers
//   v1:     per-controller cgroup mounts → V1Cgroup
//   hybrid: v1 controllers + a cgroup2 'unified' mount without controllers → both: limits in v1,
//           membership mirrored in the unified tree (libvirt 9.0 and crun 1.8 fail here).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeFile } from "node:fs/promises";
import { cgroupDirsOf, cgroupMounts } from "../../../core/cgroup-of.ts";
import { V1Cgroup } from "./v1/manager.ts";
import { V2Cgroup } from "./v2/manager.ts";
import type { CgroupDriver, CgroupLimits, DeviceRule } from "./types.ts";
export type { CgroupLimits, DeviceRule } from "./types.ts";

// Controllers a container joins on v1 (named hierarchies such as name=systemd are left alone).
const V1_CONTROLLERS = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "net_cls", "net_prio", "perf_event", "hugetlb"];

export interface CgroupLayout {
  v1: Map<string, string>;
  /** every v1 hierarchy (controllers and named ones): mount point and its mount options */
  v1Mounts: { mnt: string; opts: string }[];
  v2?: string;
  v2Controllers: string[];
}

export function detectLayout(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): CgroupLayout {
  const v1 = new Map<string, string>();
  const v1Mounts: { mnt: string; opts: string }[] = [];
  let v2: string | undefined;
  for (const m of cgroupMounts(mountinfo)) {
    if (m.root !== "/") continue; // a bind of a sub-cgroup, not the hierarchy root
    if (m.v2) v2 ??= m.mnt;
    else {
      if (!v1Mounts.some((x) => x.mnt === m.mnt)) v1Mounts.push({ mnt: m.mnt, opts: m.opts.join(",") });
      for (const o of m.opts) if (V1_CONTROLLERS.includes(o) && !v1.has(o)) v1.set(o, m.mnt);
    }
  }
  let v2Controllers: string[] = [];
  if (v2) {
    try {
      v2Controllers = readFileSync(`${v2}/cgroup.controllers`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {}
  }
  return { v1, v1Mounts, v2, v2Controllers };
}

/** The cgroup(s) of one container: bunvirt/lxc-NAME in every hierarchy in use. */
export class ContainerCgroup {
  readonly parts: CgroupDriver[] = [];
  constructor(
    readonly rel: string,
    layout = detectLayout(),
  ) {
    if (layout.v1.size) this.parts.push(new V1Cgroup(layout.v1, rel));
    // Pure v2: controllers live there. Hybrid: membership only (no controllers delegated).
    if (layout.v2) this.parts.push(new V2Cgroup(layout.v2, rel, layout.v1.size === 0 && layout.v2Controllers.length > 0));
  }
  get dirs(): string[] {
    return this.parts.flatMap((p) => p.dirs);
  }
  create(limits: CgroupLimits): void {
    try {
      for (const p of this.parts) {
        p.create();
        p.apply(limits);
      }
    } catch (e) {
      this.remove();
      throw e;
    }
  }
  addPid(pid: number): void {
    for (const p of this.parts) p.addPid(pid);
  }
  /** Freeze or thaw every task (v1 freezer.state, v2 cgroup.freeze). False if neither exists. */
  freeze(on: boolean): boolean {
    for (const d of this.dirs) {
      // Freezing is asynchronous: wait until the kernel reports every task frozen (as libvirt).
      if (existsSync(join(d, "freezer.state"))) {
        writeFileSync(join(d, "freezer.state"), on ? "FROZEN" : "THAWED");
        waitFor(() => readFileSync(join(d, "freezer.state"), "utf8").trim() === (on ? "FROZEN" : "THAWED"), join(d, "freezer.state"));
        return true;
      }
      if (existsSync(join(d, "cgroup.freeze"))) {
        writeFileSync(join(d, "cgroup.freeze"), on ? "1" : "0");
        waitFor(() => readFileSync(join(d, "cgroup.events"), "utf8").includes(on ? "frozen 1" : "frozen 0"), join(d, "cgroup.events"));
        return true;
      }
    }
    return false;
  }
  /** CPU time of all tasks, ns (v1 cpuacct.usage, v2 cpu.stat usage_usec). */
  cpuTimeNs(): bigint {
    for (const d of this.dirs) {
      try {
        if (existsSync(join(d, "cpuacct.usage"))) return BigInt(readFileSync(join(d, "cpuacct.usage"), "utf8").trim());
        const m = /usage_usec (\d+)/.exec(readFileSync(join(d, "cpu.stat"), "utf8"));
        if (m) return BigInt(m[1]!) * 1000n;
      } catch {}
    }
    return 0n;
  }
  remove(): void {
    for (const p of this.parts) {
      try {
        p.remove();
      } catch {}
    }
  }
}

/** libvirt's default allow-list for LXC (lxc_cgroup.c): memory devices, tty, ptmx, fuse, ptys. */
export function defaultDeviceRules(): DeviceRule[] {
  const c = (major: number, minor: number): DeviceRule => ({ type: "c", major, minor, access: "rwm" });
  return [c(1, 3), c(1, 5), c(1, 7), c(1, 8), c(1, 9), c(5, 0), c(5, 1), c(5, 2), c(10, 229), c(136, -1)];
}

function waitFor(done: () => boolean, what: string): void {
  for (let i = 0; i < 1000; i++) {
    if (done()) return;
    Bun.sleepSync(1);
  }
  throw new Error(`timed out waiting for ${what}`);
}

let warmed = 0;
/**
 * Start paying the RCU grace period of the next cgroup migration now, off the critical path.
 * Every write to cgroup.procs takes the kernel's global cgroup_threadgroup_rwsem, whose first
 * writer after a quiet spell waits a full grace period (12-20 ms on our hosts) — that was the
 * largest part of a container start. A no-op move of ourselves into the cgroup we are already in,
 * written from Bun's thread pool, takes that wait while the main thread compiles the executor and
 * forks; the real move of init then finds the grace period passed.
 */
export function warmCgroupMigration(layout = detectLayout()): void {
  if (Date.now() - warmed < 10 || process.env.BUNVIRT_NO_CGROUP_WARMUP) return;
  warmed = Date.now();
  try {
    // the first of our own cgroups in a hierarchy containers use
    const used = [...layout.v1.values(), ...(layout.v2 ? [layout.v2] : [])];
    const dir = cgroupDirsOf("self").find((d) => used.some((m) => d === m || d.startsWith(`${m}/`)));
    if (dir) void writeFile(join(dir, "cgroup.procs"), String(process.pid)).catch(() => {});
  } catch {}
}
