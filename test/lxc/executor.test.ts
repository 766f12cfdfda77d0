// The post-clone executor (src/ffi/exec): step reporting, 1,000 spawns without leaks, and the
// compiled executable running containers on a host without /usr/include.
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { NS } from "../../src/plugins/lxc/container.ts";
import { ExecError, Program, runProgram } from "../../src/ffi/exec/index.ts";
import { haveBusybox, isRoot, removeDir, tempDir } from "./rootfs.ts";

const REPO = join(import.meta.dir, "../..");

/** Our children that are zombies (nobody reaped them). */
function zombieChildren(): string[] {
  return readdirSync("/proc").filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      const st = readFileSync(`/proc/${p}/stat`, "utf8");
      const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
      return f[0] === "Z" && Number(f[1]) === process.pid;
    } catch {
      return false;
    }
  });
}

describe("executor", () => {
  test("runs steps and execs; output and status come back", () => {
    const p = new Program().closeRange(3).execve("/bin/sh", ["sh", "-c", "exit 7"], []);
    expect(runProgram(p)).toEqual({ reports: [], status: 7 << 8 });
  });

  test("a failing step is reported by number, name and errno", () => {
    const p = new Program().mkdir("/nonexistent-dir/x").execve("/bin/true", ["true"], []);
    expect(() => runProgram(p)).toThrow(new ExecError("step 0 (mkdir /nonexistent-dir/x) failed: ENOENT (No such file or directory)", 2));
    const q = new Program().chdir("/").execve("/no/such/binary", ["x"], []);
    expect(() => runProgram(q)).toThrow("step 1 (execve /no/such/binary) failed: ENOENT (No such file or directory)");
  });

  test.skipIf(!isRoot)("clone with namespaces, report the child pid, relay its status", () => {
    const p = new Program();
    const c = p.clone(NS.NEWUTS | NS.NEWPID);
    p.reportPid().waitChild();
    p.child(c).sethostname("exec-test").closeRange(3).execve("/bin/sh", ["sh", "-c", 'test "$(hostname)" = exec-test && exit $$'], []);
    const r = runProgram(p);
    expect(r.reports.map((x) => x.type)).toEqual(["pid", "status"]);
    expect(r.reports[1]!.value).toBe(1 << 8); // pid 1 of its new pid namespace
    expect(r.status).toBe(0);
  });

  test("1,000 spawns: no leaked fd, no zombie, no hang", () => {
    const fds = readdirSync("/proc/self/fd").length;
    const t0 = performance.now();
    for (let i = 0; i < 1000; i++) {
      const r = runProgram(new Program().closeRange(3).execve("/bin/true", ["true"], []), 5000);
      if (r.status !== 0) throw new Error(`spawn ${i}: status ${r.status}`);
    }
    console.log(`1000 executor spawns: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(readdirSync("/proc/self/fd").length).toBe(fds);
    expect(zombieChildren()).toEqual([]);
  }, 60_000);
});

describe.skipIf(!isRoot || !haveBusybox)("compiled executable without /usr/include (needs root)", () => {
  test("bun build --compile, then run examples/hello.xml with /usr/include hidden", () => {
    const dir = tempDir();
    try {
      const bin = join(dir, "bunvirt");
      const b = spawnSync(join(REPO, "node_modules/.bin/bun"), ["build", "--compile", join(REPO, "src/main.ts"), "--outfile", bin], { encoding: "utf8" });
      expect(b.status).toBe(0);
      // a private mount namespace with an empty tmpfs over /usr/include; TinyCC must not need it
      const script = `mount -t tmpfs none /usr/include && test -z "$(ls /usr/include)" && exec "$0" -c "lxc:///embed?root=${dir}/state" run "${REPO}/examples/hello.xml"`;
      const r = spawnSync("unshare", ["-m", "--propagation", "private", "sh", "-c", script, bin], { encoding: "utf8", env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin", HOME: dir } });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe("Hello from container hello (pid 1, lxc-libvirt)\r\n");
      expect(r.status).toBe(0);
    } finally {
      removeDir(dir);
    }
  }, 120_000);
});
