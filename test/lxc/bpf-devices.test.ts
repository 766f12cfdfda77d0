// cgroup v2 device filter (BPF_CGROUP_DEVICE): what a pure-v2 host uses instead of devices.allow.
// Tried on this host's cgroup2 mount (the 'unified' one on hybrid hosts, where the v1 devices
// controller does not restrict the test process's own cgroup).
import { afterAll, expect, test } from "bun:test";
import { mkdirSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { attachDeviceFilter } from "../../src/ffi/exec/bpf.ts";
import { Program, runProgram } from "../../src/ffi/exec/index.ts";
import { detectLayout } from "../../src/plugins/lxc/cgroup/index.ts";
import { isRoot } from "./rootfs.ts";

const v2 = detectLayout().v2;
const dir = v2 ? join(v2, `bunvirt-bpf-test-${process.pid}`) : "";
afterAll(() => {
  if (!dir) return;
  try {
    rmdirSync(dir);
  } catch {}
});

test.skipIf(!isRoot || !v2)("only allowed devices open inside a cgroup with the filter (needs root, cgroup2)", () => {
  mkdirSync(dir);
  attachDeviceFilter(dir, [
    { type: "c", major: 1, minor: 3, access: "rwm" }, // /dev/null
    { type: "c", major: 1, minor: 9, access: "r" }, // /dev/urandom read-only
  ]);
  const inCgroup = () => new Program().writeFile(join(dir, "cgroup.procs"), "0");
  const O_RDONLY = 0, O_WRONLY = 1;
  // allowed
  expect(runProgram(inCgroup().open("/dev/null", O_WRONLY, 0, -2).exit(0)).status).toBe(0);
  expect(runProgram(inCgroup().open("/dev/urandom", O_RDONLY, 0, -2).exit(0)).status).toBe(0);
  // denied: another device, and write access where only read is allowed
  expect(() => runProgram(inCgroup().open("/dev/zero", O_RDONLY, 0, -2).exit(0))).toThrow("step 1 (open /dev/zero) failed: EPERM (Operation not permitted)");
  expect(() => runProgram(inCgroup().open("/dev/urandom", O_WRONLY, 0, -2).exit(0))).toThrow("step 1 (open /dev/urandom) failed: EPERM (Operation not permitted)");
});
