// A small in-memory Connection for protocol tests that must not depend on a real driver.
import { ConnectListFlags, DomainState, LifecycleEventType, type Connection, type DomainRef, type LifecycleEvent } from "../../src/core/driver.ts";
import { errors } from "../../src/core/errors.ts";

interface Dom {
  name: string;
  uuid: string;
  id: number;
  xml: string;
  state: number;
  persistent: boolean;
  autostart: boolean;
}

export class FakeConnection implements Connection {
  readonly uri = "test:///default";
  private doms = new Map<string, Dom>();
  private nextId = 1;
  private listeners = new Set<(ev: LifecycleEvent) => void>();
  /** fds received by the last create/createXML, as fstat-able copies the test can inspect. */
  lastFds: number[] = [];
  lastFdContents: string[] = [];

  getType() { return "Test"; }
  async getVersion() { return 9_000_000; }
  async getHostname() { return "fakehost"; }
  async getCapabilities() { return "<capabilities>\n  <host/>\n</capabilities>\n"; }

  private ref(d: Dom): DomainRef { return { name: d.name, uuid: d.uuid, id: d.id }; }
  private find(r: DomainRef): Dom {
    const d = this.doms.get(r.uuid);
    if (!d) throw errors.noDomain(`no domain with matching uuid '${r.uuid}' (${r.name})`);
    return d;
  }
  private emit(d: Dom, event: number, detail = 0) {
    for (const l of this.listeners) l({ dom: this.ref(d), event, detail });
  }
  private parse(xml: string) {
    const name = /<name>([^<]+)<\/name>/.exec(xml)?.[1];
    if (!name) throw errors.xml("missing name");
    const uuid = /<uuid>([^<]+)<\/uuid>/.exec(xml)?.[1] ?? crypto.randomUUID();
    return { name, uuid };
  }

  async listAllDomains(flags = 0) {
    let ds = [...this.doms.values()];
    if (flags & ConnectListFlags.ACTIVE && !(flags & ConnectListFlags.INACTIVE)) ds = ds.filter((d) => d.id > 0);
    if (flags & ConnectListFlags.INACTIVE && !(flags & ConnectListFlags.ACTIVE)) ds = ds.filter((d) => d.id < 0);
    return ds.map((d) => this.ref(d));
  }
  async lookupByName(name: string) {
    for (const d of this.doms.values()) if (d.name === name) return this.ref(d);
    throw errors.noDomain(`no domain with matching name '${name}'`);
  }
  async lookupByUUID(uuid: string) { return this.ref(this.find({ name: "", uuid, id: -1 })); }
  async lookupByID(id: number) {
    for (const d of this.doms.values()) if (d.id === id) return this.ref(d);
    throw errors.noDomain(`no domain with matching id ${id}`);
  }
  async defineXML(xml: string) {
    const { name, uuid } = this.parse(xml);
    const d: Dom = this.doms.get(uuid) ?? { name, uuid, id: -1, xml, state: DomainState.SHUTOFF, persistent: true, autostart: false };
    d.xml = xml;
    d.persistent = true;
    this.doms.set(uuid, d);
    this.emit(d, LifecycleEventType.DEFINED);
    return this.ref(d);
  }
  async undefine(r: DomainRef) {
    const d = this.find(r);
    if (d.id > 0) d.persistent = false;
    else this.doms.delete(d.uuid);
    this.emit(d, LifecycleEventType.UNDEFINED);
  }
  private start(d: Dom, fds?: number[]) {
    if (d.id > 0) throw errors.operationInvalid("domain is already running");
    d.id = this.nextId++;
    d.state = DomainState.RUNNING;
    this.lastFds = fds ?? [];
    this.lastFdContents = (fds ?? []).map((fd) => {
      try {
        return require("node:fs").readFileSync(`/proc/self/fd/${fd}`, "utf8");
      } catch (e) {
        return `<${(e as Error).message}>`;
      }
    });
    this.emit(d, LifecycleEventType.STARTED);
    return this.ref(d);
  }
  async create(r: DomainRef, _flags = 0, fds?: number[]) { return this.start(this.find(r), fds); }
  async createXML(xml: string, _flags = 0, fds?: number[]) {
    const { name, uuid } = this.parse(xml);
    const d: Dom = { name, uuid, id: -1, xml, state: DomainState.SHUTOFF, persistent: false, autostart: false };
    this.doms.set(uuid, d);
    return this.start(d, fds);
  }
  async destroy(r: DomainRef) {
    const d = this.find(r);
    if (d.id < 0) throw errors.operationInvalid("domain is not running");
    d.id = -1;
    d.state = DomainState.SHUTOFF;
    this.emit(d, LifecycleEventType.STOPPED, 1);
    if (!d.persistent) this.doms.delete(d.uuid);
  }
  async shutdown(r: DomainRef) { return this.destroy(r); }
  async reboot(r: DomainRef) { this.find(r); }
  async suspend(r: DomainRef) { this.find(r).state = DomainState.PAUSED; }
  async resume(r: DomainRef) { this.find(r).state = DomainState.RUNNING; }
  async getInfo(r: DomainRef) {
    const d = this.find(r);
    return { state: d.state, maxMem: 1048576, memory: 524288, nrVirtCpu: 2, cpuTime: 123456789n };
  }
  async getState(r: DomainRef) { return { state: this.find(r).state, reason: 1 }; }
  async getXMLDesc(r: DomainRef) { return this.find(r).xml; }
  async getAutostart(r: DomainRef) { return this.find(r).autostart; }
  async setAutostart(r: DomainRef, on: boolean) { this.find(r).autostart = on; }
  async isActive(r: DomainRef) { return this.find(r).id > 0; }
  async isPersistent(r: DomainRef) { return this.find(r).persistent; }
  async getOSType(r: DomainRef) { this.find(r); return "linux"; }
  /** A console whose "guest" greets, then echoes input upper-cased; "bye" hangs up. */
  consoleInput = "";
  async openConsole(r: DomainRef) {
    const d = this.find(r);
    if (d.id < 0) throw errors.operationInvalid("domain is not running");
    const { socketpair, AF_UNIX, SOCK_STREAM, SOCK_CLOEXEC, closeQuiet, write } = await import("../../src/ffi/libc.ts");
    const { FdReader } = await import("../../src/ffi/unixsock.ts");
    const [ours, theirs] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    write(ours, `hello from ${d.name}\n`);
    const guest = new FdReader(ours, (b) => {
      const text = new TextDecoder().decode(b);
      this.consoleInput += text;
      if (text.includes("bye")) {
        guest.close();
        closeQuiet(ours);
        return;
      }
      guest.write(new TextEncoder().encode(text.toUpperCase()));
    }, () => closeQuiet(ours));
    return { fd: theirs, close: () => closeQuiet(theirs) };
  }
  onLifecycle(cb: (ev: LifecycleEvent) => void) {
    this.listeners.add(cb);
    return () => void this.listeners.delete(cb);
  }
  async close() {}
}
