// The QEMU/KVM driver plugin: qemu:///system and qemu:///embed?root=DIR. Domain bookkeeping is
// the shared DomainTable; this file supplies the hooks that touch QEMU (start over QMP, events,
// destroy, reconcile after a restart) plus domxml-to-native and consoles.
import { join } from "node:path";
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { errors, ErrorDomain, VirError } from "../../core/errors.ts";
import { DomainState, LifecycleEventType, type ConsoleStream, type DomainRef, type DriverPlugin, type HostApi } from "../../core/driver.ts";
import { DomainTable, EventDetail, Reason, StatefulConnection, type DomainRecord, type DriverHooks } from "../../core/domains.ts";
import { formatDomainXml, parseDomainXml, type DomainDef } from "../../core/conf/index.ts";
import { O_CLOEXEC, O_NOCTTY, O_RDWR, closeQuiet, open } from "../../ffi/libc.ts";
import { deleteIfExists, rtnl } from "../netdev/index.ts";
import type { ParsedUri } from "../../core/uri.ts";
import { applyDefaults } from "./defaults.ts";
import { xmlToNative } from "./native.ts";
import { formatXml, parseXml, type El } from "./xml.ts";
import { kvmUsable, probeEmulator } from "./probe.ts";
import { qemuGuest } from "./guests.ts";
import { hostCapabilities } from "../../core/capabilities.ts";
import { launch, type QemuRuntime } from "./launch.ts";
import { Qmp, type QmpEvent } from "./qmp.ts";
import { alive, terminate } from "./process.ts";

const DEFAULT_EMULATOR = "/usr/bin/qemu-system-x86_64";
const SYSTEM_ROOT = "/var/lib/bunvirt/qemu";
const E = ErrorDomain.QEMU;

const emulatorOf = (dom: El) => dom.kids.find((k) => k.name === "devices")?.kids.find((k) => k.name === "emulator")?.text ?? DEFAULT_EMULATOR;

async function capsFor(root: string, emulator: string) {
  return probeEmulator(emulator, join(root, "caps"));
}

/** Driver validation: a QEMU binary that probes, and /dev/kvm for kvm domains. */
async function validateTree(root: string, dom: El): Promise<void> {
  const caps = await capsFor(root, emulatorOf(dom));
  if (dom.attrs.type === "kvm" && !(caps.kvm && kvmUsable())) {
    throw errors.configUnsupported("domain type 'kvm' needs a usable /dev/kvm (KVM is not available on this host)", E);
  }
}

/** The running QMP connection of each domain, shared by every connection in this process. */
const monitors = new Map<string, Qmp>();

class QemuConnection extends StatefulConnection<QemuRuntime> {
  constructor(uri: string, table: DomainTable<QemuRuntime>, hooks: DriverHooks<QemuRuntime>, private readonly root: string) {
    super(uri, table, hooks);
  }

  override async create(dom: DomainRef, flags = 0, fds?: number[]) {
    if (fds?.length) throw errors.operationInvalid("passing file descriptors is only supported with container-based virtualization", E);
    return super.create(dom, flags);
  }
  override async createXML(xml: string, flags = 0, fds?: number[]) {
    if (fds?.length) throw errors.operationInvalid("passing file descriptors is only supported with container-based virtualization", E);
    return super.createXML(xml, flags);
  }

  async domainXMLToNative(format: string, xml: string): Promise<string> {
    if (format !== "qemu-argv") throw errors.invalidArg(`unsupported config type ${format}`, E);
    const caps = await capsFor(this.root, emulatorOf(parseXml(xml)));
    return xmlToNative(xml, caps, join(this.root, "lib"), join(this.root, "run", "qemu"));
  }

  /** libvirt's virDomainQemuMonitorCommand (virsh qemu-monitor-command): a QMP command as JSON
   * text, the reply as JSON text. */
  async qemuMonitorCommand(dom: DomainRef, cmd: string): Promise<string> {
    this.active(dom);
    const q = monitors.get(dom.name);
    if (!q) throw errors.operationInvalid("the domain's QEMU monitor is not connected in this process", E);
    const req = JSON.parse(cmd) as { execute: string; arguments?: Record<string, unknown> };
    return JSON.stringify({ return: await q.cmd(req.execute, req.arguments) });
  }

  async openConsole(dom: DomainRef, devName?: string): Promise<ConsoleStream> {
    const rec = this.active(dom);
    const ptys = rec.runtime!.ptys;
    const key = devName ?? Object.keys(ptys).find((k) => k.startsWith("serial")) ?? Object.keys(ptys)[0];
    const path = key ? ptys[key] : undefined;
    if (!path) throw errors.operationFailed(`cannot find character device ${devName ?? "<null>"}`, E);
    const fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    return { fd, close: () => closeQuiet(fd) };
  }

  async waitForStop(dom: DomainRef): Promise<{ exitStatus?: number }> {
    const rec = this.table.get(dom);
    if (rec.id < 0) return {};
    await new Promise<void>((resolve) => {
      const off = this.onLifecycle((ev) => {
        if (ev.dom.name === dom.name && ev.event === LifecycleEventType.STOPPED) {
          off();
          resolve();
        }
      });
    });
    return {};
  }

  override async close() {
    for (const r of this.table.all()) {
      const q = monitors.get(r.def.name);
      if (q) {
        monitors.delete(r.def.name);
        q.close();
      }
    }
  }
}

function makeHooks(root: string, table: () => DomainTable<QemuRuntime>): DriverHooks<QemuRuntime> {
  // Names being stopped: the guest's own SHUTDOWN and the monitor closing as QEMU exits both
  // lead here, and only the first may report (else a clean power-off reads as a crash).
  const stopping = new Set<string>();
  const poweringOff = new Set<string>();
  const stopped = async (rec: DomainRecord<QemuRuntime>, reason: number, detail: number) => {
    if (rec.id < 0 || !rec.runtime || stopping.has(rec.def.name)) return;
    stopping.add(rec.def.name);
    try {
      // -no-shutdown keeps QEMU alive after the guest powers off: end it (and reap it) as libvirt does.
      await terminate(rec.runtime.pid);
      await cleanup(rec.runtime);
      table().markStopped(rec, reason, detail);
    } finally {
      stopping.delete(rec.def.name);
      poweringOff.delete(rec.def.name);
    }
  };
  const watch = (rec: DomainRecord<QemuRuntime>, qmp: Qmp) => {
    monitors.set(rec.def.name, qmp);
    qmp.unref();
    const name = rec.def.name;
    const action = (n: "onPoweroff" | "onReboot" | "onCrash", dflt: string) => String(rec.def[n] ?? dflt);
    qmp.onEvent = (ev: QmpEvent) => {
      const r = table().all().find((x) => x.def.name === name);
      if (!r || r.id < 0) return;
      void handleEvent(r, ev).catch((e) => console.error(`bunvirt: qemu event ${ev.event} for '${name}': ${(e as Error).message}`));
    };
    const handleEvent = async (r: DomainRecord<QemuRuntime>, ev: QmpEvent) => {
      switch (ev.event) {
        case "SHUTDOWN": {
          if (ev.data?.reason === "host-signal" || ev.data?.reason === "host-qmp-quit") return;
          // libvirt reports the guest's power-off as "Shutdown Guest"/"Shutdown Host" first
          table().emit({ dom: table().ref(r), event: LifecycleEventType.SHUTDOWN, detail: ev.data?.guest ? 1 : 2 });
          const isReboot = ev.data?.reason === "guest-reset";
          const act = isReboot ? action("onReboot", "restart") : action("onPoweroff", "destroy");
          if (act === "restart" || act === "rename-restart") {
            await qmp.cmd("system_reset");
            await qmp.cmd("cont");
            return;
          }
          if (act === "preserve") return;
          // -no-shutdown makes QEMU pause after this: that STOP is the power-off, not a suspend
          poweringOff.add(name);
          await stopped(r, Reason.SHUTOFF_SHUTDOWN, EventDetail.STOPPED_SHUTDOWN);
          return;
        }
        case "GUEST_PANICKED": {
          const act = action("onCrash", "destroy");
          if (act.endsWith("restart")) {
            await qmp.cmd("system_reset");
            await qmp.cmd("cont");
          } else if (act !== "preserve") await stopped(r, Reason.SHUTOFF_CRASHED, EventDetail.STOPPED_CRASHED);
          return;
        }
        case "STOP":
        case "RESUME": {
          const paused = ev.event === "STOP";
          if (paused && poweringOff.has(name)) return;
          if ((r.state === DomainState.PAUSED) === paused) return;
          r.state = paused ? DomainState.PAUSED : DomainState.RUNNING;
          r.reason = paused ? Reason.PAUSED_USER : Reason.RUNNING_UNPAUSED;
          table().saveLive(r);
          table().emit({ dom: table().ref(r), event: paused ? LifecycleEventType.SUSPENDED : LifecycleEventType.RESUMED, detail: 0 });
          return;
        }
      }
    };
    void qmp.closed.then(async () => {
      // destroy and close() take the monitor out before closing it: that is no crash
      if (monitors.get(name) !== qmp) return;
      monitors.delete(name);
      const r = table().all().find((x) => x.def.name === name);
      // The monitor closes when QEMU exits; if no one stopped it on purpose, it died.
      if (r && r.id >= 0 && r.runtime && !alive(r.runtime.pid)) await stopped(r, Reason.SHUTOFF_CRASHED, EventDetail.STOPPED_CRASHED);
    });
  };
  const qmpOf = (rec: DomainRecord<QemuRuntime>) => {
    const q = monitors.get(rec.def.name);
    if (!q) throw errors.operationInvalid("the domain's QEMU monitor is not connected in this process", E);
    return q;
  };

  return {
    type: "QEMU",
    errDomain: E,
    async hypervisorVersion() {
      return (await capsFor(root, DEFAULT_EMULATOR)).version;
    },
    async capabilities() {
      return hostCapabilities([qemuGuest(await capsFor(root, DEFAULT_EMULATOR))]);
    },
    async prepare(def: DomainDef) {
      const dom = parseXml(formatDomainXml(def, { inactive: true }));
      await validateTree(root, dom);
      applyDefaults(dom, { caps: await capsFor(root, emulatorOf(dom)), newDomain: true });
      Object.assign(def, parseDomainXml(formatXml(dom)));
    },
    async start(rec, opts) {
      const dom = parseXml(formatDomainXml(rec.def, { inactive: true }));
      await validateTree(root, dom);
      const caps = await capsFor(root, emulatorOf(dom));
      applyDefaults(dom, { caps });
      const { runtime, qmp } = await launch(dom, caps, rec.id, root, !!opts.paused);
      // The live definition carries what start filled in (tap names).
      rec.def = parseDomainXml(formatXml(dom));
      watch(rec, qmp);
      return runtime;
    },
    async destroy(rec) {
      const rt = rec.runtime!;
      const q = monitors.get(rec.def.name);
      monitors.delete(rec.def.name);
      q?.close();
      await terminate(rt.pid);
      await cleanup(rt);
    },
    async shutdown(rec) {
      await qmpOf(rec).cmd("system_powerdown");
    },
    async reboot(rec) {
      await qmpOf(rec).cmd("system_reset");
    },
    async suspend(rec) {
      await qmpOf(rec).cmd("stop");
    },
    async resume(rec) {
      await qmpOf(rec).cmd("cont");
    },
    async reconcile(rec) {
      const rt = rec.runtime;
      if (!rt || !alive(rt.pid, rt.emulator)) {
        if (rt) await cleanup(rt);
        return false;
      }
      if (monitors.has(rec.def.name)) return true;
      let q: Qmp;
      try {
        q = await Qmp.connect(rt.monitor, 2000);
      } catch {
        return true; // alive; another process holds the monitor
      }
      const st = (await q.cmd("query-status")) as { status: string };
      if (st.status === "shutdown" || st.status === "guest-panicked") {
        // It stopped while no one was listening: apply on_poweroff now.
        q.close();
        await terminate(rt.pid, 1000);
        await cleanup(rt);
        return false;
      }
      rec.state = st.status === "paused" ? DomainState.PAUSED : DomainState.RUNNING;
      watch(rec, q);
      return true;
    },
  };
}

/** Release host resources of a stopped domain: managed netdevs and the runtime directory. */
async function cleanup(rt: QemuRuntime): Promise<void> {
  for (const n of rt.nets) {
    if (!n.managed) continue;
    try {
      deleteIfExists(rtnl(), n.name);
    } catch {}
  }
  for (const f of rt.files ?? []) rmSync(f, { force: true });
  rmSync(rt.dir, { recursive: true, force: true });
}

export function qemuPlugin(_host?: HostApi): DriverPlugin {
  return {
    name: "qemu",
    schemes: ["qemu"],
    domainTypes: ["qemu", "kvm"],
    async guests() {
      // the host's default emulator, probed once (cache under the system root when writable)
      if (!existsSync(DEFAULT_EMULATOR)) return [];
      const cache = process.getuid?.() === 0 ? SYSTEM_ROOT : join(tmpdir(), `bunvirt-qemu-caps-${process.getuid?.()}`);
      return [qemuGuest(await capsFor(cache, DEFAULT_EMULATOR))];
    },
    async validate(def) {
      await validateTree(SYSTEM_ROOT, parseXml(formatDomainXml(def, { inactive: true })));
    },
    async open(uri: ParsedUri) {
      let root: string;
      if (uri.path === "/embed") {
        root = uri.params.root ?? "";
        if (!root.startsWith("/")) throw errors.invalidArg(`URI '${uri.raw}' requires an absolute 'root' parameter`, E);
      } else if (uri.path === "/system" || uri.path === "/session") root = SYSTEM_ROOT;
      else throw errors.invalidArg(`unexpected QEMU URI path '${uri.path}', try qemu:///system or qemu:///embed?root=DIR`, E);
      const table = new DomainTable<QemuRuntime>(root, E);
      const conn = new QemuConnection(uri.raw, table, makeHooks(root, () => table), root);
      await conn.open();
      return conn;
    },
  };
}

export default qemuPlugin;
void VirError;
