// Post-parse defaults for QEMU domains, as libvirt fills them in (qemuDomainDefPostParse and
// friends): units, cpu model, clock, lifecycle actions, implicit controllers and devices,
// drive and PCI addresses. The builder reads these; `dumpxml --inactive` shows them.
import { errors } from "../../core/errors.ts";
import { findMachine, hasFlag, isQ35, type QemuCaps } from "./caps.ts";
import { assignUsbAddresses } from "./usb.ts";
import { El } from "./xml.ts";
import { toKiB } from "./units.ts";
import { assignPciAddresses } from "./address.ts";

/** libvirt's device order in <devices> (virDomainDefFormat). */
const DEVICE_ORDER = [
  "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel",
  "console", "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev",
  "redirfilter", "hub", "watchdog", "memballoon", "rng", "nvram", "panic", "shmem", "memory", "iommu", "vsock",
];
/** Top-level order of the elements defaults may add. */
/** Default video RAM (KiB) by model, as virDomainVideoDefaultRAM for QEMU guests. */
const VIDEO_RAM: Record<string, string> = { vga: "16384", cirrus: "16384", vmvga: "16384", bochs: "16384", qxl: "65536" };

/** libvirt's virDomainNetModel enum names. */
const KNOWN_NIC_MODELS = ["virtio", "virtio-transitional", "virtio-non-transitional", "e1000", "e1000e", "igb", "rtl8139", "usb-net", "spapr-vlan", "lan9118", "scm91c111", "vlance", "vmxnet", "vmxnet2", "vmxnet3", "Am79C970A", "Am79C973", "82540EM", "82545EM", "82543GC"];

const TOP_AFTER_OS = ["features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "perf", "devices", "seclabel", "launchSecurity"];

export const diskIndex = (dst: string): number => {
  // virDiskNameToIndex: strip the prefix, then base-26 "bijective" letters (a=0 … z=25, aa=26).
  const m = /^(?:hd|sd|vd|xvd|fd|ubd)([a-z]+)/.exec(dst);
  if (!m) return -1;
  let n = 0;
  for (const ch of m[1]!) n = n * 26 + (ch.charCodeAt(0) - 96);
  return n - 1;
};

const topChild = (dom: El, name: string, before: string[]): El => dom.child(name) ?? dom.insert(new El(name), before);

function memoryDefaults(dom: El): void {
  for (const n of ["maxMemory", "memory", "currentMemory"]) {
    const e = dom.child(n);
    if (!e) continue;
    const kib = toKiB((e.text ?? "").trim(), e.a("unit") ?? "KiB");
    e.text = String(kib);
    delete e.attrs.unit;
    const slots = e.attrs.slots;
    e.attrs = n === "maxMemory" ? { slots: slots!, unit: "KiB" } : { unit: "KiB" };
    e.usedAttrs.add("unit");
    if (n === "maxMemory") e.usedAttrs.add("slots");
  }
  const mem = dom.child("memory");
  if (!mem) throw errors.xml("missing <memory>");
  if (!dom.child("currentMemory")) {
    const cur = new El("currentMemory", { unit: "KiB" }, [], mem.text);
    dom.insert(cur, ["vcpu", "vcpus", "iothreads", "cputune", "os", ...TOP_AFTER_OS]);
  }
  const vcpu = dom.child("vcpu");
  if (vcpu) {
    const attrs: Record<string, string> = { placement: vcpu.attrs.placement ?? "static" };
    for (const k of ["cpuset", "current"]) if (vcpu.attrs[k]) attrs[k] = vcpu.attrs[k]!;
    vcpu.attrs = attrs;
  } else {
    dom.insert(new El("vcpu", { placement: "static" }, [], "1"), ["vcpus", "iothreads", "cputune", "os", ...TOP_AFTER_OS]);
  }
}

function osDefaults(dom: El, caps: QemuCaps): void {
  const os = dom.child("os");
  if (!os) throw errors.xml("missing <os>");
  // A boot menu's timeout only exists while the menu is enabled.
  const menu = os.kids.find((k) => k.name === "bootmenu");
  if (menu && menu.attrs.enable !== "yes") delete menu.attrs.timeout;
  const type = os.child("type");
  if (!type) throw errors.xml("missing <os><type>");
  if ((type.text ?? "hvm") !== "hvm") throw errors.configUnsupported(`os type '${type.text}' is not supported by the QEMU driver`);
  const arch = type.attrs.arch ?? caps.arch;
  const accel = dom.attrs.type === "kvm" ? "kvm" : "tcg";
  let machine = type.attrs.machine ?? caps.machines.find((m) => m.isDefault && m.accel === accel)?.alias ?? "pc";
  if (caps.canonicalize) {
    const mt = findMachine(caps, machine, accel);
    if (mt?.alias === machine) machine = mt.name;
  }
  type.attrs = { arch, machine };
  const perDeviceBoot = dom.child("devices")?.kids.some((d) => d.kids.some((k) => k.name === "boot"));
  // Even with a direct kernel boot, as libvirt: the disk still gets bootindex 1.
  if (!os.kids.some((k) => k.name === "boot") && !perDeviceBoot) {
    os.insert(new El("boot", { dev: "hd" }), ["bootmenu", "smbios", "bios"]);
  }
}

function cpuDefaults(dom: El, caps: QemuCaps): void {
  let cpu = dom.kids.find((k) => k.name === "cpu");
  if (!cpu) cpu = dom.insert(new El("cpu"), TOP_AFTER_OS.slice(2));
  if (!cpu.attrs.mode || cpu.attrs.mode === "custom") {
    const model = cpu.kids.find((k) => k.name === "model");
    if (!model || model.text === undefined) {
      const rest = cpu.kids;
      cpu.kids = [];
      cpu.attrs = { mode: "custom", match: "exact", check: "none" };
      cpu.insert(new El("model", { fallback: "forbid" }, [], "qemu64"));
      for (const k of rest) if (k.name !== "model") cpu.insert(k);
    }
  }
  // host-passthrough: libvirt fills check='none' and, when QEMU's host CPU has the property, migratable='on'.
  if (cpu.attrs.mode === "host-passthrough" || cpu.attrs.mode === "maximum") {
    const a = cpu.attrs;
    cpu.attrs = { mode: a.mode!, check: a.check ?? "none", ...(a.migratable || hasFlag(caps, "cpu.migratable") ? { migratable: a.migratable ?? "on" } : {}), ...a };
  }
  // Every topology level is spelled out, in libvirt's order.
  const topo = cpu.kids.find((k) => k.name === "topology");
  if (topo) {
    const a = topo.attrs;
    topo.attrs = { sockets: a.sockets ?? "1", dies: a.dies ?? "1", clusters: a.clusters ?? "1", cores: a.cores ?? "1", threads: a.threads ?? "1" };
  }
}

function lifecycleDefaults(dom: El): void {
  const before = (n: string) => TOP_AFTER_OS.slice(TOP_AFTER_OS.indexOf(n) + 1);
  if (!dom.kids.some((k) => k.name === "clock")) dom.insert(new El("clock", { offset: "utc" }), before("clock"));
  const defs: [string, string][] = [["on_poweroff", "destroy"], ["on_reboot", "restart"], ["on_crash", "destroy"]];
  for (const [n, v] of defs) if (!dom.kids.some((k) => k.name === n)) dom.insert(new El(n, {}, [], v), before(n));
}

/** libvirt's virDomainDiskInsert: same-bus disks grouped, ordered by target index. */
function sortDisks(devs: El): void {
  const disks = devs.kids.filter((k) => k.name === "disk");
  const bus = (d: El) => d.kids.find((k) => k.name === "target")?.attrs.bus ?? "";
  const dst = (d: El) => diskIndex(d.kids.find((k) => k.name === "target")?.attrs.dev ?? "");
  const out: El[] = [];
  for (const d of disks) {
    let at = -1;
    for (let i = out.length - 1; i >= 0; i--) {
      if (bus(out[i]!) !== bus(d)) continue;
      if (dst(out[i]!) > dst(d)) at = i;
      else if (at === -1) at = i + 1;
    }
    if (at === -1) out.push(d);
    else out.splice(at, 0, d);
  }
  let j = 0;
  devs.kids = devs.kids.map((k) => (k.name === "disk" ? out[j++]! : k));
}

function diskDefaults(devs: El): void {
  for (const d of devs.kids.filter((k) => k.name === "disk")) {
    const device = d.attrs.device ?? "disk";
    const target = d.kids.find((k) => k.name === "target");
    if (!target?.attrs.dev) throw errors.xml("missing disk target dev");
    if (target.attrs.tray === "closed") delete target.attrs.tray; // the default is not formatted
    if (!target.attrs.bus) {
      const p = target.attrs.dev.replace(/[a-z]+$/, "");
      target.attrs.bus = { hd: "ide", sd: "scsi", vd: "virtio", fd: "fdc", xvd: "xen" }[p.replace(/[^a-z]/g, "")] ?? "ide";
    }
    const hasSource = d.kids.some((k) => k.name === "source");
    if (!d.kids.some((k) => k.name === "driver") && (hasSource || d.attrs.type !== "file")) {
      d.kids.splice(0, 0, Object.assign(new El("driver", { name: "qemu", type: "raw" }), { parent: d }));
    }
    const drv = d.kids.find((k) => k.name === "driver");
    if (drv && !drv.attrs.name) drv.attrs = { name: "qemu", ...drv.attrs };
    if (drv && !drv.attrs.type && hasSource) drv.attrs.type = "raw";
    if (device === "cdrom" && !d.kids.some((k) => k.name === "readonly")) {
      const i = d.kids.indexOf(target);
      const ro = new El("readonly");
      ro.parent = d;
      d.kids.splice(i + 1, 0, ro);
    }
    const bus = target.attrs.bus;
    if (["ide", "fdc", "scsi", "sata"].includes(bus) && !d.kids.some((k) => k.name === "address")) {
      const idx = diskIndex(target.attrs.dev);
      const a =
        bus === "ide"
          ? { controller: Math.floor(idx / 4), bus: Math.floor(idx / 2) % 2, unit: idx % 2 }
          : bus === "fdc"
            ? { controller: 0, bus: 0, unit: idx }
            : bus === "scsi"
              ? { controller: Math.floor(idx / 7), bus: 0, unit: idx % 7 }
              : { controller: Math.floor(idx / 6), bus: 0, unit: idx % 6 };
      d.insert(new El("address", { type: "drive", controller: String(a.controller), bus: String(a.bus), target: "0", unit: String(a.unit) }));
    }
  }
}

function addController(devs: El, type: string, index: number, attrs: Record<string, string> = {}): El {
  const existing = devs.kids.filter((k) => k.name === "controller");
  const found = existing.find((c) => c.attrs.type === type && Number(c.attrs.index ?? 0) === index);
  if (found) return found;
  const el = new El("controller", { type, index: String(index), ...attrs });
  el.parent = devs;
  // virDomainControllerInsert: same-type controllers together, by index; new types appended.
  let at = -1;
  for (let i = devs.kids.length - 1; i >= 0; i--) {
    const c = devs.kids[i]!;
    if (c.name !== "controller" || c.attrs.type !== type) continue;
    if (Number(c.attrs.index ?? 0) > index) at = i;
    else if (at === -1) at = i + 1;
  }
  if (at === -1) {
    const last = devs.kids.map((k) => k.name).lastIndexOf("controller");
    const after = devs.kids.findIndex((k) => DEVICE_ORDER.indexOf(k.name) > DEVICE_ORDER.indexOf("controller"));
    at = last >= 0 ? last + 1 : after >= 0 ? after : devs.kids.length;
  }
  devs.kids.splice(at, 0, el);
  return el;
}

function controllerDefaults(devs: El, machine: string): void {
  const q35 = isQ35(machine);
  const usb = devs.kids.find((k) => k.name === "controller" && k.attrs.type === "usb" && (k.attrs.index ?? "0") === "0");
  if (!usb) addController(devs, "usb", 0, { model: q35 ? "qemu-xhci" : "piix3-uhci" });
  else if (!usb.attrs.model) usb.attrs.model = q35 ? "qemu-xhci" : "piix3-uhci";
  for (const c of devs.kids.filter((k) => k.name === "controller")) if (!c.attrs.index) c.attrs = { type: c.attrs.type!, index: "0", ...c.attrs };
  // qemuDomainDefAddDefaultDevices' order: USB, q35's built-in SATA, the PCI root; then the
  // controllers that disks and consoles imply.
  if (q35) addController(devs, "sata", 0);
  addController(devs, "pci", 0, { model: q35 ? "pcie-root" : "pci-root" });
  const disks = devs.kids.filter((k) => k.name === "disk");
  const busOf = (d: El) => d.kids.find((k) => k.name === "target")?.attrs.bus;
  const ctrlOf = (d: El) => Number(d.kids.find((k) => k.name === "address")?.attrs.controller ?? 0);
  for (const d of disks) {
    const b = busOf(d);
    if (b === "ide" || b === "fdc") addController(devs, b, ctrlOf(d));
    if (b === "scsi") addController(devs, "scsi", ctrlOf(d), { model: "lsilogic" });
    if (b === "sata") addController(devs, "sata", ctrlOf(d));
  }
  for (const c of devs.kids.filter((k) => k.name === "controller" && k.attrs.type === "scsi" && !k.attrs.model)) c.attrs.model = "lsilogic";
  const needsVirtioSerial = devs.kids.some(
    (k) => (k.name === "console" || k.name === "channel") && k.kids.some((t) => t.name === "target" && t.attrs.type === "virtio"),
  );
  if (needsVirtioSerial) addController(devs, "virtio-serial", 0);
}

function chardevDefaults(devs: El): void {
  const serials = devs.kids.filter((k) => k.name === "serial");
  for (const s of serials) {
    const t = s.kids.find((k) => k.name === "target") ?? s.insert(new El("target"));
    const port = t.attrs.port ?? String(serials.indexOf(s));
    t.attrs = { type: t.attrs.type ?? "isa-serial", port };
    if (!t.kids.some((k) => k.name === "model")) t.insert(new El("model", { name: "isa-serial" }));
  }
  consoleCompat(devs);
}

const targetOf = (e: El) => e.kids.find((k) => k.name === "target");

/** libvirt's virDomainDefAddConsoleCompat for x86: console[0] is always a stub mirroring serial[0].
 * A serial-typed first console with no serial port becomes that serial port; a non-serial first
 * console (virtio) is shifted to index 1. Virtio consoles' ports are their console index. */
function consoleCompat(devs: El): void {
  const consoles = () => devs.kids.filter((k) => k.name === "console");
  const first = consoles()[0];
  const ftype = first && targetOf(first)?.attrs.type;
  if (first && (ftype === undefined || ftype === "serial")) {
    if (!devs.kids.some((k) => k.name === "serial")) {
      const kids = first.kids.filter((k) => k.name !== "target" && k.name !== "alias").map((k) => k.clone());
      const serial = new El("serial", { ...first.attrs }, [...kids, new El("target", { type: "isa-serial", port: targetOf(first)?.attrs.port ?? "0" }, [new El("model", { name: "isa-serial" })])]);
      serial.parent = devs;
      devs.kids.splice(devs.kids.indexOf(first), 0, serial);
    }
    devs.remove(first);
  }
  const serial = devs.kids.find((k) => k.name === "serial");
  if (serial) {
    const kids = serial.kids.filter((k) => k.name !== "target" && k.name !== "alias").map((k) => k.clone());
    const stub = new El("console", { ...serial.attrs }, [...kids, new El("target", { type: "serial", port: targetOf(serial)?.attrs.port ?? "0" })]);
    stub.parent = devs;
    const at = consoles()[0] ?? devs.kids.find((k) => DEVICE_ORDER.indexOf(k.name) > DEVICE_ORDER.indexOf("console"));
    if (at) devs.kids.splice(devs.kids.indexOf(at), 0, stub);
    else devs.kids.push(stub);
  }
  consoles().forEach((c, i) => {
    const t = targetOf(c) ?? c.insert(new El("target"));
    if (t.attrs.type === "virtio") t.attrs.port = String(i);
  });
}

function deviceDefaults(dom: El, devs: El): void {
  const sortedInsert = (el: El) => {
    const pos = DEVICE_ORDER.indexOf(el.name);
    const i = devs.kids.findIndex((k) => DEVICE_ORDER.indexOf(k.name) > pos);
    el.parent = devs;
    if (i < 0) devs.kids.push(el);
    else devs.kids.splice(i, 0, el);
  };
  if (!devs.kids.some((k) => k.name === "input" && k.attrs.bus === "ps2" && k.attrs.type === "mouse")) sortedInsert(new El("input", { type: "mouse", bus: "ps2" }));
  if (!devs.kids.some((k) => k.name === "input" && k.attrs.bus === "ps2" && k.attrs.type === "keyboard")) sortedInsert(new El("input", { type: "keyboard", bus: "ps2" }));
  const graphics = devs.kids.filter((k) => k.name === "graphics");
  // The legacy listen attribute is also written as a <listen type='address'> child.
  for (const g of graphics) {
    if (g.attrs.listen && !g.kids.some((k) => k.name === "listen")) g.insert(new El("listen", { type: "address", address: g.attrs.listen }));
  }
  if (!devs.kids.some((k) => k.name === "audio")) {
    sortedInsert(new El("audio", { id: "1", type: graphics.some((g) => g.attrs.type === "spice") ? "spice" : "none" }));
  }
  const videos = devs.kids.filter((k) => k.name === "video");
  if (graphics.length && !videos.length) sortedInsert(new El("video", {}, [new El("model", { type: "vga", vram: "16384", heads: "1", primary: "yes" })]));
  else if (videos.length) {
    // virDomainVideoDefaultRAM and one head by default, written in libvirt's attribute order.
    for (const [i, v] of videos.entries()) {
      const m = v.kids.find((k) => k.name === "model");
      if (!m?.attrs.type || m.attrs.type === "none") continue;
      const a = m.attrs;
      const vram = a.vram ?? VIDEO_RAM[a.type!];
      const opt = (k: string, v: string | undefined) => (v === undefined ? {} : { [k]: v });
      m.attrs = {
        type: a.type!, ...opt("ram", a.ram), ...opt("vram", vram), ...opt("vram64", a.vram64), ...opt("vgamem", a.vgamem),
        heads: a.heads ?? "1", ...opt("primary", a.primary ?? (i === 0 ? "yes" : undefined)),
      };
    }
  }
  if (!devs.kids.some((k) => k.name === "memballoon")) sortedInsert(new El("memballoon", { model: "virtio" }));
  // DIMMs without an address take the lowest free slot.
  const dimms = devs.kids.filter((k) => k.name === "memory" && k.attrs.model === "dimm");
  const used = new Set(dimms.map((d) => d.kids.find((k) => k.name === "address")?.attrs.slot).filter((x) => x !== undefined));
  for (const d of dimms) {
    if (d.kids.some((k) => k.name === "address")) continue;
    let slot = 0;
    while (used.has(String(slot))) slot++;
    used.add(String(slot));
    d.insert(new El("address", { type: "dimm", slot: String(slot) }));
  }
  for (const n of devs.kids.filter((k) => k.name === "interface")) {
    const mac = n.kids.find((k) => k.name === "mac");
    if (mac?.attrs.address) mac.attrs.address = mac.attrs.address.toLowerCase();
    // No model: QEMU's x86 default NIC, rtl8139, written down (qemuDomainDefaultNetModel).
    if (n.attrs.type !== "hostdev" && !n.kids.some((k) => k.name === "model")) {
      n.insert(new El("model", { type: "rtl8139" }), ["driver", "backend", "filterref", "tune", "teaming", "link", "mtu", "coalesce", "rom", "boot", "alias", "address", "acpi"]);
    }
    // libvirt matches the NIC models it knows case-insensitively and stores their canonical name.
    const model = n.kids.find((k) => k.name === "model");
    const known = model?.attrs.type && KNOWN_NIC_MODELS.find((m) => m.toLowerCase() === model.attrs.type!.toLowerCase());
    if (known) model!.attrs.type = known;
  }
  if (isQ35(dom.child("os")!.child("type")!.attrs.machine!) && !devs.kids.some((k) => k.name === "watchdog")) {
    sortedInsert(new El("watchdog", { model: "itco", action: "reset" }));
  }
}

export interface DefaultsOptions {
  caps: QemuCaps;
  /** A definition being defined or created (not one loaded back): also assign USB addresses. */
  newDomain?: boolean;
}

/** Apply libvirt's QEMU post-parse defaults to a parsed domain tree (in place). */
export function applyDefaults(dom: El, { caps, newDomain }: DefaultsOptions): void {
  if (dom.name !== "domain") throw errors.xml("expected <domain>");
  const type = dom.attrs.type;
  if (type !== "qemu" && type !== "kvm") throw errors.configUnsupported(`domain type '${type}' is not supported by the QEMU driver`);
  memoryDefaults(dom);
  osDefaults(dom, caps);
  cpuDefaults(dom, caps);
  lifecycleDefaults(dom);
  const devs = topChild(dom, "devices", TOP_AFTER_OS.slice(TOP_AFTER_OS.indexOf("devices") + 1));
  if (!devs.kids.some((k) => k.name === "emulator")) devs.kids.unshift(Object.assign(new El("emulator", {}, [], caps.emulator), { parent: devs }));
  diskDefaults(devs);
  sortDisks(devs);
  // libvirt keeps devices by kind in its formatter's order, whatever order the input used.
  const rank = (e: El) => (DEVICE_ORDER.includes(e.name) ? DEVICE_ORDER.indexOf(e.name) : DEVICE_ORDER.length);
  devs.kids.sort((a, b) => rank(a) - rank(b));
  const machine = dom.child("os")!.child("type")!.attrs.machine!;
  controllerDefaults(devs, machine);
  chardevDefaults(devs);
  deviceDefaults(dom, devs);
  assignPciAddresses(dom, devs, machine);
  if (newDomain) assignUsbAddresses(devs);
}
