// The cgroup mounts of this host (from /proc/self/mountinfo) and the cgroup directories a
// process is in (from /proc/PID/cgroup), on v1, v2 and hybrid hosts. Used by the LXC driver's
// cgroup code and by lxc-enter-namespace through the daemon, which joins the cgroups of the
// domain's id, a host pid, as virsh's virDomainLxcEnterCGroup does.

import { readFileSync } from "node:fs";

export interface CgroupMount {
  /** mount point */
  mnt: string;
  /** the cgroup path mounted there ("/" for a hierarchy's root) */
  root: string;
  /** super options without rw/ro: controllers and name=…; empty for cgroup2 */
  opts: string[];
  v2: boolean;
}

export function cgroupMounts(mountinfo = readFileSync("/proc/self/mountinfo", "utf8")): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split("\n")) {
    const sep = line.indexOf(" - ");
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(" ");
    const [fstype, , superOpts] = line.slice(sep + 3).split(" ");
    if (fstype !== "cgroup" && fstype !== "cgroup2") continue;
    const unesc = (s: string) => s.replace(/\\040/g, " ");
    out.push({ mnt: unesc(left[4]!), root: unesc(left[3]!), opts: (superOpts ?? "").split(",").filter((o) => o && o !== "rw" && o !== "ro"), v2: fstype === "cgroup2" });
  }
  return out;
}

/**
 * The host directories of the cgroups `pid` is in, one per hierarchy that is mounted here:
 * v1 lines `N:ctrl[,ctrl]:/path` map to that hierarchy's mount, the v2 line `0::/path` to the
 * cgroup2 mount. A mount of the hierarchy's root is preferred to a bind of a sub-cgroup.
 */
export function cgroupDirsOf(pid: number | "self", mounts = cgroupMounts(), procCgroup?: string): string[] {
  const text = procCgroup ?? readFileSync(`/proc/${pid}/cgroup`, "utf8");
  const dirs: string[] = [];
  for (const line of text.split("\n")) {
    const a = line.indexOf(":"), b = line.indexOf(":", a + 1);
    if (a < 0 || b < 0) continue;
    const ctrls = line.slice(a + 1, b).split(",").filter(Boolean);
    const path = line.slice(b + 1);
    const cands = mounts
      .filter((m) => (ctrls.length ? !m.v2 && ctrls.every((c) => m.opts.includes(c)) : m.v2))
      .filter((m) => m.root === "/" || path === m.root || path.startsWith(`${m.root}/`))
      .sort((x, y) => x.root.length - y.root.length);
    const m = cands[0];
    if (!m) continue;
    const rel = m.root === "/" ? path : path.slice(m.root.length);
    const dir = `${m.mnt}${rel === "/" ? "" : rel}`;
    if (!dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}
