// lxc-enter-namespace exits with the command's status (128+N for signal N) and prints no error
// line for it, both in-process (lxc:///embed) and through the daemon (lxc+unix://).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { domXml, isRoot, removeDir, tempDir } from "./rootfs.ts";
import { startDaemon, type DaemonProc } from "../rpc/helpers.ts";

const bun = join(import.meta.dir, "../../node_modules/.bin/bun");
const main = join(import.meta.dir, "../../src/main.ts");
const cli = (uri: string, args: string[]) => {
  const r = spawnSync(bun, [main, "-c", uri, ...args], { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
};

let dir = "";
let d: DaemonProc | undefined;
const uris: Record<string, string> = {};
beforeAll(async () => {
  if (!isRoot) return;
  dir = tempDir("bunvirt-enter-");
  uris.embed = `lxc:///embed?root=${dir}/embed`;
  d = await startDaemon(join(dir, "daemon"));
  uris.daemon = `lxc+unix:///system?socket=${d.rw}`;
});
afterAll(async () => {
  if (!isRoot) return;
  for (const uri of Object.values(uris)) cli(uri, ["destroy", "enter1"]);
  await d?.kill();
  removeDir(dir);
});

for (const via of ["embed", "daemon"]) {
  describe(via, () => {
    test.skipIf(!isRoot)("CMD's status becomes bunvirt's, with no error line", () => {
      const uri = uris[via]!;
      const file = join(dir, `${via}.xml`);
      writeFileSync(file, domXml({ name: "enter1", args: ["-c", "sleep 30"] }));
      expect(cli(uri, ["create", file])).toEqual({ status: 0, stdout: "Domain 'enter1' created from " + file + "\n\n", stderr: "" });
      const enter = (...cmd: string[]) => cli(uri, ["lxc-enter-namespace", "enter1", "--", ...cmd]);
      // (stdout ends with virsh's empty line after a command)
      // inside the container: a pid namespace whose pid 1 is init, not our shell
      expect(enter("/bin/sh", "-c", "echo in; [ $$ != 1 ] && [ -e /proc/1 ]")).toEqual({ status: 0, stdout: "in\n\n", stderr: "" });
      expect(enter("/bin/sh", "-c", "echo out; exit 3")).toEqual({ status: 3, stdout: "out\n\n", stderr: "" });
      expect(enter("sh", "-c", "exit 255")).toEqual({ status: 255, stdout: "\n", stderr: "" });
      expect(enter("/bin/sh", "-c", "kill -9 $$")).toEqual({ status: 137, stdout: "\n", stderr: "" });
      expect(enter("/bin/sh", "-c", "kill -TERM $$")).toEqual({ status: 143, stdout: "\n", stderr: "" });
      // failing to run CMD at all is an error of ours (exit 1 with an error line)
      expect(enter("/no/such/cmd")).toEqual({ status: 1, stdout: "\n", stderr: "error: operation failed: cannot run '/no/such/cmd' inside the container: ENOENT (No such file or directory)\n" });
      expect(enter("no-such-cmd")).toEqual({
        status: 1,
        stdout: "\n",
        stderr: "error: operation failed: cannot run 'no-such-cmd' inside the container (searched /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin): ENOENT (No such file or directory)\n",
      });
      // inside all of init's cgroups too: the command's cgroups, read in the container, are pid 1's
      const cg = enter("/bin/sh", "-c", "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup");
      expect({ status: cg.status, stderr: cg.stderr }).toEqual({ status: 0, stderr: "" });
      const [self, one] = cg.stdout.replace(/\n\n$/, "\n").split("--\n");
      expect(self).toContain(":/");
      expect(self).toBe(one!);
      expect(cli(uri, ["destroy", "enter1"]).status).toBe(0);
    }, 60_000);
  });
}
