// The daemon in this process over a FakeConnection: fds riding SCM_RIGHTS in both directions,
// lifecycle events, keepalive, and our own client (openRemote) end to end.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDaemon, type DaemonHandle } from "../../src/core/daemon/index.ts";
import { openRemote, RemoteConnection } from "../../src/core/rpc/client.ts";
import { parseUri } from "../../src/core/uri.ts";
import { LifecycleEventType, type Connection, type LifecycleEvent } from "../../src/core/driver.ts";
import { FakeConnection } from "./fake.ts";
import { cleanup, hasVirsh, tempRoot, virsh } from "./helpers.ts";

const XML = (name: string, uuid: string) => `<domain type='test'><name>${name}</name><uuid>${uuid}</uuid></domain>`;

describe("daemon in-process (fake driver)", () => {
  let root: string;
  let d: DaemonHandle;
  let fake: FakeConnection;
  const logs: string[] = [];
  const opened: string[] = [];
  beforeAll(async () => {
    root = tempRoot("inproc");
    fake = new FakeConnection();
    // namespace fds: two pipes' read ends stand in for /proc/PID/ns/* files
    (fake as any).lxcOpenNamespace = async () => {
      const a = join(root, "ns-a"), b = join(root, "ns-b");
      writeFileSync(a, "ns-a-content");
      writeFileSync(b, "ns-b-content");
      return [openSync(a, "r"), openSync(b, "r")];
    };
    d = await runDaemon({ root, open: async (u) => (opened.push(u), fake), log: (m) => logs.push(m), handleSignals: false });
  });
  afterAll(async () => {
    await d.close();
    cleanup(root);
  });

  test("lxc:///system is opened under the daemon root", async () => {
    const c = await openRemote(parseUri(`lxc+unix:///system?socket=${d.rwSocket}`));
    expect(c.getType()).toBe("Test");
    expect(opened).toContain(`lxc:///embed?root=${encodeURIComponent(join(root, "lxc"))}`);
    await c.close();
  });

  test.skipIf(!hasVirsh)("virsh create --pass-fds: the fd reaches the driver over SCM_RIGHTS", async () => {
    const xmlFile = join(root, "p.xml");
    writeFileSync(xmlFile, XML("passer", "22222222-2222-2222-2222-222222222222"));
    const payload = join(root, "payload");
    writeFileSync(payload, "hello through SCM_RIGHTS");
    const fd = openSync(payload, "r");
    try {
      const r = await virsh(`test+unix:///default?socket=${d.rwSocket}`, ["create", xmlFile, "--pass-fds", "3"], { fds: [fd] });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(`Domain 'passer' created from ${xmlFile}\n\n`);
    } finally {
      closeSync(fd);
    }
    expect(fake.lastFdContents).toEqual(["hello through SCM_RIGHTS"]);
    const c = await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`));
    await c.destroy(await c.lookupByName("passer"));
    await c.close();
  });

  test("client: create with fds, lxcOpenNamespace returns fds (REPLY_WITH_FDS)", async () => {
    const c = await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`));
    const f1 = join(root, "f1"), f2 = join(root, "f2");
    writeFileSync(f1, "one");
    writeFileSync(f2, "two");
    const fds = [openSync(f1, "r"), openSync(f2, "r")];
    const dom = await c.createXML(XML("withfds", "33333333-3333-3333-3333-333333333333"), 0, fds);
    fds.forEach(closeSync);
    expect(dom.name).toBe("withfds");
    expect(dom.id).toBeGreaterThan(0);
    expect(fake.lastFdContents).toEqual(["one", "two"]);
    const ns = await c.lxcOpenNamespace!(dom);
    expect(ns.map((fd) => readFileSync(`/proc/self/fd/${fd}`, "utf8"))).toEqual(["ns-a-content", "ns-b-content"]);
    ns.forEach(closeSync);
    await c.destroy(dom);
    await c.close();
  });

  test("lifecycle events reach a remote listener", async () => {
    const c = (await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`))) as RemoteConnection;
    const got: LifecycleEvent[] = [];
    c.onLifecycle((ev) => got.push(ev));
    await Bun.sleep(50); // registration is a round trip
    const dom = await c.defineXML(XML("evented", "44444444-4444-4444-4444-444444444444"));
    await c.create(dom);
    await c.destroy(dom);
    await c.undefine(dom);
    for (let i = 0; i < 100 && got.length < 4; i++) await Bun.sleep(10);
    expect(got.map((e) => [e.dom.name, e.event])).toEqual([
      ["evented", LifecycleEventType.DEFINED],
      ["evented", LifecycleEventType.STARTED],
      ["evented", LifecycleEventType.STOPPED],
      ["evented", LifecycleEventType.UNDEFINED],
    ]);
    await c.close();
  });

  test("errors keep their code and domain across the wire", async () => {
    const c = await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`));
    const e = await c.lookupByName("nosuch").catch((x) => x);
    expect([e.code, e.domain, e.message]).toEqual([42, 20, "Domain not found: no domain with matching name 'nosuch'"]);
    await c.close();
  });

  test("read-only socket: lookups work, changes get OPERATION_DENIED", async () => {
    const c: Connection = await openRemote(parseUri(`test+unix:///default?socket=${d.roSocket}`));
    expect(Array.isArray(await c.listAllDomains())).toBe(true);
    const e = await c.defineXML(XML("nope", "55555555-5555-5555-5555-555555555555")).catch((x) => x);
    expect([e.code, e.message]).toEqual([29, "operation forbidden: read only access prevents virDomainDefineXMLFlags"]);
    await c.close();
  });

  test("keepalive PING gets a PONG", async () => {
    const { connect } = await import("node:net");
    const ping = new Uint8Array(28);
    const dv = new DataView(ping.buffer);
    dv.setUint32(0, 28);
    dv.setUint32(4, 0x6b656570);
    dv.setUint32(8, 1);
    dv.setUint32(12, 1); // PING
    dv.setUint32(16, 2); // MESSAGE
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = connect(d.rwSocket);
      s.on("connect", () => s.write(ping));
      s.on("data", (b) => (s.destroy(), resolve(b as Buffer)));
      s.on("error", reject);
    });
    expect(reply.toString("hex")).toBe("0000001c" + "6b656570" + "00000001" + "00000002" + "00000002" + "00000000" + "00000000");
  });
});

describe("console streams (fake driver)", () => {
  let root: string;
  let d: DaemonHandle;
  let fake: FakeConnection;
  beforeAll(async () => {
    root = tempRoot("console");
    fake = new FakeConnection();
    d = await runDaemon({ root, open: async () => fake, log: () => {}, handleSignals: false });
  });
  afterAll(async () => {
    await d.close();
    cleanup(root);
  });

  /** Read from fd until `want` appears (the console fd is a blocking socket). */
  async function readUntil(fd: number, want: string): Promise<string> {
    const { poll, read, POLLIN } = await import("../../src/ffi/libc.ts");
    const buf = new Uint8Array(4096);
    let text = "";
    for (let i = 0; i < 200 && !text.includes(want); i++) {
      const p = [{ fd, events: POLLIN }];
      if (poll(p, 0) > 0) {
        const n = read(fd, buf);
        if (n <= 0) break;
        text += new TextDecoder().decode(buf.subarray(0, n));
      } else await Bun.sleep(10);
    }
    return text;
  }

  test("client openConsole: output, input and hang-up ride STREAM packets", async () => {
    const { write, read } = await import("../../src/ffi/libc.ts");
    const c = await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`));
    const dom = await c.createXML(XML("talker", "66666666-6666-6666-6666-666666666666"));
    const cs = await c.openConsole!(dom);
    expect(await readUntil(cs.fd, "\n")).toBe("hello from talker\n");
    write(cs.fd, "ping\n");
    expect(await readUntil(cs.fd, "PING\n")).toBe("PING\n");
    // the guest hangs up: the daemon ends the stream (STREAM OK) and our end sees EOF
    write(cs.fd, "bye\n");
    await Bun.sleep(100);
    expect(read(cs.fd, new Uint8Array(16))).toBe(0);
    cs.close();
    expect(fake.consoleInput).toBe("ping\nbye\n");
    // a second console on the same domain works: consoles can be reattached
    const cs2 = await c.openConsole!(dom);
    expect(await readUntil(cs2.fd, "\n")).toBe("hello from talker\n");
    cs2.close();
    await c.destroy(dom);
    await c.close();
  });

  test("read-only clients cannot open a console", async () => {
    const rw = await openRemote(parseUri(`test+unix:///default?socket=${d.rwSocket}`));
    const dom = await rw.createXML(XML("quiet", "77777777-7777-7777-7777-777777777777"));
    const ro = await openRemote(parseUri(`test+unix:///default?socket=${d.roSocket}`));
    const e = await ro.openConsole!(dom).catch((x) => x);
    expect([e.code, e.message]).toEqual([29, "operation forbidden: read only access prevents virDomainOpenConsole"]);
    await rw.destroy(dom);
    await ro.close();
    await rw.close();
  });
});

describe("what a client may open", () => {
  test("embed roots, test-driver files, sessions and parameters are refused", async () => {
    const root = tempRoot("served");
    const d = await runDaemon({ root, open: async () => new FakeConnection(), log: () => {}, handleSignals: false });
    try {
      for (const name of ["lxc:///embed?root=/etc", "test:///etc/passwd", "qemu:///session", "lxc:///system?x=1"]) {
        const e = await openRemote(parseUri(`lxc+unix:///system?socket=${d.roSocket}&name=${encodeURIComponent(name)}`)).catch((x) => x);
        expect([e.code, e.message]).toEqual([5, `no connection driver available for ${name}: the daemon serves DRIVER:///system and DRIVER:///default URIs only`]);
      }
      const ok = await openRemote(parseUri(`qemu+unix:///system?socket=${d.roSocket}`));
      await ok.close();
    } finally {
      await d.close();
      cleanup(root);
    }
  });
});
