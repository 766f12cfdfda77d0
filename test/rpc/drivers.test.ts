// The real virsh driving LXC containers and QEMU guests through `bunvirt daemon --root DIR`
// (root; LXC needs nothing else, QEMU needs qemu-system-x86). Everything lives under DIR.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cleanup, hasVirsh, isRoot, startDaemon, tempRoot, virsh, type DaemonProc } from "./helpers.ts";
import { buildInitramfs, hostKernel, kernelBootXml } from "../qemu/initramfs.ts";

const hasQemu = existsSync("/usr/bin/qemu-system-x86_64");
const lxcSkip = !hasVirsh || !isRoot;
const qemuSkip = lxcSkip || !hasQemu;

// An application container sharing the host's root read-only: init just waits.
const lxcXml = (name: string, script: string) => `<domain type='lxc'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <os>
    <type>exe</type>
    <init>/bin/sh</init>
    <initarg>-c</initarg>
    <initarg>${script.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")}</initarg>
  </os>
  <devices>
    <console type='pty'/>
  </devices>
</domain>
`;

// No disk, no kernel: SeaBIOS keeps retrying the boot, so the guest runs until destroyed.
const qemuXml = (name: string) => `<domain type='qemu'>
  <name>${name}</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
  </os>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>
`;

let d: DaemonProc;
let root: string;

/** A running container's init, host pid, from the daemon's live state (DIR/lxc/run/NAME.json). */
const livePid = (name: string): number => {
  const pid = JSON.parse(readFileSync(join(root, "lxc/run", `${name}.json`), "utf8")).runtime.initPid as number;
  expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toStartWith("/bin/sh\0-c\0"); // it is init
  return pid;
};

/** Start an entering client whose command is `/bin/sleep MARKER`; find that command from the host
 * (its argv and the container's pid namespace), return its /proc/PID/cgroup, kill it. */
async function enteredCgroups(client: string[], initPid: number, marker: string): Promise<string> {
  // HOME stays ours: a Bun client would create $HOME/.bun in a made-up one and leave it behind
  const p = Bun.spawn(client, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, LC_ALL: "C" } });
  const pidns = readlinkSync(`/proc/${initPid}/ns/pid`);
  let found = 0;
  for (let i = 0; i < 400 && !found; i++) {
    for (const e of readdirSync("/proc")) {
      if (!/^\d+$/.test(e)) continue;
      try {
        if (readFileSync(`/proc/${e}/cmdline`, "utf8") === `/bin/sleep\0${marker}\0` && readlinkSync(`/proc/${e}/ns/pid`) === pidns) found = Number(e);
      } catch {}
    }
    if (!found) await Bun.sleep(25);
  }
  let cg = "";
  try {
    expect(found).toBeGreaterThan(0);
    cg = readFileSync(`/proc/${found}/cgroup`, "utf8");
  } finally {
    if (found) process.kill(found, "SIGKILL");
    else p.kill(9);
    await p.exited;
  }
  return cg;
}
beforeAll(async () => {
  if (lxcSkip) return;
  root = tempRoot("drivers");
  d = await startDaemon(root);
});
afterAll(async () => {
  if (lxcSkip) return;
  // leave nothing running whatever failed above
  for (const drv of ["lxc", "qemu"]) {
    const uri = `${drv}+unix:///system?socket=${d.rw}`;
    const names = (await virsh(uri, ["list", "--all", "--name"])).stdout.split("\n").filter(Boolean);
    for (const n of names) {
      await virsh(uri, ["destroy", n]);
      await virsh(uri, ["undefine", n]);
    }
  }
  await d.kill();
  cleanup(root);
});

describe.skipIf(lxcSkip)("virsh → daemon → LXC", () => {
  const uri = () => `lxc+unix:///system?socket=${d.rw}`;

  test("version, define, start, list, dumpxml, lxc-enter-namespace, destroy, domstate, undefine", async () => {
    let r = await virsh(uri(), ["version"]);
    expect(r.stdout).toContain("Using API: LXC 9.0.0\n");
    const file = join(root, "c1.xml");
    writeFileSync(file, lxcXml("rpc-c1", "sleep 300"));
    r = await virsh(uri(), ["define", file]);
    expect(r.stdout).toBe(`Domain 'rpc-c1' defined from ${file}\n\n`);
    r = await virsh(uri(), ["start", "rpc-c1"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Domain 'rpc-c1' started\n\n");
    r = await virsh(uri(), ["list"]);
    // the id is init's host pid (libvirt's LXC ids are host pids: virsh joins that pid's cgroups)
    const initPid = livePid("rpc-c1");
    expect(r.stdout).toMatch(new RegExp(`^ Id +Name +State\\n-+\\n ${initPid} +rpc-c1 +running\\n\\n$`));
    expect((await virsh(uri(), ["domid", "rpc-c1"])).stdout).toBe(`${initPid}\n\n`);
    expect((await virsh(uri(), ["domname", String(initPid)])).stdout).toBe("rpc-c1\n\n");
    r = await virsh(uri(), ["domstate", "rpc-c1"]);
    expect(r.stdout).toBe("running\n\n");
    r = await virsh(uri(), ["dumpxml", "rpc-c1"]);
    expect(r.stdout).toStartWith(`<domain type='lxc' id='${initPid}'>\n  <name>rpc-c1</name>\n`);
    // virsh opens the namespaces over LXC_PROC_DOMAIN_OPEN_NAMESPACE (fds in the reply) and setns()es itself
    r = await virsh(uri(), ["lxc-enter-namespace", "rpc-c1", "--noseclabel", "/bin/hostname"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("rpc-c1\n\n");
    r = await virsh(uri(), ["destroy", "rpc-c1"]);
    expect(r.stdout).toBe("Domain 'rpc-c1' destroyed\n\n");
    r = await virsh(uri(), ["domstate", "rpc-c1"]);
    expect(r.stdout).toBe("shut off\n\n");
    r = await virsh(uri(), ["undefine", "rpc-c1"]);
    expect(r.stdout).toBe("Domain 'rpc-c1' has been undefined\n\n");
  });

  test("create --pass-fds: the passed fd is the container's fd 3", async () => {
    const out = join(root, "pf-out");
    const file = join(root, "c2.xml");
    writeFileSync(file, lxcXml("rpc-c2", `cat <&3 > ${out}; sleep 300`));
    const src = join(root, "pf-in");
    writeFileSync(src, "passed through virsh, the daemon and SCM_RIGHTS\n");
    const fd = openSync(src, "r");
    let r;
    try {
      r = await virsh(uri(), ["create", file, "--pass-fds", "3"], { fds: [fd] });
    } finally {
      closeSync(fd);
    }
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe(`Domain 'rpc-c2' created from ${file}\n\n`);
    for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, "utf8").length); i++) await Bun.sleep(20);
    expect(readFileSync(out, "utf8")).toBe("passed through virsh, the daemon and SCM_RIGHTS\n");
    r = await virsh(uri(), ["destroy", "rpc-c2"]);
    expect(r.code).toBe(0);
    r = await virsh(uri(), ["domstate", "rpc-c2"]);
    expect(r.stderr).toBe("error: failed to get domain 'rpc-c2'\n"); // transient: gone once stopped
  });

  test.skipIf(!Bun.which("script"))("virsh console: input reaches the container, its output comes back (STREAM packets)", async () => {
    const file = join(root, "c5.xml");
    writeFileSync(file, lxcXml("rpc-c5", 'while read line; do echo "got:$line"; done'));
    expect((await virsh(uri(), ["create", file])).code).toBe(0);
    const out = await consoleSession(uri(), "rpc-c5", "hello console\r");
    expect(out).toContain("Connected to domain 'rpc-c5'");
    expect(out).toContain("got:hello console");
    // detaching left the container running; a second console attaches again
    expect((await virsh(uri(), ["domstate", "rpc-c5"])).stdout).toBe("running\n\n");
    expect(await consoleSession(uri(), "rpc-c5", "again\r")).toContain("got:again");
    expect((await virsh(uri(), ["destroy", "rpc-c5"])).code).toBe(0);
  }, 30_000);

  test("bunvirt's own CLI: lxc:///system goes through the running daemon (client, enter-namespace via passed fds)", async () => {
    const file = join(root, "c6.xml");
    writeFileSync(file, lxcXml("rpc-c6", "sleep 300"));
    const cli = async (...a: string[]) => {
      const p = Bun.spawn([process.execPath, join(import.meta.dir, "../../src/main.ts"), "-c", "lxc:///system", ...a], {
        stdout: "pipe", stderr: "pipe", env: { ...process.env, BUNVIRT_DAEMON_SOCKET: d.rw },
      });
      return { stdout: await new Response(p.stdout).text(), stderr: await new Response(p.stderr).text(), code: await p.exited };
    };
    expect((await cli("define", file)).code).toBe(0);
    expect((await cli("start", "rpc-c6")).stdout).toBe("Domain 'rpc-c6' started\n\n");
    // the daemon, not an in-process driver, holds it: virsh on the socket sees it running
    expect((await virsh(uri(), ["domstate", "rpc-c6"])).stdout).toBe("running\n\n");
    const r = await cli("lxc-enter-namespace", "rpc-c6", "--noseclabel", "/bin/sh", "-c", "hostname; echo $$");
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^rpc-c6\n\d+\n/);
    expect((await cli("destroy", "rpc-c6")).code).toBe(0);
    expect((await cli("undefine", "rpc-c6")).code).toBe(0);
  });

  test("lxc-enter-namespace joins the container's cgroups: virsh (those libvirt 9.0 joins) and our CLI (all of init's)", async () => {
    const file = join(root, "c7.xml");
    writeFileSync(file, lxcXml("rpc-c7", "sleep 300"));
    expect((await virsh(uri(), ["create", file])).code).toBe(0);
    try {
      const initPid = livePid("rpc-c7");
      const initCg = readFileSync(`/proc/${initPid}/cgroup`, "utf8");
      const ownCg = readFileSync("/proc/self/cgroup", "utf8").split("\n");
      // the container's init is in cgroups of its own (not the host's root or ours)
      expect(initCg).toContain(":/bunvirt/lxc-");
      expect(initCg).not.toBe(ownCg.join("\n"));

      // our CLI through the daemon: every hierarchy init is in
      const ours = [process.execPath, join(import.meta.dir, "../../src/main.ts"), "-c", uri(), "lxc-enter-namespace", "rpc-c7", "--noseclabel"];
      expect(await enteredCgroups([...ours, "/bin/sleep", "300.2"], initPid, "300.2")).toBe(initCg);
      // seen from inside (the container's cgroup namespace): the command's cgroups are init's (pid 1's)
      const p = Bun.spawn([...ours, "/bin/sh", "-c", "cat /proc/self/cgroup; echo --; cat /proc/1/cgroup"], { stdout: "pipe", stderr: "pipe" });
      const [out, err] = [await new Response(p.stdout).text(), await new Response(p.stderr).text()];
      expect({ code: await p.exited, err }).toEqual({ code: 0, err: "" });
      const [self, one] = out.replace(/\n\n$/, "\n").split("--\n");
      expect(self).toBe(one!);

      // virsh: virDomainLxcEnterCGroup joins the cgroups of host pid `domid`, in the hierarchies
      // libvirt 9.0 manages: its v1 controllers (never pids or name=systemd); with a cgroup2 mount
      // its v2 backend claims devices and cpuacct (BPF, cpu.stat), which it then joins only there.
      const hasV2 = readFileSync("/proc/self/mountinfo", "utf8").includes(" - cgroup2 ");
      const LIBVIRT_V1 = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "net_cls", "perf_event"].filter((c) => !(hasV2 && (c === "devices" || c === "cpuacct")));
      const expected = initCg
        .split("\n")
        .map((l, i) => {
          if (!l) return l;
          const ctrls = l.split(":")[1]!.split(",").filter(Boolean);
          const joined = ctrls.length === 0 || ctrls.some((c) => LIBVIRT_V1.includes(c));
          return joined ? l : ownCg.find((o) => o.split(":")[0] === l.split(":")[0]) ?? `(line ${i})`;
        })
        .join("\n");
      const viaVirsh = ["virsh", "-c", uri(), "lxc-enter-namespace", "rpc-c7", "--noseclabel"];
      expect(await enteredCgroups([...viaVirsh, "/bin/sleep", "300.1"], initPid, "300.1")).toBe(expected);
      const r = await virsh(uri(), ["lxc-enter-namespace", "rpc-c7", "--noseclabel", "/bin/cat", "/proc/self/cgroup"]);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      // (this container's cgroup namespace is rooted at the hierarchies' roots: paths print as on the host)
      expect(r.stdout).toBe(expected + "\n");
    } finally {
      await virsh(uri(), ["destroy", "rpc-c7"]);
    }
  }, 60_000);

  test("100 concurrent virsh clients list and dump XML while containers start and stop", async () => {
    for (const n of ["rpc-s1", "rpc-s2"]) {
      writeFileSync(join(root, `${n}.xml`), lxcXml(n, "sleep 300"));
      expect((await virsh(uri(), ["define", join(root, `${n}.xml`)])).code).toBe(0);
    }
    expect((await virsh(uri(), ["start", "rpc-s1"])).code).toBe(0);
    let churn = true;
    const cycles: string[] = [];
    const churner = (async () => {
      while (churn) {
        const a = await virsh(uri(), ["start", "rpc-s2"]);
        const b = await virsh(uri(), ["destroy", "rpc-s2"]);
        cycles.push(a.stderr + b.stderr);
      }
    })();
    const runs = await Promise.all(Array.from({ length: 100 }, () => virsh(uri(), ["list --all; dumpxml rpc-s1"])));
    churn = false;
    await churner;
    expect(runs.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    for (const r of runs) {
      expect(r.stdout).toMatch(/ +\d+ +rpc-s1 +running\n/);
      expect(r.stdout).toMatch(/ (-|\d+) +rpc-s2 +(running|shut off)\n/);
      expect(r.stdout).toContain("<name>rpc-s1</name>");
    }
    expect(cycles.length).toBeGreaterThan(0);
    expect(cycles.filter((e) => e !== "")).toEqual([]);
    expect((await virsh(uri(), ["domstate", "rpc-s2"])).stdout).toBe("shut off\n\n");
    for (const n of ["rpc-s1", "rpc-s2"]) {
      await virsh(uri(), ["destroy", n]);
      expect((await virsh(uri(), ["undefine", n])).code).toBe(0);
    }
  }, 120_000);

  test("the read-only socket lists but cannot start", async () => {
    const file = join(root, "c3.xml");
    writeFileSync(file, lxcXml("rpc-c3", "sleep 300"));
    expect((await virsh(uri(), ["define", file])).code).toBe(0);
    const ro = `lxc+unix:///system?socket=${d.ro}`;
    let r = await virsh(ro, ["list", "--all"]);
    expect(r.stdout).toMatch(/ - +rpc-c3 +shut off\n/);
    r = await virsh(ro, ["start", "rpc-c3"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("error: Failed to start domain 'rpc-c3'\nerror: operation forbidden: read only access prevents virDomainCreate\n");
    expect((await virsh(uri(), ["undefine", "rpc-c3"])).code).toBe(0);
  });
});

describe.skipIf(qemuSkip)("virsh → daemon → QEMU", () => {
  const uri = () => `qemu+unix:///system?socket=${d.rw}`;

  test("define, start, list, dumpxml, suspend, resume, destroy, undefine", async () => {
    const file = join(root, "q1.xml");
    writeFileSync(file, qemuXml("rpc-q1"));
    let r = await virsh(uri(), ["define", file]);
    expect(r.stdout).toBe(`Domain 'rpc-q1' defined from ${file}\n\n`);
    r = await virsh(uri(), ["start", "rpc-q1"]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("Domain 'rpc-q1' started\n\n");
    r = await virsh(uri(), ["list"]);
    expect(r.stdout).toMatch(/ +\d+ +rpc-q1 +running\n/);
    r = await virsh(uri(), ["dumpxml", "rpc-q1"]);
    expect(r.stdout).toMatch(/^<domain type='qemu' id='\d+'>\n  <name>rpc-q1<\/name>\n/);
    expect((await virsh(uri(), ["suspend", "rpc-q1"])).stdout).toBe("Domain 'rpc-q1' suspended\n\n");
    expect((await virsh(uri(), ["domstate", "rpc-q1"])).stdout).toBe("paused\n\n");
    expect((await virsh(uri(), ["resume", "rpc-q1"])).stdout).toBe("Domain 'rpc-q1' resumed\n\n");
    expect((await virsh(uri(), ["domstate", "rpc-q1"])).stdout).toBe("running\n\n");
    expect((await virsh(uri(), ["destroy", "rpc-q1"])).stdout).toBe("Domain 'rpc-q1' destroyed\n\n");
    expect((await virsh(uri(), ["domstate", "rpc-q1"])).stdout).toBe("shut off\n\n");
    expect((await virsh(uri(), ["undefine", "rpc-q1"])).stdout).toBe("Domain 'rpc-q1' has been undefined\n\n");
  }, 60_000);

  test.skipIf(!hostKernel() || !Bun.which("script"))("virsh console shows a booting guest and exits when it powers off", async () => {
    const initrd = join(root, "initrd.cpio");
    buildInitramfs(initrd, "MARKER-rpc-console");
    const file = join(root, "qk.xml");
    // the host's kernel needs more than qemuXml's 64 MiB to unpack itself and the initramfs
    writeFileSync(file, kernelBootXml("rpc-qk", initrd) + "\n");
    expect((await virsh(uri(), ["create", file])).code).toBe(0);
    // stdin stays open: virsh must leave on its own when the console's EOF arrives
    const p = Bun.spawn(["script", "-qec", `virsh -c '${uri()}' console rpc-qk; echo virsh-exit=$?`, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH, HOME: "/nonexistent", TERM: "dumb" } });
    const timer = setTimeout(() => p.kill(), 40_000);
    const out = await new Response(p.stdout).text();
    clearTimeout(timer);
    p.stdin.end();
    expect(out).toContain("MARKER-rpc-console");
    expect(out).toContain("virsh-exit=0");
    expect((await virsh(uri(), ["domstate", "rpc-qk"])).stderr).toBe("error: failed to get domain 'rpc-qk'\n"); // transient, gone
  }, 60_000);

  test("kill -9 of the daemon while a guest runs: after a restart it is listed running", async () => {
    const file = join(root, "q2.xml");
    writeFileSync(file, qemuXml("rpc-q2"));
    expect((await virsh(uri(), ["define", file])).code).toBe(0);
    expect((await virsh(uri(), ["start", "rpc-q2"])).code).toBe(0);
    const before = (await virsh(uri(), ["domid", "rpc-q2"])).stdout;
    await d.kill(9);
    d = await startDaemon(root);
    const r = await virsh(uri(), ["list", "--all"]);
    expect(r.stdout).toMatch(/ +\d+ +rpc-q2 +running\n/);
    expect((await virsh(uri(), ["domid", "rpc-q2"])).stdout).toBe(before);
    expect((await virsh(uri(), ["destroy", "rpc-q2"])).code).toBe(0);
    expect((await virsh(uri(), ["undefine", "rpc-q2"])).code).toBe(0);
  }, 60_000);
});

async function consoleSession(uri: string, name: string, input: string): Promise<string> {
  // virsh console insists on a terminal: script(1) gives it one; ^] (0x1d) detaches
  const p = Bun.spawn(["script", "-qec", `virsh -c '${uri}' console ${name}`, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH, HOME: "/nonexistent", TERM: "dumb" } });
  await Bun.sleep(700);
  p.stdin.write(input);
  p.stdin.flush();
  await Bun.sleep(700);
  p.stdin.write("\x1d");
  p.stdin.end();
  const out = await new Response(p.stdout).text();
  expect(await p.exited).toBe(0);
  return out;
}

describe.skipIf(lxcSkip || !Bun.which("script"))("LXC across a daemon kill -9", () => {
  test("a running container is listed running after a restart; console and enter-namespace reattach", async () => {
    const uri = `lxc+unix:///system?socket=${d.rw}`;
    const file = join(root, "c4.xml");
    writeFileSync(file, lxcXml("rpc-c4", 'while read line; do echo "got:$line"; done'));
    expect((await virsh(uri, ["define", file])).code).toBe(0);
    expect((await virsh(uri, ["start", "rpc-c4"])).code).toBe(0);
    const initPid = livePid("rpc-c4");
    expect((await virsh(uri, ["domid", "rpc-c4"])).stdout).toBe(`${initPid}\n\n`);
    await d.kill(9);
    d = await startDaemon(root);
    expect((await virsh(uri, ["domstate", "rpc-c4"])).stdout).toBe("running\n\n");
    expect((await virsh(uri, ["domid", "rpc-c4"])).stdout).toBe(`${initPid}\n\n`);
    expect(await consoleSession(uri, "rpc-c4", "after restart\r")).toContain("got:after restart");
    expect((await virsh(uri, ["lxc-enter-namespace", "rpc-c4", "--noseclabel", "/bin/hostname"])).stdout).toBe("rpc-c4\n\n");
    expect((await virsh(uri, ["destroy", "rpc-c4"])).code).toBe(0);
    expect((await virsh(uri, ["undefine", "rpc-c4"])).code).toBe(0);
  }, 60_000);
});
