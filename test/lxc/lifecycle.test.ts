// define/start/destroy, reconnect from a new connection, supervisor footprint, fast destroy,
// and 200 start/destroy cycles without leaks. Needs root and busybox-static.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import type { Connection } from "../../src/core/driver.ts";
import { DomainState } from "../../src/core/driver.ts";
import { detectLayout } from "../../src/plugins/lxc/cgroup/index.ts";
import { domXml, haveBusybox, isRoot, makeBusyboxRoot, openEmbed, removeDir, destroyAllUnder, tempDir } from "./rootfs.ts";

const skip = !isRoot || !haveBusybox;
let dir = "", root = "", state = "", conn: Connection;

beforeAll(async () => {
  if (skip) return;
  dir = tempDir();
  root = makeBusyboxRoot(dir);
  state = `${dir}/state`;
  conn = await openEmbed(state);
});
afterAll(async () => {
  if (!dir) return;
  await destroyAllUnder(state);
  await destroyAllUnder(`${dir}/state2`);
  removeDir(dir);
});

const runtime = (name: string) => JSON.parse(readFileSync(`${state}/run/${name}.json`, "utf8")).runtime as { initPid: number; supervisorPid: number; pty: string };
/** running (not gone, not a zombie waiting for its parent to reap it) */
const running = (pid: number) => {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};
const mountCount = () => readFileSync("/proc/self/mountinfo", "utf8").split("\n").length;
const ourFds = () => readdirSync("/proc/self/fd").length;
const cgroupDirs = (uuid: string) => {
  const l = detectLayout();
  return [...new Set([...l.v1.values(), ...(l.v2 ? [l.v2] : [])])].flatMap((m) => (existsSync(`${m}/bunvirt/lxc-${uuid}`) ? [`${m}/bunvirt/lxc-${uuid}`] : []));
};
/** Processes whose command line mentions our rootfs or supervisor. */
const strayProcs = () =>
  readdirSync("/proc").filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      // ours only: other suites may run containers at the same time
      const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
      return running(Number(p)) && cmd.startsWith("bunvirt-supervisor") && cmd.includes(`${state}/`);
    } catch {
      return false;
    }
  });

describe.skipIf(skip)("container lifecycle (needs root + busybox-static)", () => {
  test("define, start, live XML, reconnect, no host fd leaks, destroy", async () => {
    const xml = domXml({ name: "life1", root, init: "/bin/sleep", args: ["300"] });
    const dom = await conn.defineXML(xml);
    expect((await conn.getState(dom)).state).toBe(DomainState.SHUTOFF);
    const started = await conn.create(dom);
    const rt = runtime("life1");
    // the domain id is init's host pid, as libvirt's LXC ids are host pids in the container's cgroups
    expect(started.id).toBe(rt.initPid);
    expect(await conn.lookupByID(rt.initPid)).toEqual(started);
    expect((await conn.listAllDomains(1)).map((d) => d.id)).toContain(rt.initPid);
    // init holds only the console as 0,1,2 (no host fd leaks)
    expect(readdirSync(`/proc/${rt.initPid}/fd`).sort()).toEqual(["0", "1", "2"]);
    expect(readFileSync(`/proc/${rt.initPid}/cmdline`, "utf8")).toBe("/bin/sleep\u0000300\u0000");
    const live = await conn.getXMLDesc(dom);
    expect(live).toContain(`<domain type='lxc' id='${started.id}'>`);
    expect(live).toContain(`<console type='pty' tty='${rt.pty}'>`);
    expect(live).toContain(`<source path='${rt.pty}'/>`);
    expect(live).toContain("<alias name='console0'/>");
    expect(await conn.getXMLDesc(dom, 2)).not.toContain("tty=");

    // a second connection (another CLI run, a restarted daemon) sees it running
    const conn2 = await openEmbed(state);
    const again = await conn2.lookupByName("life1");
    expect(again.id).toBe(started.id);
    expect((await conn2.getState(again)).state).toBe(DomainState.RUNNING);
    await conn2.destroy(again);
    expect(running(rt.initPid)).toBe(false);
    expect(running(rt.supervisorPid)).toBe(false);
    expect((await conn2.getState(again)).state).toBe(DomainState.SHUTOFF);
    // the first connection reconciles when it looks again
    const conn3 = await openEmbed(state);
    expect((await conn3.getState(await conn3.lookupByName("life1"))).state).toBe(DomainState.SHUTOFF);
    await conn3.undefine(await conn3.lookupByName("life1"));
  });

  test("the supervisor stays under 2 MiB PSS", async () => {
    const dom = await conn.createXML(domXml({ name: "pss1", root, init: "/bin/sleep", args: ["300"] }));
    try {
      const { supervisorPid } = runtime("pss1");
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${supervisorPid}/smaps_rollup`, "utf8"))![1]);
      const rss = Number(/^Rss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${supervisorPid}/smaps_rollup`, "utf8"))![1]);
      console.log(`supervisor PSS: ${pss} kB, RSS: ${rss} kB`);
      expect(pss).toBeLessThan(2048);
    } finally {
      await conn.destroy(dom);
    }
  });

  test("an init that ignores SIGTERM is destroyed in <= 50 ms", async () => {
    const dom = await conn.createXML(domXml({ name: "term1", root, args: ["-c", "trap '' TERM; while :; do sleep 1; done"] }));
    const { initPid } = runtime("term1");
    await Bun.sleep(50);
    const t0 = performance.now();
    await conn.destroy(dom);
    const ms = performance.now() - t0;
    console.log(`destroy: ${ms.toFixed(1)} ms`);
    expect(ms).toBeLessThanOrEqual(50);
    expect(running(initPid)).toBe(false);
  });

  test("shutdown signals init; the domain stops by itself", async () => {
    const dom = await conn.createXML(domXml({ name: "shut1", root, args: ["-c", "trap 'exit 0' TERM; while :; do sleep 0.1; done"] }));
    await Bun.sleep(100);
    await conn.shutdown(dom);
    expect(await conn.waitForStop!(dom)).toEqual({ exitStatus: 0 });
  });

  test("reboot sends SIGHUP to init (libvirt's signal method)", async () => {
    const dom = await conn.createXML(domXml({ name: "hup1", root, args: ["-c", "trap 'exit 42' HUP; while :; do sleep 0.1; done"] }));
    await Bun.sleep(100);
    await conn.reboot(dom);
    expect(await conn.waitForStop!(dom)).toEqual({ exitStatus: 42 });
  });

  test("200 start/destroy cycles leave no mount, cgroup, fd, process or file behind", async () => {
    const xml = domXml({ name: "cycle", root, init: "/bin/sleep", args: ["300"] });
    const dom = await conn.defineXML(xml);
    // warm-up: first start compiles the executor and opens the supervisor memfd
    await conn.create(dom);
    await conn.destroy(dom);
    const before = { mounts: mountCount(), fds: ourFds(), cgroups: cgroupDirs(dom.uuid).length, procs: strayProcs().length };
    for (let i = 0; i < 200; i++) {
      await conn.create(dom);
      await conn.destroy(dom);
    }
    await Bun.sleep(20);
    const after = { mounts: mountCount(), fds: ourFds(), cgroups: cgroupDirs(dom.uuid).length, procs: strayProcs().length };
    // fds: a lifecycle watcher socket of the warm-up run may still be open in `before`
    expect(after.fds).toBeLessThanOrEqual(before.fds);
    expect({ ...after, fds: 0 }).toEqual({ ...before, fds: 0 });
    expect(after.cgroups).toBe(0);
    expect(after.procs).toBe(0);
    expect(readdirSync(`${state}/run`).sort()).toEqual(["next-id"]);
    await conn.undefine(dom);
  }, 120_000);
});

describe.skipIf(skip)("containers outlive the CLI (needs root + busybox-static)", () => {
  test("`create` from a CLI process that exits; another process attaches, suspends, destroys", async () => {
    const bun = `${import.meta.dir}/../../node_modules/.bin/bun`;
    const main = `${import.meta.dir}/../../src/main.ts`;
    const file = `${dir}/cli1.xml`;
    await Bun.write(file, domXml({ name: "cli1", root, args: ["-c", "while :; do read x; echo got:$x; done"] }));
    const uri = `lxc:///embed?root=${state}`;
    const r = Bun.spawnSync([bun, main, "-c", uri, "create", file], { stderr: "pipe", stdout: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    // the CLI is gone; the container runs on under its supervisor
    const c2 = await openEmbed(state);
    const dom = await c2.lookupByName("cli1");
    expect((await c2.getState(dom)).state).toBe(DomainState.RUNNING);
    const { initPid, supervisorPid } = runtime("cli1");
    expect(running(initPid) && running(supervisorPid)).toBe(true);
    // console from this process: input reaches init, output comes back
    const cs = await c2.openConsole!(dom);
    const { writeFd, readFd } = await import("../../src/ffi/exec/index.ts");
    writeFd(cs.fd, "hello\n");
    let out = "";
    for (let i = 0; i < 50 && !out.includes("got:hello"); i++) out += readFd(cs.fd, 4096, 100)?.toString() ?? "";
    expect(out).toContain("got:hello");
    cs.close();
    // suspend/resume through the freezer
    await c2.suspend(dom);
    expect((await c2.getState(dom)).state).toBe(DomainState.PAUSED);
    const freezer = detectLayout().v1.get("freezer");
    if (freezer) expect(readFileSync(`${freezer}/bunvirt/lxc-${dom.uuid}/freezer.state`, "utf8")).toBe("FROZEN\n");
    await c2.resume(dom);
    expect((await c2.getState(dom)).state).toBe(DomainState.RUNNING);
    // destroying a paused container works too (it is thawed so SIGKILL can land)
    await c2.suspend(dom);
    const t0 = performance.now();
    await c2.destroy(dom);
    expect(performance.now() - t0).toBeLessThan(500);
    expect(running(initPid)).toBe(false);
  });
});

describe.skipIf(skip)("state reconciled on open (needs root + busybox-static)", () => {
  test("a container that ended while no bunvirt process watched is shut off and cleaned up at the next open", async () => {
    const bun = `${import.meta.dir}/../../node_modules/.bin/bun`;
    const main = `${import.meta.dir}/../../src/main.ts`;
    const st2 = `${dir}/state2`;
    const file = `${dir}/short.xml`;
    await Bun.write(file, domXml({ name: "short1", root, init: "/bin/sleep", args: ["0.3"] }));
    const r = Bun.spawnSync([bun, main, "-c", `lxc:///embed?root=${st2}`, "define", file], { stderr: "pipe" });
    expect(r.exitCode).toBe(0);
    const r2 = Bun.spawnSync([bun, main, "-c", `lxc:///embed?root=${st2}`, "start", "short1"], { stderr: "pipe" });
    expect(r2.stderr.toString()).toBe("");
    const uuid = JSON.parse(readFileSync(`${st2}/run/short1.json`, "utf8")).xml.match(/<uuid>([^<]+)</)[1];
    await Bun.sleep(600);
    // the supervisor recorded the exit and left; nobody has cleaned up the driver's state yet
    expect(readdirSync(`${st2}/run`).sort()).toEqual(["next-id", "short1.json", "short1.status"]);
    const c = await openEmbed(st2);
    const dom = await c.lookupByName("short1");
    expect(await c.getState(dom)).toEqual({ state: DomainState.SHUTOFF, reason: 8 /* SHUTOFF_DAEMON: found stopped */ });
    expect(readdirSync(`${st2}/run`).sort()).toEqual(["next-id"]);
    const mem = detectLayout().v1.get("memory");
    if (mem) expect(existsSync(`${mem}/bunvirt/lxc-${uuid}`)).toBe(false);
  });
});
