// libvirt's test driver (test:///default): in-memory, no privileges, one running domain `test`
// with id 1. State is shared by every connection in the process, as libvirt's defaultConn is,
// and is lost when the process ends. test:///PATH loads a <node> file instead (every domain in
// it running). Behaviour and messages follow libvirt 9.0's test_driver.c.

import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { formatCapabilities } from "../../core/capabilities.ts";
import { parseXmlDocument, toXmlString } from "../../core/conf/xml.ts";
import type { DomainDef, InterfaceDev } from "../../core/conf/index.ts";
import type { Connection, DomainRef, DriverPlugin, GuestCaps, HostApi, LifecycleEvent } from "../../core/driver.ts";
import type { ParsedUri } from "../../core/uri.ts";
import { DEFAULT_DOMAIN_XML, testHostCaps } from "./default.ts";

/** virDomain<State>Reason values the test driver reports. */
const R = { UNKNOWN: 0, BOOTED: 1, UNPAUSED: 5, USER: 1, SHUTDOWN: 1, DESTROYED: 2 } as const;
/** virDomainEventType / detail codes. */
const EV = { DEFINED: 0, UNDEFINED: 1, STARTED: 2, SUSPENDED: 3, RESUMED: 4, STOPPED: 5 } as const;

interface Dom {
  def: DomainDef;
  /** Persistent config while running with a live def (libvirt's newDef). */
  newDef?: DomainDef;
  persistent: boolean;
  autostart: boolean;
  id: number;
  state: number;
  reason: number;
}

const GUESTS: GuestCaps[] = ["hvm", "xen"].map((osType) => ({
  osType,
  arch: "i686",
  wordsize: 32,
  emulator: "/usr/bin/test-hv",
  domains: [{ type: "test" }],
  features: ["pae", "nonpae"],
}));

class TestState {
  readonly doms: Dom[] = [];
  nextId = 1;
  readonly listeners = new Set<(ev: LifecycleEvent) => void>();
  constructor(readonly host: HostApi) {}
}

export default function testPlugin(host: HostApi): DriverPlugin {
  const { errors, DomainState: S, conf } = host;
  let shared: TestState | undefined;

  /** Test-driver defaults applied after parse (testDomainDefPostParse + generic defaults). */
  const postParse = (def: DomainDef): DomainDef => {
    def.vcpu.placement ??= "static";
    if (def.os.type === "hvm") {
      def.os.arch ??= "i686";
      if (!def.os.boot.length && !def.os.kernel) def.os.boot = ["hd"];
    }
    def.onPoweroff ??= "destroy";
    def.onReboot ??= "restart";
    def.onCrash ??= "destroy";
    return def;
  };
  const parse = (xml: string, validate = false) => postParse(conf.parseDomainXml(xml, { validate }));

  /** virCheckFlags: INVALID_ARG, worded without the usual "invalid argument:" prefix. */
  const checkFlags = (flags: number, allowed: number, fn: string) => {
    const bad = flags & ~allowed;
    if (bad) throw new host.VirError(host.ErrorCode.INVALID_ARG, host.ErrorDomain.TEST, `unsupported flags (0x${bad.toString(16)}) in function ${fn}`);
  };

  /** testDomainGenerateIfnames: interfaces without a target dev get the lowest free testnetN. */
  const generateIfnames = (def: DomainDef) => {
    const nets = def.devices.filter((d): d is InterfaceDev => d.kind === "interface");
    const used = new Set(nets.map((n) => n.target?.dev).filter(Boolean));
    for (const n of nets) {
      if (n.target?.dev) continue;
      let i = 0;
      while (used.has(`testnet${i}`)) i++;
      n.target = { ...n.target, dev: `testnet${i}` };
      used.add(n.target.dev);
    }
  };

  /** A state whose domains are all running (reason unknown), as libvirt's test driver loads them. */
  function init(defs: DomainDef[], reason: number): TestState {
    const st = new TestState(host);
    for (const def of defs) {
      generateIfnames(def);
      st.doms.push({ def, persistent: true, autostart: false, id: st.nextId++, state: S.RUNNING, reason });
    }
    return st;
  }

  /** test:///PATH: a <node> document whose <domain> children (inline or file='...') are loaded. */
  function fromFile(path: string): TestState {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      throw errors.xml(`failed to parse xml document '${path}'`);
    }
    const root = parseXmlDocument(text);
    if (root.name !== "node") throw errors.xml(`expecting root element of 'node', not '${root.name}'`);
    const defs = root.children
      .filter((c) => c.name === "domain")
      .map((c) => {
        // relative file= references resolve against the node file, as in libvirt
        const file = c.attrs.file;
        return parse(file ? readFileSync(resolve(dirname(path), file), "utf8") : toXmlString(c));
      });
    return init(defs, R.UNKNOWN);
  }

  class TestConnection implements Connection {
    constructor(
      readonly uri: string,
      private readonly st: TestState,
    ) {}
    private ref = (d: Dom): DomainRef => ({ name: d.def.name, uuid: d.def.uuid, id: d.id });
    private emit(d: Dom, event: number, detail: number) {
      const ev = { dom: this.ref(d), event, detail };
      for (const cb of this.st.listeners) cb(ev);
    }
    private get(ref: DomainRef): Dom {
      const d = this.st.doms.find((x) => x.def.uuid === ref.uuid) ?? (ref.uuid ? undefined : this.st.doms.find((x) => x.def.name === ref.name));
      if (!d) throw errors.noDomain(`no domain with matching uuid '${ref.uuid}' (${ref.name})`);
      return d;
    }
    private active(ref: DomainRef): Dom {
      const d = this.get(ref);
      if (d.id < 0) throw errors.operationInvalid("domain is not running");
      return d;
    }
    private drop(d: Dom) {
      const i = this.st.doms.indexOf(d);
      if (i >= 0) this.st.doms.splice(i, 1);
    }
    /** Stop a running domain; a transient one disappears, a persistent one gets its config back. */
    private stop(d: Dom, reason: number, detail: number) {
      d.id = -1;
      d.state = S.SHUTOFF;
      d.reason = reason;
      if (d.newDef) {
        d.def = d.newDef;
        d.newDef = undefined;
      }
      this.emit(d, EV.STOPPED, detail);
      if (!d.persistent) this.drop(d);
    }
    private start(d: Dom) {
      generateIfnames(d.def);
      d.id = this.st.nextId++;
      d.state = S.RUNNING;
      d.reason = R.BOOTED;
      this.emit(d, EV.STARTED, 0);
    }
    /** virDomainObjListAdd's uniqueness rules. */
    private add(def: DomainDef, live: boolean): { dom: Dom; existed: boolean } {
      const byUuid = this.st.doms.find((x) => x.def.uuid === def.uuid);
      if (byUuid) {
        if (byUuid.def.name !== def.name) {
          throw errors.operationFailed(`domain '${byUuid.def.name}' is already defined with uuid ${def.uuid}`);
        }
        if (live && byUuid.id >= 0) throw errors.operationInvalid(`domain '${def.name}' is already active`);
        return { dom: byUuid, existed: true };
      }
      const byName = this.st.doms.find((x) => x.def.name === def.name);
      if (byName) throw errors.operationFailed(`domain '${def.name}' already exists with uuid ${byName.def.uuid}`);
      const dom: Dom = { def, persistent: false, autostart: false, id: -1, state: S.SHUTOFF, reason: R.UNKNOWN };
      this.st.doms.push(dom);
      return { dom, existed: false };
    }

    getType() {
      return "TEST";
    }
    async getVersion() {
      return 2; // libvirt's test driver reports hypervisor 0.0.2
    }
    async getHostname() {
      return (await import("node:os")).hostname();
    }
    async getCapabilities() {
      return formatCapabilities(testHostCaps(), GUESTS);
    }
    async listAllDomains(flags = 0) {
      const ACTIVE = 1, INACTIVE = 2, PERSISTENT = 4, TRANSIENT = 8, AUTOSTART = 64, NO_AUTOSTART = 128;
      return this.st.doms
        .filter((d) => {
          const on = d.id >= 0;
          if (flags & (ACTIVE | INACTIVE) && !((flags & ACTIVE && on) || (flags & INACTIVE && !on))) return false;
          if (flags & (PERSISTENT | TRANSIENT) && !((flags & PERSISTENT && d.persistent) || (flags & TRANSIENT && !d.persistent))) return false;
          if (flags & (AUTOSTART | NO_AUTOSTART) && !((flags & AUTOSTART && d.autostart) || (flags & NO_AUTOSTART && !d.autostart))) return false;
          return true;
        })
        .map(this.ref);
    }
    async lookupByName(name: string) {
      const d = this.st.doms.find((x) => x.def.name === name);
      if (!d) throw errors.noDomain(`no domain with matching name '${name}'`);
      return this.ref(d);
    }
    async lookupByUUID(uuid: string) {
      const d = this.st.doms.find((x) => x.def.uuid === uuid.toLowerCase());
      if (!d) throw errors.noDomain(`no domain with matching uuid '${uuid}'`);
      return this.ref(d);
    }
    async lookupByID(id: number) {
      const d = this.st.doms.find((x) => x.id === id && id >= 0);
      if (!d) throw errors.noDomain(`no domain with matching id ${id}`);
      return this.ref(d);
    }

    async defineXML(xml: string, flags = 0) {
      const def = parse(xml, !!(flags & 1));
      const { dom, existed } = this.add(def, false);
      if (existed && dom.id >= 0) dom.newDef = def;
      else dom.def = def;
      dom.persistent = true;
      this.emit(dom, EV.DEFINED, existed ? 1 : 0);
      return this.ref(dom);
    }
    async undefine(ref: DomainRef) {
      const d = this.get(ref);
      // libvirt 9.0's test driver undefines transient domains too: it only drops persistence
      d.persistent = false;
      d.autostart = false;
      d.newDef = undefined;
      this.emit(d, EV.UNDEFINED, 0);
      if (d.id < 0) this.drop(d);
    }
    async create(ref: DomainRef, flags = 0) {
      checkFlags(flags, 0, "testDomainCreateWithFlags");
      const d = this.get(ref);
      if (d.id >= 0) throw errors.operationInvalid(`Domain '${d.def.name}' is already running`);
      this.start(d);
      return this.ref(d);
    }
    async createXML(xml: string, flags = 0) {
      checkFlags(flags, 16, "testDomainCreateXML"); // only VIR_DOMAIN_START_VALIDATE
      const def = parse(xml, !!(flags & 16));
      const { dom, existed } = this.add(def, true);
      if (existed) {
        dom.newDef = dom.def;
        dom.def = def;
      }
      this.start(dom);
      return this.ref(dom);
    }
    async destroy(ref: DomainRef) {
      this.stop(this.active(ref), R.DESTROYED, 1);
    }
    async shutdown(ref: DomainRef, flags = 0) {
      checkFlags(flags, 0, "testDomainShutdownFlags");
      const d = this.get(ref);
      if (d.state !== S.RUNNING) throw errors.internal(`domain '${d.def.name}' not running`);
      this.stop(d, R.SHUTDOWN, 0);
    }
    async reboot(ref: DomainRef) {
      const d = this.active(ref);
      // on_reboot=restart: the domain comes straight back; destroy-style actions stop it
      if (d.def.onReboot === "destroy" || d.def.onReboot === "preserve") this.stop(d, R.SHUTDOWN, 0);
      else {
        d.state = S.RUNNING;
        d.reason = R.BOOTED;
      }
    }
    async suspend(ref: DomainRef) {
      const d = this.get(ref);
      if (d.state !== S.RUNNING) throw errors.internal(`domain '${d.def.name}' not running`);
      d.state = S.PAUSED;
      d.reason = R.USER;
      this.emit(d, EV.SUSPENDED, 0);
    }
    async resume(ref: DomainRef) {
      const d = this.get(ref);
      if (d.state !== S.PAUSED) throw errors.internal(`domain '${d.def.name}' not paused`);
      d.state = S.RUNNING;
      d.reason = R.UNPAUSED;
      this.emit(d, EV.RESUMED, 0);
    }
    async getInfo(ref: DomainRef) {
      const d = this.get(ref);
      const now = BigInt(Date.now()) * 1_000_000n; // libvirt's test driver reports wall-clock time as cpu time
      return { state: d.state, maxMem: d.def.memory, memory: d.def.currentMemory ?? d.def.memory, nrVirtCpu: d.def.vcpu.current ?? d.def.vcpu.count, cpuTime: now };
    }
    async getState(ref: DomainRef) {
      const d = this.get(ref);
      return { state: d.state, reason: d.reason };
    }
    async getXMLDesc(ref: DomainRef, flags = 0) {
      const d = this.get(ref);
      if (flags & 2 || d.id < 0) return conf.formatDomainXml(d.newDef ?? d.def, { inactive: true });
      return conf.formatDomainXml(d.def, { id: d.id });
    }
    async getAutostart(ref: DomainRef) {
      return this.get(ref).autostart;
    }
    async setAutostart(ref: DomainRef, on: boolean) {
      this.get(ref).autostart = on;
    }
    async isActive(ref: DomainRef) {
      return this.get(ref).id >= 0;
    }
    async isPersistent(ref: DomainRef) {
      return this.get(ref).persistent;
    }
    async getOSType() {
      return "linux";
    }
    async getSecurityModel() {
      return { model: "testSecurity", doi: "" };
    }
    async getSecurityLabel(ref: DomainRef) {
      return this.get(ref).id >= 0 ? { label: "libvirt-test", enforcing: true } : { label: "", enforcing: false };
    }
    async hasManagedSaveImage() {
      return false;
    }
    onLifecycle(cb: (ev: LifecycleEvent) => void) {
      this.st.listeners.add(cb);
      return () => void this.st.listeners.delete(cb);
    }
    async close() {}
  }

  return {
    name: "test",
    schemes: ["test"],
    domainTypes: ["test"],
    guests: () => GUESTS,
    async open(uri: ParsedUri) {
      if (uri.path === "/default") {
        // one shared state per process, like libvirt's defaultConn
        shared ??= init([parse(DEFAULT_DOMAIN_XML)], R.UNKNOWN);
        return new TestConnection(uri.raw, shared);
      }
      if (!uri.path || uri.path === "/") throw errors.invalidArg("testOpen: supply a path or use test:///default");
      return new TestConnection(uri.raw, fromFile(uri.path));
    },
  };
}
