// The README's main command, end to end: `sudo ./dist/bunvirt run examples/hello.xml` prints the
// container's greeting and exits with init's status.
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../scripts/build-binary.ts";

const root = join(import.meta.dir, "..", "..");
const bin = join(root, "dist", "bunvirt");

test.skipIf(process.getuid?.() !== 0)("run examples/hello.xml (root)", () => {
  if (!existsSync(bin)) build();
  const p = Bun.spawnSync([bin, "run", "examples/hello.xml"], { cwd: root, stdin: "ignore", env: { PATH: "/usr/bin:/bin" } });
  expect({ code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }).toEqual({
    code: 0,
    // the console is a pty with default termios, as libvirt's LXC console: ONLCR turns \n into \r\n
    out: "Hello from container hello (pid 1, lxc-libvirt)\r\n",
    err: "",
  });
  // transient: nothing is left defined or running afterwards
  const l = Bun.spawnSync([bin, "-c", "lxc:///system", "list", "--all", "--name"], { env: { PATH: "/usr/bin:/bin" } });
  expect(l.stdout.toString().split("\n")).not.toContain("hello");
});
