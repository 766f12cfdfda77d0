// cgroup v1: one directory per mounted controller hierarchy (hybrid hosts included).
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { cgRead, cgRmdir, cgWrite } from "../util.ts";
import type { CgroupDriver, CgroupLimits } from "../types.ts";
import { applyMemory } from "./memory.ts";
import { applyCpu } from "./cpu.ts";
import { applyDevices } from "./devices.ts";

export class V1Cgroup implements CgroupDriver {
  readonly dirs: string[];
  constructor(
    /** controller name → mount point, e.g. memory → /sys/fs/cgroup/memory */
    private readonly mounts: Map<string, string>,
    private readonly rel: string,
  ) {
    this.dirs = [...new Set(mounts.values())].map((m) => join(m, rel));
  }

  private dir(ctrl: string): string | undefined {
    const m = this.mounts.get(ctrl);
    return m ? join(m, this.rel) : undefined;
  }

  create(): void {
    for (const d of this.dirs) {
      mkdirSync(d, { recursive: true });
    }
    // cpuset: a new v1 cpuset has no cpus/mems and refuses tasks until they are copied down.
    const cs = this.mounts.get("cpuset");
    if (cs) {
      let cur = cs;
      for (const part of this.rel.split("/")) {
        const next = join(cur, part);
        for (const f of ["cpuset.cpus", "cpuset.mems"]) {
          if (existsSync(join(next, f)) && cgRead(join(next, f)) === "") cgWrite(join(next, f), cgRead(join(cur, f)));
        }
        cur = next;
      }
    }
  }

  apply(l: CgroupLimits): void {
    const mem = this.dir("memory"), cpu = this.dir("cpu"), dev = this.dir("devices");
    if (mem) applyMemory(mem, l);
    if (cpu) applyCpu(cpu, l);
    if (dev) applyDevices(dev, l);
  }

  addPid(pid: number): void {
    for (const d of this.dirs) cgWrite(join(d, "cgroup.procs"), String(pid));
  }

  remove(): void {
    for (const d of this.dirs) cgRmdir(d);
  }
}
