// The stateful-driver base, driven by a small driver whose "domain" is a real process
// (`sleep`), so persistence and reconciliation are tested against real pids.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DomainTable, StatefulConnection, type DriverHooks } from "../../src/core/domains.ts";
import { ConnectListFlags as F, DomainState, LifecycleEventType, XmlFlags } from "../../src/core/driver.ts";
import { ErrorCode, ErrorDomain, VirError } from "../../src/core/errors.ts";

const roots: string[] = [];
const pids: number[] = [];
afterAll(() => {
  for (const p of pids) try { process.kill(p, "SIGKILL"); } catch {}
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

type Rt = { pid: number };
const hooks: DriverHooks<Rt> = {
  type: "Proc",
  errDomain: ErrorDomain.TEST,
  hypervisorVersion: async () => 1000000,
  capabilities: async () => "<capabilities/>",
  prepare(def) {
    if (def.type !== "lxc") throw new VirError(ErrorCode.CONFIG_UNSUPPORTED, ErrorDomain.TEST, `unsupported configuration: type '${def.type}'`);
  },
  async start(rec) {
    if (rec.def.os.init === "/fail") throw new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.TEST, "operation failed: init failed");
    const p = Bun.spawn(["sleep", "1000"]);
    pids.push(p.pid);
    p.unref();
    return { pid: p.pid };
  },
  async destroy(rec) {
    process.kill(rec.runtime!.pid, "SIGKILL");
    await Bun.sleep(20);
  },
  async reconcile(rec) {
    try { process.kill(rec.runtime!.pid, 0); } catch { return false; }
    // a zombie child of this test process still answers kill(0): look at its state
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${rec.runtime!.pid}/status`, "utf8"));
  },
};

const xml = (name: string, uuid: string, init = "/bin/sh") =>
  `<domain type='lxc'><name>${name}</name><uuid>${uuid}</uuid><memory>1024</memory><os><type>exe</type><init>${init}</init></os></domain>`;
const U1 = "11111111-2222-3333-4444-555555555555";
const U2 = "11111111-2222-3333-4444-666666666666";

async function open(root: string) {
  return new StatefulConnection<Rt>("proc:///embed", new DomainTable<Rt>(root, ErrorDomain.TEST), hooks).open();
}

describe("DomainTable + StatefulConnection", () => {
  const root = mkdtempSync(join(tmpdir(), "bunvirt-domains-"));
  roots.push(root);

  test("define, start, list flags, live vs inactive XML, ids", async () => {
    const c = await open(root);
    const events: number[] = [];
    c.onLifecycle((e) => events.push(e.event));
    const a = await c.defineXML(xml("a", U1));
    expect(a).toEqual({ name: "a", uuid: U1, id: -1 });
    expect(existsSync(join(root, "etc/a.xml"))).toBe(true);
    const started = await c.create(a);
    expect(started.id).toBeGreaterThan(0);
    expect(await c.getState(a)).toEqual({ state: DomainState.RUNNING, reason: 1 });
    expect((await c.getXMLDesc(a)).startsWith(`<domain type='lxc' id='${started.id}'>`)).toBe(true);
    expect((await c.getXMLDesc(a, XmlFlags.INACTIVE)).startsWith("<domain type='lxc'>\n")).toBe(true);
    const t = await c.createXML(xml("t", U2));
    expect(t.id).toBe(started.id + 1);
    expect((await c.listAllDomains(F.TRANSIENT)).map((d) => d.name)).toEqual(["t"]);
    expect((await c.listAllDomains(F.PERSISTENT | F.ACTIVE)).map((d) => d.name)).toEqual(["a"]);
    expect(events).toEqual([LifecycleEventType.DEFINED, LifecycleEventType.STARTED, LifecycleEventType.STARTED]);
  });

  test("state survives reopen; a dead runtime is reconciled to shut off", async () => {
    const c = await open(root);
    const a = await c.lookupByName("a");
    const t = await c.lookupByName("t");
    expect(a.id).toBeGreaterThan(0);
    const tRec = c.domains.byNameOrThrow("t");
    process.kill(tRec.runtime!.pid, "SIGKILL");
    await Bun.sleep(50);
    const c2 = await open(root);
    expect(c2.domains.byNameOrThrow("a").id).toBe(a.id);
    await expect(c2.lookupByName("t")).rejects.toThrow("Domain not found: no domain with matching name 't'");
    expect(t.id).toBeGreaterThan(0);
  });

  test("wrong state, duplicate uuid, transient undefine, failed start leave nothing", async () => {
    const c = await open(root);
    const a = await c.lookupByName("a");
    await expect(c.create(a)).rejects.toThrow("Requested operation is not valid: domain is already running");
    await expect(c.defineXML(xml("b", U1))).rejects.toThrow(`operation failed: domain 'a' is already defined with uuid ${U1}`);
    await expect(c.createXML(xml("f", U2, "/fail"))).rejects.toThrow("operation failed: init failed");
    expect(existsSync(join(root, "run/f.json"))).toBe(false);
    await expect(c.lookupByName("f")).rejects.toThrow(VirError);
    await expect(c.defineXML(`<domain type='kvm'><name>k</name><memory>1</memory><os><type>hvm</type></os></domain>`)).rejects.toThrow(
      "unsupported configuration: type 'kvm'",
    );
    expect(existsSync(join(root, "etc/k.xml"))).toBe(false);
  });

  test("undefine while running keeps it transient; destroy then forgets it", async () => {
    const c = await open(root);
    const a = await c.lookupByName("a");
    await c.setAutostart(a, true);
    expect(existsSync(join(root, "etc/autostart/a"))).toBe(true);
    await c.undefine(a);
    expect(existsSync(join(root, "etc/a.xml"))).toBe(false);
    expect(existsSync(join(root, "etc/autostart/a"))).toBe(false);
    expect(await c.isPersistent(a)).toBe(false);
    await c.destroy(a);
    await expect(c.lookupByName("a")).rejects.toThrow("no domain with matching name 'a'");
    await expect(c.destroy(a)).rejects.toThrow(VirError);
  });
});

describe("liveId hook", () => {
  const root = mkdtempSync(join(tmpdir(), "bunvirt-domains-liveid-"));
  roots.push(root);
  const withPid: DriverHooks<Rt> = { ...hooks, liveId: (rec) => rec.runtime!.pid };
  const openPid = () => new StatefulConnection<Rt>("proc:///embed", new DomainTable<Rt>(root, ErrorDomain.TEST), withPid).open();

  test("the driver's live id (here the pid) is the id of lookups, live XML and the state on disk", async () => {
    const c = await openPid();
    const d = await c.createXML(xml("p", U1));
    const pid = JSON.parse(readFileSync(join(root, "run/p.json"), "utf8")).runtime.pid as number;
    expect(d.id).toBe(pid);
    expect(await c.lookupByID(pid)).toEqual({ name: "p", uuid: U1, id: pid });
    expect((await c.getXMLDesc(d)).startsWith(`<domain type='lxc' id='${pid}'>`)).toBe(true);
    expect((await c.listAllDomains(F.ACTIVE)).map((x) => x.id)).toEqual([pid]);
    // a reopened table (a restarted daemon) keeps it
    const c2 = await openPid();
    expect(await c2.lookupByName("p")).toEqual({ name: "p", uuid: U1, id: pid });
    await c2.destroy(d);
    await expect(c2.lookupByID(pid)).rejects.toThrow(`no domain with matching id ${pid}`);
  });
});
