// Side by side with the reference: each command string runs through `virsh -c test:///default`
// (libvirt-clients, listed in .ci/packages) and through bunvirt; stdout, stderr and exit status
// must be identical. Only values libvirt makes up at run time are masked: CPU time (wall clock
// in the test driver) and the uuids it generates for definitions without one.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cli } from "./run.ts";

const virsh = Bun.which("virsh");
const F = join(import.meta.dir, "fixtures");
const D1 = join(F, "d1.xml");
const NOUUID = join(F, "no-uuid.xml");

const COMMANDS = [
  "list --all",
  "list",
  "list --name --all",
  "list --uuid --name",
  "list --inactive",
  "list --name --inactive",
  "list --state-shutoff",
  "list --id --all",
  "dominfo test",
  "domstate test --reason",
  "domstate --domain=test",
  "domid test; domname 1; domuuid 1; domid 1",
  "uri; hostname",
  "capabilities",
  "dumpxml test",
  "dumpxml --inactive test",
  `define ${D1}; list --all; start d1; list; domstate d1 --reason; suspend d1; domstate d1 --reason; list --all; resume d1; domstate d1 --reason; shutdown d1; domstate d1 --reason; start d1; reboot d1; domstate d1 --reason; destroy d1; domstate d1 --reason; undefine d1; create ${D1}; list --all; destroy d1; list --all`,
  `define ${D1}; dumpxml d1; start d1; dumpxml d1; dominfo d1`,
  "autostart test; dominfo test; autostart --disable test; dominfo test",
  "shutdown test; list --all; domstate test --reason",
  `create ${D1}; undefine d1; list --all`,
  `create ${NOUUID}; list --all; destroy nouuid`,
  `define ${D1}; destroy d1`,
  `define ${D1}; suspend d1`,
  `define ${D1}; shutdown d1`,
  `define ${D1}; reboot d1`,
  `create ${D1}; create ${D1}`,
  `define ${D1}; define ${join(F, "d1-renamed.xml")}`,
  "suspend test; suspend test",
  "resume test",
  "start test",
  "start nope",
  "dominfo nope",
  "domname 7",
  "undefine test; list --all",
  "define /nonexistent.xml",
  `domxml-to-native qemu-argv ${D1}`,
  "lxc-enter-namespace test -- /bin/true",
  "console test",
  "frob",
  "list --frob",
  "dominfo",
  "dominfo test extra",
  "start --pass-fds",
  "shutdown test --mode foo",
  "shutdown test --mode signal,initctl",
  "reboot test --mode acpi",
  "destroy test; start test --paused; list",
  `create ${D1} --paused`,
  `create ${D1} --validate; list`,
];

const mask = (s: string) =>
  s
    .replace(/^(CPU time: +)\d+\.\ds$/gm, "$1X")
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/g, "RANDOM-UUID");

describe.skipIf(!virsh)("same output as virsh -c test:///default", () => {
  for (const cmd of COMMANDS) {
    test(cmd, async () => {
      // one argument: both parse it as a command string (virsh "cmd1; cmd2")
      const args = [cmd];
      const v = Bun.spawnSync([virsh!, "-c", "test:///default", ...args], { stdin: "ignore", env: { PATH: "/usr/bin:/bin", LANG: "C" } });
      const want = { code: v.exitCode, out: mask(v.stdout.toString()), err: mask(v.stderr.toString()) };
      const b = await cli(["-c", "test:///default", ...args]);
      expect({ code: b.code, out: mask(b.out), err: mask(b.err) }).toEqual(want);
    });
  }
  test("-q list", async () => {
    const v = Bun.spawnSync([virsh!, "-q", "-c", "test:///default", "list"], { env: { PATH: "/usr/bin:/bin" } });
    expect(await cli(["-q", "-c", "test:///default", "list"])).toEqual({ code: v.exitCode, out: v.stdout.toString(), err: v.stderr.toString() });
  });
  test("-r destroy", async () => {
    const v = Bun.spawnSync([virsh!, "-r", "-c", "test:///default", "destroy test; list"], { env: { PATH: "/usr/bin:/bin" } });
    expect(await cli(["-r", "-c", "test:///default", "destroy test; list"])).toEqual({ code: v.exitCode, out: v.stdout.toString(), err: v.stderr.toString() });
  });
});
