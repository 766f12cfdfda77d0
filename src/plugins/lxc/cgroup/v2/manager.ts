// cgroup v2 (unified): one directory; controllers enabled down the path via subtree_control.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { cgRead, cgRmdir, cgWrite } from "../util.ts";
import type { CgroupDriver, CgroupLimits } from "../types.ts";
import { applyMemory } from "./memory.ts";
import { applyCpu } from "./cpu.ts";
import { applyDevices } from "./devices.ts";

export class V2Cgroup implements CgroupDriver {
  readonly dirs: string[];
  devicesEnforced = false;
  constructor(
    private readonly mount: string,
    private readonly rel: string,
    /** false on hybrid hosts: the unified tree only tracks membership */
    private readonly useControllers: boolean,
  ) {
    this.dirs = [join(mount, rel)];
  }

  create(): void {
    let cur = this.mount;
    const parts = this.rel.split("/");
    parts.forEach((p) => {
      if (this.useControllers) {
        const avail = new Set(cgRead(join(cur, "cgroup.controllers")).split(/\s+/));
        const want = ["cpu", "memory", "pids"].filter((c) => avail.has(c));
        if (want.length) cgWrite(join(cur, "cgroup.subtree_control"), want.map((c) => `+${c}`).join(" "));
      }
      cur = join(cur, p);
      mkdirSync(cur, { recursive: true });
    });
  }

  apply(l: CgroupLimits): void {
    if (!this.useControllers) return;
    const d = this.dirs[0]!;
    applyMemory(d, l);
    applyCpu(d, l);
    this.devicesEnforced = applyDevices(d, l).enforced;
  }

  addPid(pid: number): void {
    cgWrite(join(this.dirs[0]!, "cgroup.procs"), String(pid));
  }

  remove(): void {
    cgRmdir(this.dirs[0]!);
  }
}
