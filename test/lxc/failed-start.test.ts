// A failed start leaves nothing behind (run dir files, cgroups, mounts, netdevs, processes,
// fds) and says which domain failed, at which step and XML element, with errno name and text.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { haveBusybox, isRoot, removeDir, tempDir } from "./rootfs.ts";

const bun = join(import.meta.dir, "../../node_modules/.bin/bun");

test.skipIf(!isRoot || !haveBusybox)("every kind of failed start cleans up and names the domain (needs root + busybox-static)", () => {
  const dir = tempDir();
  try {
    const r = spawnSync("unshare", ["-n", "-m", "--propagation", "private", bun, join(import.meta.dir, "failed-start-fixture.ts"), dir], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    const res = JSON.parse(r.stdout);
    const clean = (error: string) => ({ error, leftovers: {} });
    const dom = (name: string, detail: string) => `internal error: failed to start domain '${name}': ${detail}`;
    expect(res).toEqual({
      "f-init": clean(dom("f-init", "/domain/os/init: step 105 (execve /no/such/init) failed: ENOENT (No such file or directory)")),
      "f-init-root": clean(dom("f-init-root", "/domain/os/init: step 104 (execve /no/such/init) failed: ENOENT (No such file or directory)")),
      "f-bind": clean(dom("f-bind", `/domain/devices/filesystem[2]/source/@dir: step 30 (bind ${dir}/no-such-dir on /mnt) failed: ENOENT (No such file or directory)`)),
      "f-hostdev": clean(dom("f-hostdev", `/domain/devices/hostdev[1]/source/char: hostdev misc: cannot stat ${dir}/no-such-dev: ENOENT (No such file or directory)`)),
      "f-hostdev-kind": clean(`unsupported configuration: /domain/devices/hostdev[1]/source/char: hostdev misc: ${dir}/rootfs/bin/busybox is not a char device`),
      "f-route": clean(dom("f-route", "/domain/devices/interface[1] (eth0): netlink RTM_NEWROUTE 10.9.0.0/16 via 192.168.77.1 dev eth0: ENETUNREACH (Network is unreachable): Nexthop has invalid gateway")),
      "f-bridge": clean(dom("f-bridge", "/domain/devices/interface[1] (eth0): bridge 'nobr0' does not exist")),
      "f-cgroup": clean(dom("f-cgroup", "cannot write to cgroup.procs: ENOSPC (injected)")),
      "f-ok": { status: 0, leftovers: {} },
    });
  } finally {
    removeDir(dir);
  }
}, 90_000);

// What an operator sees: `bunvirt run` of a domain whose init does not exist.
test.skipIf(!isRoot)("bunvirt run: the error names the domain, the element and the errno; the root is left as it was", () => {
  const dir = mkdtempSync("/tmp/bunvirt-lxc-run-");
  try {
    const file = join(dir, "bad1.xml");
    writeFileSync(file, `<domain type='lxc'><name>bad1</name><memory unit='MiB'>64</memory><os><type>exe</type><init>/no/such/init</init></os><devices><console type='pty'/></devices></domain>`);
    const main = join(import.meta.dir, "../../src/main.ts");
    const r = spawnSync(bun, [main, "-c", `lxc:///embed?root=${dir}/root`, "run", file], { encoding: "utf8", timeout: 30_000 });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 1,
      stdout: "",
      stderr: `error: Failed to create domain from ${file}\nerror: internal error: failed to start domain 'bad1': /domain/os/init: step 105 (execve /no/such/init) failed: ENOENT (No such file or directory)\n`,
    });
    expect(readdirSync(join(dir, "root/run")).sort()).toEqual(["next-id"]);
  } finally {
    removeDir(dir);
  }
}, 40_000);
