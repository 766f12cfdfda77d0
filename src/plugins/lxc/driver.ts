// The LXC driver: DomainTable/StatefulConnection (src/core/domains.ts) plus the hooks that start,
// stop and reconnect to real containers. A running container is: init (in its namespaces and
// cgroups) under a tiny native supervisor (src/ffi/exec/supervisor.c) that holds the console and
// records the exit status; the driver talks to the supervisor through RUN/NAME.sock, so any later
// bunvirt process (CLI or daemon) can reconnect.

import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hostCapabilities } from "../../core/capabilities.ts";
import type { DomainDef, ChardevDev } from "../../core/conf/index.ts";
import { DomainTable, EventDetail, Reason, StatefulConnection, type DomainRecord, type DriverHooks, type StartOptions } from "../../core/domains.ts";
import { DomainState, type ConsoleStream, type DomainRef, type GuestCaps } from "../../core/driver.ts";
import { ErrorCode, errors, ErrorDomain, VirError } from "../../core/errors.ts";
import { closeFd, decodeWaitStatus, killPid, openFd, openPty, pendingBytes, unixListen } from "../../ffi/exec/index.ts";
import { ContainerCgroup, warmCgroupMigration } from "./cgroup/index.ts";
import { cgroupDirsOf } from "../../core/cgroup-of.ts";
import { NS, launch } from "./container.ts";

const NS_FLAGS = { net: NS.NEWNET, ipc: NS.NEWIPC, uts: NS.NEWUTS } as const;
import { applyLxcDefaults, hostArch } from "./defaults.ts";
import { enterNamespaces, openNamespaces } from "./enter.ts";
import { setupNetwork, teardownNetwork, type NetRuntime } from "./net.ts";
import { specFromDef, type ShareNs } from "./spec.ts";
import { supervisorConsole, supervisorRequest, supervisorWait } from "./supervisor-client.ts";

const D = ErrorDomain.LXC;
/** BUNVIRT_TRACE=1: phase timestamps on stderr (start-up profiling). */
const TRACE = !!process.env.BUNVIRT_TRACE;
const trace = (what: string) => TRACE && console.error(`[lxc ${performance.now().toFixed(1)} ms] ${what}`);
if (TRACE) process.on("exit", () => trace("process exit"));
const SIGTERM = 15, SIGKILL = 9, SIGHUP = 1;

/** What a running container's record keeps (persisted in RUN/NAME.json). */
export interface LxcRuntime extends NetRuntime {
  initPid: number;
  supervisorPid: number;
  /** /proc/PID/stat start time of init: guards against pid reuse */
  initStart: string;
  socket: string;
  status: string;
  pty: string;
  cgroup: string;
  /** staging mount point for an application container (host / bound there inside its ns) */
  stage?: string;
}

export const LXC_GUESTS = (): GuestCaps[] => [
  { osType: "exe", arch: hostArch(), wordsize: 64, emulator: "/usr/lib/libvirt/libvirt_lxc", domains: [{ type: "lxc" }] },
];

/** Start time of a live process ("" when gone or a zombie: its parent may reap it lazily). */
function procStart(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return f[0] === "Z" || f[0] === "X" ? "" : (f[19] ?? "");
  } catch {
    return "";
  }
}

/** Is `rt`'s init still the process we started? */
function initAlive(rt: LxcRuntime): boolean {
  return rt.initStart !== "" && procStart(rt.initPid) === rt.initStart;
}

/** Our DomainTable with the run dir apart from the config root (/run for lxc:///system). */
class LxcTable extends DomainTable<LxcRuntime> {
  constructor(root: string, runDir?: string) {
    super(root, D);
    if (runDir) (this as { runDir: string }).runDir = runDir;
  }
}

export class LxcConnection extends StatefulConnection<LxcRuntime> {
  /** console sockets handed out, per domain name (see waitForStop) */
  private readonly consoles = new Map<string, Set<number>>();
  private readonly watched = new Set<string>();
  /** init's wait status of the last run, by uuid: waitForStop after a quick container ended */
  private readonly lastExit = new Map<string, number | undefined>();

  constructor(uri: string, root: string, runDir?: string) {
    const table = new LxcTable(root, runDir);
    const hooks: DriverHooks<LxcRuntime> = {
      type: "LXC",
      errDomain: D,
      hypervisorVersion: async () => {
        // libvirt reports the kernel version for LXC (major*1e6 + minor*1e3 + micro)
        const [a = 0, b = 0, c = 0] = readFileSync("/proc/sys/kernel/osrelease", "utf8").split(/[.-]/).map((x) => Number(x) || 0);
        return a * 1_000_000 + b * 1000 + c;
      },
      capabilities: async () => hostCapabilities(LXC_GUESTS()),
      prepare: (def) => {
        if (def.type !== "lxc") throw errors.configUnsupported(`domain type '${def.type}' is not supported by the LXC driver; use type='lxc'`, D);
        applyLxcDefaults(def);
      },
      start: (rec, opts) => this.startContainer(rec, opts),
      // as libvirt: the id is a host pid in the container's cgroups (virsh's enterCGroup joins them)
      liveId: (rec) => rec.runtime!.initPid,
      destroy: (rec, graceful) => this.destroyContainer(rec, graceful),
      shutdown: async (rec) => {
        if (!supervisorRequest(rec.runtime!.socket, `K${String.fromCharCode(SIGTERM)}S`)) throw errors.operationFailed("the container's supervisor is not reachable", D);
      },
      // libvirt's LXC reboot without /dev/initctl: SIGHUP to init (its "signal" method)
      reboot: async (rec) => {
        if (!supervisorRequest(rec.runtime!.socket, `K${String.fromCharCode(SIGHUP)}S`)) throw errors.operationFailed("the container's supervisor is not reachable", D);
      },
      suspend: async (rec) => this.freeze(rec, true),
      resume: async (rec) => this.freeze(rec, false),
      reconcile: async (rec) => this.reconcile(rec),
      cpuTime: async (rec) => this.cpuTime(rec),
    };
    super(uri, table, hooks);
  }

  // ---------------------------------------------------------------------------------------------
  // start

  private async startContainer(rec: DomainRecord<LxcRuntime>, opts: StartOptions): Promise<LxcRuntime> {
    const def = rec.def;
    const runDir = this.table.runDir;
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const socket = join(runDir, `${def.name}.sock`);
    const status = join(runDir, `${def.name}.status`);
    rmSync(status, { force: true });
    if (Buffer.byteLength(socket) > 107) throw errors.operationFailed(`run directory path too long for a unix socket: ${socket}`, D);

    trace("start");
    warmCgroupMigration();
    // passed fds travel through temporaries at 1000.. in the executor (below its own 1020/1023)
    if ((opts.fds?.length ?? 0) > 16) throw errors.invalidArg(`at most 16 file descriptors can be passed to a container (got ${opts.fds!.length})`, D);
    trace("warm");
    const pty = openPty();
    trace("pty (first executor call: TinyCC compile)");
    let slave = -1, listen = -1;
    let sr: ReturnType<typeof specFromDef>;
    try {
      sr = specFromDef(def, pty.slave, opts.fds?.length ?? 0);
    } catch (e) {
      closeFd(pty.master);
      throw wrapStart(e, def.name);
    }
    const { spec, limits, share } = sr;
    trace("spec");
    const joinNs: { fd: number; nstype: number; name: string }[] = [];
    const cg = new ContainerCgroup(`bunvirt/lxc-${def.uuid}`);
    const rt: LxcRuntime = {
      initPid: 0, supervisorPid: 0, initStart: "", socket, status, pty: pty.slave, cgroup: cg.rel, veths: [], moved: [],
      stage: spec.rootfs ? undefined : join(runDir, `${def.name}.root`),
    };
    let madeStage = false;
    try {
      if (rt.stage && !existsSync(rt.stage)) {
        mkdirSync(rt.stage, { recursive: true, mode: 0o700 });
        madeStage = true;
      }
      for (const sh of share) {
        const path = this.sharedNsPath(sh);
        joinNs.push({ fd: openFd(path), nstype: NS_FLAGS[sh.ns], name: `${sh.ns} namespace ${path}` });
      }
      slave = openFd(pty.slave, 2 | 0o400 /* O_RDWR|O_NOCTTY */);
      // With an idmap the container's root is a mapped uid: give it its console.
      if (spec.idmap) chownSync(pty.slave, hostIdOf(spec.idmap.uid, 0), hostIdOf(spec.idmap.gid, 0));
      listen = unixListen(socket);
      trace("listen");
      const l = await launch(spec, { listen, ptyMaster: pty.master, ptySlave: slave, pass: opts.fds ?? [], join: joinNs }, { socket, status, stage: rt.stage ?? "", cgroupDirs: cg.dirs }, (pid) => {
        trace(`init ${pid} waiting`);
        rt.initPid = pid;
        if (spec.idmap) writeIdmap(pid, spec.idmap);
        // Created only now: cgroup mkdir waits on the kernel's cgroup_mutex, which the migration
        // warm-up holds through its grace period; by now that has (mostly) passed.
        cg.create(limits);
        cg.addPid(pid);
        setupNetwork(def, pid, rt);
        trace("init placed");
      });
      trace("init exec'd");
      rt.supervisorPid = l.supervisorPid;
      rt.initStart = procStart(l.initPid);
    } catch (e) {
      // launch() has killed init and the supervisor and waited for both: nothing writes these
      // files any more. A failed start leaves nothing behind.
      teardownNetwork(undefined, rt, false);
      cg.remove();
      if (madeStage) tryRmdir(rt.stage!);
      rmSync(socket, { force: true });
      rmSync(status, { force: true });
      rmSync(`${status}.tmp`, { force: true }); // the supervisor was killed while writing it
      throw wrapStart(e, def.name);
    } finally {
      closeFd(pty.master);
      if (slave >= 0) closeFd(slave);
      if (listen >= 0) closeFd(listen);
      for (const j of joinNs) closeFd(j.fd);
    }
    // Live XML: console pty path, as libvirt shows it.
    let port = 0;
    for (const d of def.devices) {
      if (d.kind !== "console") continue;
      const c = d as ChardevDev;
      if (port++ === 0) {
        c.alias = "console0";
        c.tty = pty.slave;
        c.sources = [{ ...(c.sources[0] ?? {}), path: pty.slave }];
      }
    }
    this.watch(rec, rt);
    return rt;
  }

  /** The namespace file of an <lxc:namespace> share: a named netns, a process's, or another
   * running container's (type 'name'). */
  private sharedNsPath(sh: ShareNs): string {
    if (sh.type === "netns") {
      if (sh.ns !== "net") throw errors.configUnsupported(`type 'netns' is only valid for sharenet`, D);
      if (!/^[^/]+$/.test(sh.value) || sh.value === "." || sh.value === "..") throw errors.invalidArg(`invalid netns name '${sh.value}'`, D);
      return `/var/run/netns/${sh.value}`;
    }
    if (sh.type === "pid") {
      if (!/^\d+$/.test(sh.value) || !existsSync(`/proc/${sh.value}`)) throw errors.operationFailed(`cannot share the ${sh.ns} namespace of pid ${sh.value}: no such process`, D);
      return `/proc/${sh.value}/ns/${sh.ns}`;
    }
    const other = this.table.all().find((r) => r.def.name === sh.value);
    if (!other || other.id < 0 || !other.runtime) throw errors.operationInvalid(`cannot share the ${sh.ns} namespace of domain '${sh.value}': it is not running`, D);
    return `/proc/${other.runtime.initPid}/ns/${sh.ns}`;
  }

  /** Notice a container that stops on its own (init exits): clean up and emit the event. */
  private watch(rec: DomainRecord<LxcRuntime>, rt: LxcRuntime): void {
    if (this.watched.has(rt.socket + rt.initPid)) return;
    const key = rt.socket + rt.initPid;
    this.watched.add(key);
    void supervisorWait(rt.socket, { unref: true }).then((st) => {
      this.watched.delete(key);
      if (rec.runtime !== rt || rec.id < 0) return; // destroyed by us meanwhile
      this.finishStopped(rec, st);
    });
  }

  private finishStopped(rec: DomainRecord<LxcRuntime>, waitStatus: number | undefined): void {
    const rt = rec.runtime!;
    waitStatus ??= readStatusFile(rt.status);
    this.lastExit.set(rec.def.uuid, waitStatus);
    this.cleanup(rt, false);
    const crashed = waitStatus !== undefined && (waitStatus & 0x7f) !== 0 && (waitStatus & 0x7f) !== SIGTERM;
    this.table.markStopped(rec, crashed ? Reason.SHUTOFF_CRASHED : Reason.SHUTOFF_SHUTDOWN, crashed ? EventDetail.STOPPED_CRASHED : EventDetail.STOPPED_SHUTDOWN);
  }

  /** Release host resources of a stopped (or stopping) container. */
  private cleanup(rt: LxcRuntime, nsAlive: boolean): void {
    teardownNetwork(rt.initPid, rt, nsAlive);
    new ContainerCgroup(rt.cgroup).remove();
    if (rt.stage) tryRmdir(rt.stage);
    rmSync(rt.status, { force: true });
    if (existsSync(rt.socket) && !supervisorRequest(rt.socket, "S", 200)) rmSync(rt.socket, { force: true });
  }

  // ---------------------------------------------------------------------------------------------
  // stop

  private async destroyContainer(rec: DomainRecord<LxcRuntime>, graceful: boolean): Promise<void> {
    const rt = rec.runtime!;
    // Hand host NICs back while the container's netns still exists.
    if (rt.moved.length) teardownNetwork(rt.initPid, { veths: [], moved: rt.moved }, true);
    // Frozen tasks cannot act on signals, SIGKILL included: thaw a paused container first.
    if (rec.state === DomainState.PAUSED) {
      try {
        new ContainerCgroup(rt.cgroup).freeze(false);
      } catch {}
    }
    const sig = graceful ? SIGTERM : SIGKILL;
    const st = supervisorRequest(rt.socket, `K${String.fromCharCode(sig)}W`, graceful ? 10_000 : 5_000);
    if (!st) {
      // No supervisor: kill init directly if it is still ours.
      if (initAlive(rt)) killPid(rt.initPid, SIGKILL);
      else if (graceful) throw errors.operationFailed("container did not stop", D);
      for (let i = 0; i < 200 && initAlive(rt); i++) await Bun.sleep(5);
    } else if (st.running) {
      throw errors.operationFailed(`failed to ${graceful ? "shut down" : "kill"} container init ${rt.initPid}`, D);
    }
    // The supervisor exits right after answering; let it finish so nothing outlives destroy.
    const supStart = procStart(rt.supervisorPid);
    for (let i = 0; i < 100 && supStart && procStart(rt.supervisorPid) === supStart; i++) await Bun.sleep(1);
    this.cleanup(rt, false);
  }

  private async reconcile(rec: DomainRecord<LxcRuntime>): Promise<boolean> {
    const rt = rec.runtime;
    if (!rt) return false;
    const st = supervisorRequest(rt.socket, "S", 1000);
    if (st?.running) {
      this.watch(rec, rt);
      return true;
    }
    // Supervisor gone (the container stopped while no bunvirt process watched).
    if (initAlive(rt)) {
      killPid(rt.initPid, SIGKILL);
      for (let i = 0; i < 200 && initAlive(rt); i++) await Bun.sleep(5);
    }
    this.cleanup(rt, false);
    return false;
  }

  private freeze(rec: DomainRecord<LxcRuntime>, on: boolean): void {
    const cg = new ContainerCgroup(rec.runtime!.cgroup);
    const done = cg.freeze(on);
    if (!done) throw errors.operationFailed("no freezer controller available", D);
  }

  private async cpuTime(rec: DomainRecord<LxcRuntime>): Promise<bigint> {
    return new ContainerCgroup(rec.runtime!.cgroup).cpuTimeNs();
  }

  // ---------------------------------------------------------------------------------------------
  // extras

  async openConsole(dom: DomainRef, devName?: string): Promise<ConsoleStream> {
    if (devName && devName !== "console0" && devName !== "serial0") throw errors.invalidArg(`cannot find console device '${devName}'`, D);
    // A container that already ended without output (e.g. `run` of /bin/true) has a console at
    // end-of-file, not an error: its supervisor only lingers when output is waiting.
    const ended = (): ConsoleStream => {
      const fd = openFd("/dev/null");
      return { fd, close: () => closeFd(fd) };
    };
    let rec: DomainRecord<LxcRuntime>;
    try {
      rec = this.active(dom);
    } catch (e) {
      if (this.lastExit.has(dom.uuid)) return ended();
      throw e;
    }
    const fd = supervisorConsole(rec.runtime!.socket);
    if (fd === null) {
      if (readStatusFile(rec.runtime!.status) !== undefined || this.lastExit.has(dom.uuid)) return ended();
      throw errors.operationFailed("the container's supervisor is not reachable", D);
    }
    const set = this.consoles.get(rec.def.name) ?? new Set<number>();
    this.consoles.set(rec.def.name, set);
    set.add(fd);
    let closed = false;
    return {
      fd,
      close: () => {
        if (closed) return;
        closed = true;
        set.delete(fd);
        closeFd(fd);
      },
    };
  }

  async waitForStop(dom: DomainRef): Promise<{ exitStatus?: number }> {
    let rec;
    try {
      rec = this.table.get(dom);
    } catch (e) {
      // a transient domain that already ended is forgotten by the table, not by us
      if (!this.lastExit.has(dom.uuid)) throw e;
    }
    const rt = rec?.runtime;
    if (!rec || rec.id < 0 || !rt) {
      const last = this.lastExit.get(dom.uuid);
      return last === undefined ? {} : { exitStatus: decodeWaitStatus(last).shellStatus };
    }
    trace("waitForStop");
    const st = (await supervisorWait(rt.socket)) ?? readStatusFile(rt.status) ?? this.lastExit.get(rec.def.uuid);
    trace("stopped");
    // The supervisor closed console sessions before answering; let this process's console
    // readers take what is still queued in their sockets before callers end the session.
    const fds = this.consoles.get(rec.def.name);
    for (let i = 0; i < 200 && fds && [...fds].some((fd) => pendingBytes(fd) > 0); i++) await Bun.sleep(5);
    if (rec.runtime === rt && rec.id >= 0) this.finishStopped(rec, st);
    trace("cleaned up");
    return st === undefined ? {} : { exitStatus: decodeWaitStatus(st).shellStatus };
  }

  async lxcOpenNamespace(dom: DomainRef): Promise<number[]> {
    const rec = this.active(dom);
    return openNamespaces(rec.runtime!.initPid, rec.def);
  }

  async lxcEnterNamespace(dom: DomainRef, argv: string[]): Promise<number> {
    const rec = this.active(dom);
    if (!argv.length) throw errors.invalidArg("no command given", D);
    const rt = rec.runtime!;
    if (!initAlive(rt)) throw errors.operationInvalid("domain is not running", D);
    // every cgroup init is in, as the daemon's clients join them (src/core/rpc/enter.ts)
    return enterNamespaces(rt.initPid, cgroupDirsOf(rt.initPid), argv);
  }
}

/** The supervisor's record of init's wait status (written before it exits). */
function readStatusFile(path: string): number | undefined {
  try {
    const v = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function tryRmdir(d: string) {
  try {
    rmdirSync(d);
  } catch {}
}

/** The host id that container id `id` maps to (libvirt: uid/gid 0 must be mapped). */
function hostIdOf(map: { start: number; target: number; count: number }[], id: number): number {
  const e = map.find((m) => id >= m.start && id < m.start + m.count);
  if (!e) throw errors.configUnsupported(`idmap does not map id ${id} of the container`, D);
  return e.target + (id - e.start);
}

function writeIdmap(pid: number, m: NonNullable<DomainDef["idmap"]>) {
  const text = (l: { start: number; target: number; count: number }[]) => l.map((e) => `${e.start} ${e.target} ${e.count}`).join("\n") + "\n";
  if (m.uid.length) writeFileSync(`/proc/${pid}/uid_map`, text(m.uid));
  if (m.gid.length) writeFileSync(`/proc/${pid}/gid_map`, text(m.gid));
}

/** A start failure as "internal error: failed to start domain 'NAME': DETAIL" (the failing
 * step, element path and errno). Configuration refusals keep their own code and wording. */
function wrapStart(e: unknown, name: string): unknown {
  const keep: number[] = [ErrorCode.CONFIG_UNSUPPORTED, ErrorCode.INVALID_ARG, ErrorCode.OPERATION_INVALID, ErrorCode.XML_ERROR];
  if (e instanceof VirError && keep.includes(e.code)) return e;
  if (!(e instanceof Error)) return e;
  // drop the code's own prefix ("operation failed: ", "internal error: ")
  const detail = e instanceof VirError ? e.message.replace(/^(operation failed|internal error): /, "") : e.message;
  return errors.internal(`failed to start domain '${name}': ${detail}`, D);
}

export { DomainState };
