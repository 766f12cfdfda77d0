// /proc/PID/cgroup → host cgroup directories, from mountinfo (v1, hybrid, v2, co-mounted, binds).
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { cgroupDirsOf, cgroupMounts } from "../../src/core/cgroup-of.ts";

const mi = (id: number, root: string, mnt: string, fs: string, opts: string) => `${id} 31 0:${id} ${root} ${mnt} rw,relatime - ${fs} ${fs} ${opts}`;

test("hybrid: v1 controllers (co-mounted and named) and the unified cgroup2 mount", () => {
  const mounts = cgroupMounts(
    [
      mi(31, "/", "/sys/fs/cgroup", "tmpfs", "rw,mode=755"),
      mi(32, "/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct"),
      mi(35, "/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
      mi(40, "/", "/sys/fs/cgroup/systemd", "cgroup", "rw,xattr,name=systemd"),
      mi(41, "/", "/sys/fs/cgroup/unified", "cgroup2", "rw,nsdelegate"),
      "",
    ].join("\n"),
  );
  expect(mounts.map((m) => m.mnt)).toEqual(["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/memory", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"]);
  const proc = "12:name=systemd:/\n4:memory:/bunvirt/lxc-x\n2:cpu,cpuacct:/bunvirt/lxc-x\n1:pids:/not/mounted\n0::/bunvirt/lxc-x\n";
  expect(cgroupDirsOf(1, mounts, proc)).toEqual([
    "/sys/fs/cgroup/systemd",
    "/sys/fs/cgroup/memory/bunvirt/lxc-x",
    "/sys/fs/cgroup/cpu,cpuacct/bunvirt/lxc-x",
    "/sys/fs/cgroup/unified/bunvirt/lxc-x",
  ]);
});

test("pure v2, and a bind of a sub-cgroup used only when the hierarchy root is not mounted", () => {
  expect(cgroupDirsOf(1, cgroupMounts(mi(30, "/", "/sys/fs/cgroup", "cgroup2", "rw")), "0::/machine/c1\n")).toEqual(["/sys/fs/cgroup/machine/c1"]);
  const both = cgroupMounts([mi(30, "/machine", "/srv/cg", "cgroup2", "rw"), mi(31, "/", "/sys/fs/cgroup", "cgroup2", "rw")].join("\n"));
  expect(cgroupDirsOf(1, both, "0::/machine/c1\n")).toEqual(["/sys/fs/cgroup/machine/c1"]);
  const bindOnly = cgroupMounts(mi(30, "/machine", "/srv/cg", "cgroup2", "rw"));
  expect(cgroupDirsOf(1, bindOnly, "0::/machine/c1\n")).toEqual(["/srv/cg/c1"]);
  expect(cgroupDirsOf(1, bindOnly, "0::/other\n")).toEqual([]);
});

test("this process: one directory per line of /proc/self/cgroup whose hierarchy is mounted, each existing", () => {
  const dirs = cgroupDirsOf("self");
  expect(dirs.length).toBeGreaterThan(0);
  for (const d of dirs) expect(readFileSync(`${d}/cgroup.procs`, "utf8").split("\n")).toContain(String(process.pid));
});
