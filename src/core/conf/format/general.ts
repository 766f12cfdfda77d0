// Domain-level formatters: os, idmap, features, cpu, clock, cputune, lxc:namespace.
import { el, type XmlEl } from "../xml.ts";
import type { ClockDef, CpuDef, Cputune, DomainDef, Features, Idmap, LxcNamespace, OsDef } from "../model.ts";

export function osEl(o: OsDef): XmlEl {
  const t = (name: string, v: string | undefined) => (v !== undefined ? el(name, {}, v) : undefined);
  return el("os", { firmware: o.firmware }, [
    el("type", { arch: o.arch, machine: o.machine }, o.type),
    o.loader,
    o.nvram,
    t("init", o.init),
    ...o.initargs.map((a) => el("initarg", {}, a)),
    ...o.initenv.map((e) => el("initenv", { name: e.name }, e.value)),
    t("initdir", o.initdir),
    t("inituser", o.inituser),
    t("initgroup", o.initgroup),
    t("kernel", o.kernel),
    t("initrd", o.initrd),
    t("cmdline", o.cmdline),
    t("dtb", o.dtb),
    ...o.boot.map((b) => el("boot", { dev: b })),
    o.bootmenu && el("bootmenu", { enable: o.bootmenu.enable, timeout: o.bootmenu.timeout }),
    o.smbios !== undefined && el("smbios", { mode: o.smbios }),
    o.bios && el("bios", { useserial: o.bios.useserial, rebootTimeout: o.bios.rebootTimeout }),
  ]);
}

export function idmapEl(m: Idmap): XmlEl {
  const e = (n: string) => (x: { start: number; target: number; count: number }) => el(n, { start: x.start, target: x.target, count: x.count });
  return el("idmap", {}, [...m.uid.map(e("uid")), ...m.gid.map(e("gid"))]);
}

// virDomainFeature order (libvirt prints features in enum order, not document order).
const FEATURE_ORDER = [
  "acpi", "apic", "pae", "hap", "viridian", "privnet", "hyperv", "kvm", "pvspinlock", "capabilities", "pmu",
  "vmport", "gic", "smm", "ioapic", "hpt", "htm", "nested-hv", "msrs", "ccf-assist", "xen", "cfpc", "sbbc",
  "ibs", "tcg", "async-teardown", "ras", "ps2",
];

export function featuresEl(f: Features): XmlEl {
  const kids: XmlEl[] = f.items.map((i) => ({ name: i.name, attrs: { ...i.attrs }, children: i.children }));
  if (f.capabilities) {
    kids.push(el("capabilities", { policy: f.capabilities.policy }, f.capabilities.caps.map((c) => el(c.name, { state: c.state }))));
  }
  const rank = (e: XmlEl) => {
    const i = FEATURE_ORDER.indexOf(e.name);
    return i < 0 ? FEATURE_ORDER.length : i;
  };
  return el("features", {}, kids.sort((a, b) => rank(a) - rank(b)));
}

export function cpuEl(c: CpuDef): XmlEl {
  return el("cpu", { mode: c.mode, match: c.match, check: c.check, migratable: c.migratable }, [
    c.model && el("model", { fallback: c.model.fallback, vendor_id: c.model.vendorId }, c.model.name),
    c.vendor !== undefined && el("vendor", {}, c.vendor),
    c.topology && el("topology", { sockets: c.topology.sockets, dies: c.topology.dies, clusters: c.topology.clusters, cores: c.topology.cores, threads: c.topology.threads }),
    ...c.features.map((f) => el("feature", { policy: f.policy, name: f.name })),
    c.numa &&
      el(
        "numa",
        {},
        c.numa.map((n) => el("cell", { id: n.id, cpus: n.cpus, memory: n.memory, unit: "KiB", memAccess: n.memAccess, discard: n.discard }, n.children)),
      ),
    ...c.extra,
  ]);
}

export function clockEl(c: ClockDef): XmlEl {
  return el("clock", { offset: c.offset, adjustment: c.adjustment, timezone: c.timezone, basis: c.basis }, c.timers.map((t) => el("timer", t)));
}

export function cputuneEl(t: Cputune): XmlEl | undefined {
  const kids = [
    t.shares !== undefined && el("shares", {}, String(t.shares)),
    t.period !== undefined && el("period", {}, String(t.period)),
    t.quota !== undefined && el("quota", {}, String(t.quota)),
    ...t.extra,
  ];
  return el("cputune", {}, kids);
}

export function lxcNamespaceEl(def: DomainDef, ns: LxcNamespace, prefix: string): XmlEl {
  const kids = (["sharenet", "shareipc", "shareuts"] as const).map((k) => ns[k] && el(`${prefix}:${k}`, { type: ns[k]!.type, value: ns[k]!.value }));
  return el(`${prefix}:namespace`, {}, kids);
}
