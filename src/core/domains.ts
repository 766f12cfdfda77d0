// The stateful-driver base shared by the LXC and QEMU drivers: a table of domains whose
// persistent configs and live state live on disk under one root, so domains outlive the CLI
// and a daemon restart. A driver supplies only the hooks that touch the hypervisor; this file
// implements the rest of the Connection API (lookups, define/undefine, autostart, states,
// lifecycle events) once, the way libvirt's virDomainObjList does.
//
// Layout under `root`:
//   etc/NAME.xml           persistent config (inactive XML)
//   etc/autostart/NAME     present when autostart is on
//   run/NAME.json          live state of a running domain (id, state, reason, live XML, runtime)
//   run/next-id            the next domain id (ids grow across CLI processes, as in libvirt)

import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { hostname } from "node:os";
import { formatDomainXml, parseDomainXml, type DomainDef } from "./conf/index.ts";
import { errors, VirError } from "./errors.ts";
import {
  ConnectListFlags,
  DefineFlags,
  DomainState,
  LifecycleEventType,
  XmlFlags,
  type Connection,
  type DomainInfo,
  type DomainRef,
  type DomainStateInfo,
  type LifecycleEvent,
} from "./driver.ts";

/** virDomain*Reason values we report. */
export const Reason = {
  RUNNING_BOOTED: 1,
  RUNNING_UNPAUSED: 5,
  PAUSED_USER: 1,
  SHUTOFF_UNKNOWN: 0,
  SHUTOFF_SHUTDOWN: 1,
  SHUTOFF_DESTROYED: 2,
  SHUTOFF_CRASHED: 3,
  SHUTOFF_FAILED: 6,
  SHUTOFF_DAEMON: 8,
} as const;

/** virDomainEvent*DetailType values we emit. */
export const EventDetail = {
  DEFINED_ADDED: 0,
  DEFINED_UPDATED: 1,
  UNDEFINED_REMOVED: 0,
  STARTED_BOOTED: 0,
  SUSPENDED_PAUSED: 0,
  RESUMED_UNPAUSED: 0,
  STOPPED_SHUTDOWN: 0,
  STOPPED_DESTROYED: 1,
  STOPPED_CRASHED: 2,
  STOPPED_FAILED: 5,
} as const;

export interface DomainRecord<R> {
  /** The running definition when active, else the persistent one. */
  def: DomainDef;
  /** Persistent config pending while the domain runs (libvirt's newDef). */
  newDef?: DomainDef;
  persistent: boolean;
  autostart: boolean;
  id: number;
  state: number;
  reason: number;
  /** Driver-specific live data (pids, pty path, netdev names); persisted as JSON. */
  runtime?: R;
}

export interface StartOptions {
  fds?: number[];
  paused?: boolean;
}

/** What a driver implements; everything else is generic. */
export interface DriverHooks<R> {
  /** virConnectGetType. */
  type: string;
  /** libvirt error domain for this driver's errors (ErrorDomain.LXC, .QEMU). */
  errDomain: number;
  hypervisorVersion(): Promise<number>;
  capabilities(): Promise<string>;
  /** Post-parse defaults and the driver's own validation; throws VirError. */
  prepare(def: DomainDef, flags: number): Promise<void> | void;
  /** Start the domain; may mutate rec.def with live details (ids, device names). */
  start(rec: DomainRecord<R>, opts: StartOptions): Promise<R>;
  /** The id the started domain is known by, when not the sequential one (libvirt's LXC ids are
   * the host pid of a process in the container's cgroups: virsh joins that pid's cgroups). */
  liveId?(rec: DomainRecord<R>): number;
  /** Stop at once (graceful: try a polite signal first). Must release every host resource. */
  destroy(rec: DomainRecord<R>, graceful: boolean): Promise<void>;
  shutdown?(rec: DomainRecord<R>): Promise<void>;
  reboot?(rec: DomainRecord<R>): Promise<void>;
  suspend?(rec: DomainRecord<R>): Promise<void>;
  resume?(rec: DomainRecord<R>): Promise<void>;
  /** On open: is this recorded runtime still alive? If not, the driver cleans up what it left. */
  reconcile(rec: DomainRecord<R>): Promise<boolean>;
  cpuTime?(rec: DomainRecord<R>): Promise<bigint>;
}

const refOf = (r: DomainRecord<unknown>): DomainRef => ({ name: r.def.name, uuid: r.def.uuid, id: r.id });

export class DomainTable<R> {
  private readonly byName = new Map<string, DomainRecord<R>>();
  private readonly listeners = new Set<(ev: LifecycleEvent) => void>();
  readonly etcDir: string;
  readonly runDir: string;

  constructor(
    readonly root: string,
    private readonly errDomain: number,
  ) {
    this.etcDir = join(root, "etc");
    this.runDir = join(root, "run");
  }

  /** Read configs and live state from disk. Returns the records that claim to be running,
   * so the driver can reconcile them. */
  load(): DomainRecord<R>[] {
    mkdirSync(join(this.etcDir, "autostart"), { recursive: true, mode: 0o700 });
    mkdirSync(this.runDir, { recursive: true, mode: 0o700 });
    this.byName.clear();
    for (const f of readdirSync(this.etcDir)) {
      if (!f.endsWith(".xml")) continue;
      const def = parseDomainXml(readFileSync(join(this.etcDir, f), "utf8"));
      this.byName.set(def.name, {
        def,
        persistent: true,
        autostart: existsSync(join(this.etcDir, "autostart", def.name)),
        id: -1,
        state: DomainState.SHUTOFF,
        reason: Reason.SHUTOFF_UNKNOWN,
      });
    }
    const live: DomainRecord<R>[] = [];
    for (const f of readdirSync(this.runDir)) {
      if (!f.endsWith(".json")) continue;
      const st = JSON.parse(readFileSync(join(this.runDir, f), "utf8")) as LiveState<R>;
      const def = parseDomainXml(st.xml);
      const prev = this.byName.get(def.name);
      const rec: DomainRecord<R> = {
        def,
        newDef: prev ? prev.def : undefined,
        persistent: !!prev,
        autostart: prev?.autostart ?? false,
        id: st.id,
        state: st.state,
        reason: st.reason,
        runtime: st.runtime,
      };
      this.byName.set(def.name, rec);
      live.push(rec);
    }
    return live;
  }

  all(): DomainRecord<R>[] {
    return [...this.byName.values()];
  }

  list(flags = 0): DomainRecord<R>[] {
    const F = ConnectListFlags;
    return this.all().filter((r) => {
      const active = r.id >= 0;
      if (flags & (F.ACTIVE | F.INACTIVE) && !((flags & F.ACTIVE && active) || (flags & F.INACTIVE && !active))) return false;
      if (flags & (F.PERSISTENT | F.TRANSIENT) && !((flags & F.PERSISTENT && r.persistent) || (flags & F.TRANSIENT && !r.persistent))) return false;
      if (flags & (F.AUTOSTART | F.NO_AUTOSTART) && !((flags & F.AUTOSTART && r.autostart) || (flags & F.NO_AUTOSTART && !r.autostart))) return false;
      return true;
    });
  }

  byNameOrThrow(name: string): DomainRecord<R> {
    const r = this.byName.get(name);
    if (!r) throw errors.noDomain(`no domain with matching name '${name}'`, this.errDomain);
    return r;
  }

  byUUID(uuid: string): DomainRecord<R> {
    const u = uuid.toLowerCase();
    for (const r of this.byName.values()) if (r.def.uuid === u) return r;
    throw errors.noDomain(`no domain with matching uuid '${uuid}'`, this.errDomain);
  }

  byID(id: number): DomainRecord<R> {
    for (const r of this.byName.values()) if (r.id === id && id >= 0) return r;
    throw errors.noDomain(`no domain with matching id ${id}`, this.errDomain);
  }

  /** Resolve a handle, checking the uuid still matches (a re-defined name is another domain). */
  get(ref: DomainRef): DomainRecord<R> {
    const r = this.byName.get(ref.name);
    if (!r || (ref.uuid && r.def.uuid !== ref.uuid)) {
      throw errors.noDomain(`no domain with matching uuid '${ref.uuid}' (${ref.name})`, this.errDomain);
    }
    return r;
  }

  ref(r: DomainRecord<R>): DomainRef {
    return refOf(r);
  }

  /** Add or replace a persistent definition. Rules as libvirt: the same name must keep its uuid
   * and the same uuid its name. */
  define(def: DomainDef): { rec: DomainRecord<R>; updated: boolean } {
    const old = this.checkUnique(def);
    writeAtomic(join(this.etcDir, `${def.name}.xml`), formatDomainXml(def, { inactive: true }));
    if (old) {
      if (old.id >= 0) old.newDef = def;
      else old.def = def;
      old.persistent = true;
      return { rec: old, updated: true };
    }
    const rec: DomainRecord<R> = { def, persistent: true, autostart: false, id: -1, state: DomainState.SHUTOFF, reason: Reason.SHUTOFF_UNKNOWN };
    this.byName.set(def.name, rec);
    return { rec, updated: false };
  }

  /** Register a transient domain about to start (createXML). */
  addTransient(def: DomainDef): DomainRecord<R> {
    const old = this.checkUnique(def);
    if (old) {
      if (old.id >= 0) throw errors.domExists(`domain '${def.name}' is already active`, this.errDomain);
      // libvirt: createXML over an inactive persistent domain starts it with the new XML
      old.newDef = old.def;
      old.def = def;
      return old;
    }
    const rec: DomainRecord<R> = { def, persistent: false, autostart: false, id: -1, state: DomainState.SHUTOFF, reason: Reason.SHUTOFF_UNKNOWN };
    this.byName.set(def.name, rec);
    return rec;
  }

  private checkUnique(def: DomainDef): DomainRecord<R> | undefined {
    const old = this.byName.get(def.name);
    if (old && old.def.uuid !== def.uuid) {
      throw errors.domExists(`domain '${def.name}' already exists with uuid ${old.def.uuid}`, this.errDomain);
    }
    for (const r of this.byName.values()) {
      if (r !== old && r.def.uuid === def.uuid) {
        throw errors.domExists(`domain '${r.def.name}' is already defined with uuid ${def.uuid}`, this.errDomain);
      }
    }
    return old;
  }

  undefine(rec: DomainRecord<R>): void {
    if (!rec.persistent) throw errors.operationInvalid("cannot undefine transient domain", this.errDomain);
    rmSync(join(this.etcDir, `${rec.def.name}.xml`), { force: true });
    rmSync(join(this.etcDir, "autostart", rec.def.name), { force: true });
    rec.persistent = false;
    rec.autostart = false;
    rec.newDef = undefined;
    if (rec.id < 0) this.byName.delete(rec.def.name);
  }

  setAutostart(rec: DomainRecord<R>, on: boolean): void {
    if (!rec.persistent) throw errors.operationInvalid("cannot set autostart for transient domain", this.errDomain);
    const p = join(this.etcDir, "autostart", rec.def.name);
    if (on) writeAtomic(p, "");
    else rmSync(p, { force: true });
    rec.autostart = on;
  }

  /** Take the next domain id; persisted so that ids keep growing across processes. */
  allocId(): number {
    const p = join(this.runDir, "next-id");
    let next = 1;
    try {
      next = Number(readFileSync(p, "utf8")) || 1;
    } catch {}
    for (const r of this.byName.values()) if (r.id >= next) next = r.id + 1;
    writeAtomic(p, String(next + 1));
    return next;
  }

  /** Persist the live state of a running domain. */
  saveLive(rec: DomainRecord<R>): void {
    const st: LiveState<R> = { id: rec.id, state: rec.state, reason: rec.reason, xml: formatDomainXml(rec.def, { id: rec.id }), runtime: rec.runtime };
    writeAtomic(join(this.runDir, `${rec.def.name}.json`), JSON.stringify(st));
  }

  /** Record that a domain stopped: drop live state, restore the persistent config or forget a
   * transient domain, and tell listeners. */
  markStopped(rec: DomainRecord<R>, reason: number, detail: number): void {
    rmSync(join(this.runDir, `${rec.def.name}.json`), { force: true });
    const ref = refOf(rec);
    rec.id = -1;
    rec.state = DomainState.SHUTOFF;
    rec.reason = reason;
    rec.runtime = undefined;
    if (rec.newDef) {
      rec.def = rec.newDef;
      rec.newDef = undefined;
    }
    if (!rec.persistent) this.byName.delete(rec.def.name);
    this.emit({ dom: ref, event: LifecycleEventType.STOPPED, detail });
  }

  /** Undo a start that failed before the domain ran: no event, no live state. */
  abandon(rec: DomainRecord<R>): void {
    rmSync(join(this.runDir, `${rec.def.name}.json`), { force: true });
    rec.id = -1;
    rec.runtime = undefined;
    if (rec.newDef) {
      rec.def = rec.newDef;
      rec.newDef = undefined;
    }
    if (!rec.persistent) this.byName.delete(rec.def.name);
  }

  onLifecycle(cb: (ev: LifecycleEvent) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  emit(ev: LifecycleEvent): void {
    for (const cb of this.listeners) {
      try {
        cb(ev);
      } catch {}
    }
  }
}

interface LiveState<R> {
  id: number;
  state: number;
  reason: number;
  xml: string;
  runtime?: R;
}

export function writeAtomic(path: string, data: string): void {
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, data, { mode: 0o600 });
  renameSync(tmp, path);
}

/** A full Connection over a DomainTable and a driver's hooks. */
export class StatefulConnection<R> implements Connection {
  constructor(
    readonly uri: string,
    protected readonly table: DomainTable<R>,
    protected readonly hooks: DriverHooks<R>,
  ) {}

  /** Load state and reconcile domains that were running when the last process stopped. */
  async open(): Promise<this> {
    for (const rec of this.table.load()) {
      let alive = false;
      try {
        alive = await this.hooks.reconcile(rec);
      } catch {}
      if (!alive) this.table.markStopped(rec, Reason.SHUTOFF_DAEMON, EventDetail.STOPPED_FAILED);
    }
    return this;
  }

  get domains(): DomainTable<R> {
    return this.table;
  }

  getType() {
    return this.hooks.type;
  }
  getVersion() {
    return this.hooks.hypervisorVersion();
  }
  async getHostname() {
    return hostname();
  }
  getCapabilities() {
    return this.hooks.capabilities();
  }

  async listAllDomains(flags = 0) {
    return this.table.list(flags).map(refOf);
  }
  async lookupByName(name: string) {
    return refOf(this.table.byNameOrThrow(name));
  }
  async lookupByUUID(uuid: string) {
    return refOf(this.table.byUUID(uuid));
  }
  async lookupByID(id: number) {
    return refOf(this.table.byID(id));
  }

  protected async parse(xml: string, flags: number): Promise<DomainDef> {
    // inactive: a new definition ignores runtime state in the input (aliases, pty paths,
    // generated vnet/macvtap names), as libvirt's define/create do.
    const def = parseDomainXml(xml, { validate: !!(flags & DefineFlags.VALIDATE), inactive: true });
    await this.hooks.prepare(def, flags);
    return def;
  }

  async defineXML(xml: string, flags = 0) {
    const def = await this.parse(xml, flags);
    const { rec, updated } = this.table.define(def);
    this.table.emit({ dom: refOf(rec), event: LifecycleEventType.DEFINED, detail: updated ? EventDetail.DEFINED_UPDATED : EventDetail.DEFINED_ADDED });
    return refOf(rec);
  }

  async undefine(dom: DomainRef) {
    const rec = this.table.get(dom);
    this.table.undefine(rec);
    this.table.emit({ dom: refOf(rec), event: LifecycleEventType.UNDEFINED, detail: EventDetail.UNDEFINED_REMOVED });
  }

  protected async startRecord(rec: DomainRecord<R>, opts: StartOptions): Promise<DomainRef> {
    if (rec.id >= 0) throw errors.operationInvalid("domain is already running", this.hooks.errDomain);
    // The persistent config stays apart from the live one, which start may fill in.
    if (rec.persistent && !rec.newDef) rec.newDef = structuredClone(rec.def);
    rec.id = this.table.allocId();
    try {
      rec.runtime = await this.hooks.start(rec, opts);
      // allocId() first: a driver may use rec.id during start; then its own live id, if any
      if (this.hooks.liveId) rec.id = this.hooks.liveId(rec);
    } catch (e) {
      this.table.abandon(rec);
      throw e;
    }
    rec.state = opts.paused ? DomainState.PAUSED : DomainState.RUNNING;
    rec.reason = opts.paused ? Reason.PAUSED_USER : Reason.RUNNING_BOOTED;
    this.table.saveLive(rec);
    this.table.emit({ dom: refOf(rec), event: LifecycleEventType.STARTED, detail: EventDetail.STARTED_BOOTED });
    return refOf(rec);
  }

  async create(dom: DomainRef, flags = 0, fds?: number[]) {
    const rec = this.table.get(dom);
    return this.startRecord(rec, { fds, paused: !!(flags & 1) });
  }

  async createXML(xml: string, flags = 0, fds?: number[]) {
    const def = await this.parse(xml, flags & 16 ? DefineFlags.VALIDATE : 0);
    const rec = this.table.addTransient(def);
    return this.startRecord(rec, { fds, paused: !!(flags & 1) });
  }

  protected active(dom: DomainRef): DomainRecord<R> {
    const rec = this.table.get(dom);
    if (rec.id < 0) throw errors.operationInvalid("domain is not running", this.hooks.errDomain);
    return rec;
  }

  async destroy(dom: DomainRef, flags = 0) {
    const rec = this.active(dom);
    await this.hooks.destroy(rec, !!(flags & 1));
    this.table.markStopped(rec, Reason.SHUTOFF_DESTROYED, EventDetail.STOPPED_DESTROYED);
  }

  async shutdown(dom: DomainRef) {
    const rec = this.active(dom);
    if (!this.hooks.shutdown) throw errors.noSupport("virDomainShutdown", this.hooks.errDomain);
    await this.hooks.shutdown(rec);
  }

  async reboot(dom: DomainRef) {
    const rec = this.active(dom);
    if (!this.hooks.reboot) throw errors.noSupport("virDomainReboot", this.hooks.errDomain);
    await this.hooks.reboot(rec);
  }

  async suspend(dom: DomainRef) {
    const rec = this.active(dom);
    if (!this.hooks.suspend) throw errors.noSupport("virDomainSuspend", this.hooks.errDomain);
    if (rec.state === DomainState.PAUSED) throw errors.operationInvalid("domain is already paused", this.hooks.errDomain);
    await this.hooks.suspend(rec);
    // the hypervisor's own event may already have recorded (and reported) the change
    if (rec.state === DomainState.PAUSED) return;
    rec.state = DomainState.PAUSED;
    rec.reason = Reason.PAUSED_USER;
    this.table.saveLive(rec);
    this.table.emit({ dom: refOf(rec), event: LifecycleEventType.SUSPENDED, detail: EventDetail.SUSPENDED_PAUSED });
  }

  async resume(dom: DomainRef) {
    const rec = this.active(dom);
    if (!this.hooks.resume) throw errors.noSupport("virDomainResume", this.hooks.errDomain);
    if (rec.state !== DomainState.PAUSED) throw errors.operationInvalid("domain is not paused", this.hooks.errDomain);
    await this.hooks.resume(rec);
    if (rec.state === DomainState.RUNNING) return;
    rec.state = DomainState.RUNNING;
    rec.reason = Reason.RUNNING_UNPAUSED;
    this.table.saveLive(rec);
    this.table.emit({ dom: refOf(rec), event: LifecycleEventType.RESUMED, detail: EventDetail.RESUMED_UNPAUSED });
  }

  async getInfo(dom: DomainRef): Promise<DomainInfo> {
    const rec = this.table.get(dom);
    const d = rec.def;
    return {
      state: rec.state,
      maxMem: d.memory,
      memory: d.currentMemory ?? d.memory,
      nrVirtCpu: d.vcpu?.current ?? d.vcpu?.count ?? 1,
      cpuTime: rec.id >= 0 && this.hooks.cpuTime ? await this.hooks.cpuTime(rec) : 0n,
    };
  }

  async getState(dom: DomainRef): Promise<DomainStateInfo> {
    const rec = this.table.get(dom);
    return { state: rec.state, reason: rec.reason };
  }

  async getXMLDesc(dom: DomainRef, flags = 0) {
    const rec = this.table.get(dom);
    if (flags & XmlFlags.INACTIVE || rec.id < 0) return formatDomainXml(rec.newDef ?? rec.def, { inactive: true });
    return formatDomainXml(rec.def, { id: rec.id });
  }

  async getAutostart(dom: DomainRef) {
    return this.table.get(dom).autostart;
  }
  async setAutostart(dom: DomainRef, on: boolean) {
    this.table.setAutostart(this.table.get(dom), on);
  }
  async isActive(dom: DomainRef) {
    return this.table.get(dom).id >= 0;
  }
  async isPersistent(dom: DomainRef) {
    return this.table.get(dom).persistent;
  }

  async getOSType(dom: DomainRef) {
    return this.table.get(dom).def.os.type;
  }
  // No SELinux/AppArmor driver: libvirt then reports the "none" model, DOI 0, empty labels.
  async getSecurityModel() {
    return { model: "none", doi: "0" };
  }
  async getSecurityLabel(dom: DomainRef) {
    this.table.get(dom);
    return { label: "", enforcing: false };
  }
  async hasManagedSaveImage(dom: DomainRef) {
    this.table.get(dom);
    return false;
  }

  onLifecycle(cb: (ev: LifecycleEvent) => void) {
    return this.table.onLifecycle(cb);
  }

  /** Start every autostart domain that is not running (daemon start-up). */
  async autostartAll(): Promise<void> {
    for (const rec of this.table.list(ConnectListFlags.AUTOSTART | ConnectListFlags.INACTIVE)) {
      try {
        await this.startRecord(rec, {});
      } catch (e) {
        if (!(e instanceof VirError)) throw e;
        console.error(`bunvirt: autostart of '${rec.def.name}' failed: ${e.message}`);
      }
    }
  }

  async close() {}
}
