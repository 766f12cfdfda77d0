// formatDomainXml: DomainDef → libvirt-style XML text (virDomainDefFormat's element order).
import type { DomainDef, Device } from "./model.ts";
import { el, toXmlString, type XmlEl } from "./xml.ts";

export interface FormatOptions {
  /** Inactive XML: no id on <domain> (dumpxml --inactive). */
  inactive?: boolean;
  /** Live domain id; printed when >= 0 and not inactive. */
  id?: number;
}

export function formatDomainXml(def: DomainDef, opts: FormatOptions = {}): string {
  return toXmlString(domainEl(def, opts));
}

export function domainEl(def: DomainDef, opts: FormatOptions = {}): XmlEl {
  const id = !opts.inactive && opts.id !== undefined && opts.id >= 0 ? opts.id : undefined;
  const kids: (XmlEl | undefined)[] = [
    el("name", {}, def.name),
    el("uuid", {}, def.uuid),
    def.title !== undefined ? el("title", {}, def.title) : undefined,
    def.description !== undefined ? el("description", {}, def.description) : undefined,
    el("memory", { unit: "KiB" }, String(def.memory)),
    el("currentMemory", { unit: "KiB" }, String(def.currentMemory ?? def.memory)),
    el("vcpu", { placement: def.vcpu.placement, cpuset: def.vcpu.cpuset, current: def.vcpu.current }, String(def.vcpu.count)),
    osEl(def),
    def.onPoweroff ? el("on_poweroff", {}, def.onPoweroff) : undefined,
    def.onReboot ? el("on_reboot", {}, def.onReboot) : undefined,
    def.onCrash ? el("on_crash", {}, def.onCrash) : undefined,
    el("devices", {}, def.devices.map(deviceEl)),
    ...def.extra,
  ];
  const attrs: Record<string, string | number | undefined> = { type: def.type, id };
  for (const [p, uri] of Object.entries(def.xmlns)) attrs[`xmlns:${p}`] = uri;
  return el("domain", attrs, sortTopLevel(kids.filter((k): k is XmlEl => !!k)));
}

function osEl(def: DomainDef): XmlEl {
  const o = def.os;
  return el("os", {}, [
    el("type", { arch: o.arch, machine: o.machine }, o.type),
    o.init !== undefined ? el("init", {}, o.init) : undefined,
    ...o.initargs.map((a) => el("initarg", {}, a)),
    ...o.initenv.map((e) => el("initenv", { name: e.name }, e.value)),
    o.initdir !== undefined ? el("initdir", {}, o.initdir) : undefined,
    o.inituser !== undefined ? el("inituser", {}, o.inituser) : undefined,
    o.initgroup !== undefined ? el("initgroup", {}, o.initgroup) : undefined,
    o.kernel !== undefined ? el("kernel", {}, o.kernel) : undefined,
    o.initrd !== undefined ? el("initrd", {}, o.initrd) : undefined,
    o.cmdline !== undefined ? el("cmdline", {}, o.cmdline) : undefined,
    ...o.boot.map((b) => el("boot", { dev: b })),
    o.bootmenu ? el("bootmenu", { enable: o.bootmenu.enable, timeout: o.bootmenu.timeout }) : undefined,
  ]);
}

function deviceEl(d: Device): XmlEl {
  return d.kind === "emulator" ? el("emulator", {}, d.path) : d.xml;
}

// virDomainDefFormatInternal's order of top-level elements; raw (unmodeled) elements slot in here.
const TOP_ORDER = [
  "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory",
  "blkiotune", "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "iothreadids", "defaultiothread",
  "cputune", "numatune", "resource", "sysinfo", "bootloader", "bootloader_args", "os", "idmap", "features",
  "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "on_lockfailure", "pm", "perf", "devices",
  "seclabel", "keywrap", "launchSecurity", "throttlegroups",
];
const RANK = new Map(TOP_ORDER.map((n, i) => [n, i]));

function sortTopLevel(kids: XmlEl[]): XmlEl[] {
  // Namespaced elements (qemu:commandline, lxc:namespace) come last, as libvirt prints them.
  const rank = (e: XmlEl) => RANK.get(e.name) ?? (e.name.includes(":") ? 2000 : 1000);
  return kids.map((e, i) => [e, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map((p) => p[0]);
}
