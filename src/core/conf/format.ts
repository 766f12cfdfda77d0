// formatDomainXml: DomainDef → libvirt-style XML text (virDomainDefFormat's element order).
import type { DomainDef } from "./model.ts";
import { LXC_NAMESPACE_URI } from "./model.ts";
import { el, toXmlString, type XmlEl } from "./xml.ts";
import { devicesEl } from "./format/devices.ts";
import { clockEl, cpuEl, cputuneEl, featuresEl, idmapEl, lxcNamespaceEl, osEl } from "./format/general.ts";

export interface FormatOptions {
  /** Inactive XML: no id, no runtime state such as pty paths (dumpxml --inactive). */
  inactive?: boolean;
  /** Live domain id; printed when >= 0 and not inactive. */
  id?: number;
}

export function formatDomainXml(def: DomainDef, opts: FormatOptions = {}): string {
  return toXmlString(domainEl(def, opts));
}

export function domainEl(def: DomainDef, opts: FormatOptions = {}): XmlEl {
  const f = { inactive: !!opts.inactive };
  const id = !opts.inactive && opts.id !== undefined && opts.id >= 0 ? opts.id : undefined;
  const mem = (name: string, kib: number) => el(name, { unit: "KiB" }, String(kib));
  const v = def.vcpu;
  const lxcPrefix = Object.entries(def.xmlns).find(([, uri]) => uri === LXC_NAMESPACE_URI)?.[0] ?? "lxc";
  const kids: (XmlEl | undefined | false)[] = [
    el("name", {}, def.name),
    el("uuid", {}, def.uuid),
    def.title !== undefined && el("title", {}, def.title),
    def.description !== undefined && el("description", {}, def.description),
    def.maxMemory && el("maxMemory", { slots: def.maxMemory.slots, unit: "KiB" }, String(def.maxMemory.size)),
    mem("memory", def.memory),
    mem("currentMemory", def.currentMemory ?? def.memory),
    el("vcpu", { placement: v.placement ?? "static", cpuset: v.cpuset, current: v.current }, String(v.count)),
    def.cputune && cputuneEl(def.cputune),
    def.resource && el("resource", {}, [def.resource.partition !== undefined && el("partition", {}, def.resource.partition)]),
    osEl(def.os),
    def.idmap && idmapEl(def.idmap),
    def.features && featuresEl(def.features),
    def.cpu && cpuEl(def.cpu),
    // libvirt's parser defaults these, so it always prints them.
    clockEl(def.clock ?? { offset: "utc", timers: [] }),
    el("on_poweroff", {}, def.onPoweroff ?? "destroy"),
    el("on_reboot", {}, def.onReboot ?? "restart"),
    el("on_crash", {}, def.onCrash ?? "destroy"),
    devicesEl(def.devices, f),
    ...def.seclabels.map((s) =>
      el("seclabel", { type: s.type, model: s.model, relabel: s.relabel }, [
        s.label !== undefined && el("label", {}, s.label),
        s.imagelabel !== undefined && el("imagelabel", {}, s.imagelabel),
        s.baselabel !== undefined && el("baselabel", {}, s.baselabel),
      ]),
    ),
    ...def.extra,
    def.lxcNamespace && lxcNamespaceEl(def, def.lxcNamespace, lxcPrefix),
  ];
  const attrs: Record<string, string | number | undefined> = { type: def.type, id };
  for (const [p, uri] of Object.entries(def.xmlns)) attrs[`xmlns:${p}`] = uri;
  if (def.lxcNamespace && !Object.values(def.xmlns).includes(LXC_NAMESPACE_URI)) attrs["xmlns:lxc"] = LXC_NAMESPACE_URI;
  return el("domain", attrs, sortTopLevel(kids.filter((k): k is XmlEl => !!k)));
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
