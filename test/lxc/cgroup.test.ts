// cgroup layout detection for v1, v2 and hybrid hosts (pure: sample mountinfo text).
import { expect, test } from "bun:test";
import { detectLayout } from "../../src/plugins/lxc/cgroup/index.ts";
import { sharesToWeight } from "../../src/plugins/lxc/cgroup/v2/cpu.ts";

const line = (id: number, root: string, mnt: string, fstype: string, opts: string) => `${id} 20 0:${id} ${root} ${mnt} rw,nosuid - ${fstype} cgroup ${opts}`;

test("hybrid: v1 controllers plus a controller-less unified mount", () => {
  const mi = [
    line(30, "/", "/sys/fs/cgroup/unified", "cgroup2", "rw"),
    line(31, "/", "/sys/fs/cgroup/cpu,cpuacct", "cgroup", "rw,cpu,cpuacct"),
    line(32, "/", "/sys/fs/cgroup/memory", "cgroup", "rw,memory"),
    line(33, "/", "/sys/fs/cgroup/systemd", "cgroup", "rw,xattr,name=systemd"),
    line(34, "/lxc/x", "/sys/fs/cgroup/devices", "cgroup", "rw,devices"), // a bind of a sub-cgroup: ignored
  ].join("\n");
  const l = detectLayout(mi);
  expect([...l.v1.entries()]).toEqual([
    ["cpu", "/sys/fs/cgroup/cpu,cpuacct"],
    ["cpuacct", "/sys/fs/cgroup/cpu,cpuacct"],
    ["memory", "/sys/fs/cgroup/memory"],
  ]);
  expect(l.v2).toBe("/sys/fs/cgroup/unified");
});

test("pure v2", () => {
  const l = detectLayout(line(30, "/", "/sys/fs/cgroup", "cgroup2", "rw,nsdelegate"));
  expect(l.v1.size).toBe(0);
  expect(l.v2).toBe("/sys/fs/cgroup");
});

test("cpu shares become v2 weights as libvirt writes them (clamped to 1..10000)", () => {
  expect([2, 512, 1024, 262144].map(sharesToWeight)).toEqual([2, 512, 1024, 10000]);
});
