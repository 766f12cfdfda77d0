// The capabilities XML (virConnectGetCapabilities): the host as libvirt 9.0 describes it, read
// from /proc and /sys, followed by one <guest> per guest kind a driver offers. Layout and
// element order follow virCapabilitiesFormatXML.

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { machine } from "node:os";
import type { GuestCaps } from "./driver.ts";

export interface HostCpu {
  id: number;
  socketId?: number;
  dieId?: number;
  coreId?: number;
  siblings?: string;
}
export interface HostCell {
  id: number;
  memoryKiB: number;
  /** Pages per size (KiB) in this cell; libvirt lists the base page size first. */
  pages: { size: number; count: number }[];
  distances?: { id: number; value: number }[];
  cpus: HostCpu[];
}
export interface HostCaps {
  uuid?: string;
  arch: string;
  vendor?: string;
  microcode?: number;
  topology?: { sockets: number; dies: number; cores: number; threads: number };
  maxPhysAddrBits?: number;
  /** Old-style feature elements (<pae/>) as the test driver prints them. */
  cpuFeatures?: string[];
  pageSizes: number[];
  /** suspend_mem, suspend_disk, suspend_hybrid. */
  powerManagement: string[];
  iommu: boolean;
  migration?: { live: boolean; transports: string[] };
  cells: HostCell[];
  cache?: { id: number; level: number; type: string; size: number; unit: string; cpus: string }[];
  secmodels: { model: string; doi: string }[];
}

const read = (p: string): string | undefined => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return undefined;
  }
};
const readNum = (p: string): number | undefined => {
  const t = read(p)?.trim();
  return t === undefined || t === "" ? undefined : Number(t);
};

/** libvirt's arch names from uname -m. */
export function hostArch(m = machine()): string {
  return m === "amd64" ? "x86_64" : m === "arm64" ? "aarch64" : m;
}

/** Expand a kernel cpu list ("0-3,8") into numbers. */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(",")) {
    if (!part) continue;
    const [a, b] = part.split("-").map(Number);
    for (let i = a!; i <= (b ?? a!); i++) out.push(i);
  }
  return out;
}

function formatUuid(hex: string): string | undefined {
  const h = hex.trim().toLowerCase().replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/.test(h)) return undefined;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** libvirt's host UUID: SMBIOS product uuid when readable, else /etc/machine-id. */
export function hostUuid(): string | undefined {
  for (const p of ["/sys/devices/virtual/dmi/id/product_uuid", "/sys/class/dmi/id/product_uuid", "/etc/machine-id"]) {
    const u = formatUuid(read(p) ?? "");
    if (u) return u;
  }
  return undefined;
}

function cpuInfo(): Record<string, string>[] {
  const text = read("/proc/cpuinfo") ?? "";
  return text.split(/\n\s*\n/).filter((b) => b.trim()).map((b) => {
    const o: Record<string, string> = {};
    for (const line of b.split("\n")) {
      const i = line.indexOf(":");
      if (i > 0) o[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    return o;
  });
}

function cpuOf(id: number): HostCpu {
  const t = `/sys/devices/system/cpu/cpu${id}/topology`;
  return {
    id,
    socketId: readNum(`${t}/physical_package_id`) ?? 0,
    dieId: readNum(`${t}/die_id`) ?? 0,
    coreId: readNum(`${t}/core_id`) ?? 0,
    siblings: read(`${t}/thread_siblings_list`)?.trim() ?? String(id),
  };
}

/** Huge page sizes (KiB) the kernel offers, ascending. */
function hugeSizes(): number[] {
  try {
    return readdirSync("/sys/kernel/mm/hugepages")
      .map((n) => Number(/^hugepages-(\d+)kB$/.exec(n)?.[1]))
      .filter((n) => n > 0)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

function cellPages(base: number, memKiB: number, hugeDir: string | undefined, huge: number[]) {
  const hp = huge.map((size) => ({ size, count: (hugeDir && readNum(`${hugeDir}/hugepages-${size}kB/nr_hugepages`)) || 0 }));
  const hugeKiB = hp.reduce((a, p) => a + p.size * p.count, 0);
  return [{ size: base, count: Math.floor((memKiB - hugeKiB) / base) }, ...hp];
}

function memTotalKiB(text: string | undefined): number {
  return Number(/MemTotal:\s+(\d+) kB/.exec(text ?? "")?.[1] ?? 0);
}

/** NUMA cells from /sys/devices/system/node, or one cell with every cpu when there is no NUMA. */
function cells(base: number, huge: number[]): HostCell[] {
  const nodeDir = "/sys/devices/system/node";
  let nodes: number[] = [];
  try {
    nodes = readdirSync(nodeDir).map((n) => /^node(\d+)$/.exec(n)?.[1]).filter((x): x is string => !!x).map(Number).sort((a, b) => a - b);
  } catch {}
  if (!nodes.length) {
    const mem = memTotalKiB(read("/proc/meminfo"));
    const ids = parseCpuList(read("/sys/devices/system/cpu/online") ?? "0");
    return [{ id: 0, memoryKiB: mem, pages: cellPages(base, mem, "/sys/kernel/mm/hugepages", huge), cpus: ids.map(cpuOf) }];
  }
  return nodes.map((n) => {
    const d = `${nodeDir}/node${n}`;
    const mem = memTotalKiB(read(`${d}/meminfo`));
    const dist = (read(`${d}/distance`) ?? "").trim().split(/\s+/).filter(Boolean).map(Number);
    return {
      id: n,
      memoryKiB: mem,
      pages: cellPages(base, mem, `${d}/hugepages`, huge),
      distances: dist.map((value, i) => ({ id: nodes[i] ?? i, value })),
      cpus: parseCpuList(read(`${d}/cpulist`) ?? "").map(cpuOf),
    };
  });
}

const VENDORS: Record<string, string> = { GenuineIntel: "Intel", AuthenticAMD: "AMD", HygonGenuine: "Hygon" };

/** Read the host description from /proc and /sys. */
export function probeHost(opts: { migration?: HostCaps["migration"] } = {}): HostCaps {
  const info = cpuInfo();
  const first = info[0] ?? {};
  const sockets = new Set(info.map((c) => c["physical id"] ?? "0")).size || 1;
  const cores = Number(first["cpu cores"] ?? 0) || Math.max(1, Math.floor(info.length / sockets));
  const threads = Math.max(1, Math.floor((Number(first["siblings"] ?? 0) || cores) / cores));
  const base = 4; // KiB; every architecture we run on uses 4 KiB base pages
  const huge = hugeSizes();
  const states = (read("/sys/power/state") ?? "").split(/\s+/);
  const pm: string[] = [];
  if (states.includes("mem")) pm.push("suspend_mem");
  if (states.includes("disk")) pm.push("suspend_disk");
  if (states.includes("mem") && states.includes("disk")) pm.push("suspend_hybrid");
  let iommu = false;
  try {
    iommu = readdirSync("/sys/kernel/iommu_groups").length > 0;
  } catch {}
  const mc = first["microcode"];
  const bits = /(\d+) bits physical/.exec(first["address sizes"] ?? "")?.[1];
  const l3 = "/sys/devices/system/cpu/cpu0/cache/index3";
  const cacheKiB = Number(/^(\d+)K$/.exec(read(`${l3}/size`)?.trim() ?? "")?.[1] ?? 0);
  return {
    uuid: hostUuid(),
    arch: hostArch(),
    vendor: VENDORS[first["vendor_id"] ?? ""],
    microcode: mc ? Number(mc) : undefined,
    topology: { sockets, dies: 1, cores, threads },
    maxPhysAddrBits: bits ? Number(bits) : undefined,
    pageSizes: [base, ...huge],
    powerManagement: pm,
    iommu,
    migration: opts.migration,
    cells: cells(base, huge),
    cache: cacheKiB
      ? [{ id: readNum(`${l3}/id`) ?? 0, level: 3, type: "both", ...sizeUnit(cacheKiB), cpus: read(`${l3}/shared_cpu_list`)?.trim() ?? "0" }]
      : undefined,
    secmodels: [{ model: "none", doi: "0" }],
  };
}

/** libvirt prints cache sizes in the largest unit that divides them. */
function sizeUnit(kib: number): { size: number; unit: string } {
  if (kib % 1024 === 0) return { size: kib / 1024, unit: "MiB" };
  return { size: kib, unit: "KiB" };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");
const attrs = (a: Record<string, string | number | undefined>) =>
  Object.entries(a).filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}='${esc(String(v))}'`).join("");

function hostXml(h: HostCaps): string[] {
  const L: string[] = ["  <host>"];
  if (h.uuid) L.push(`    <uuid>${h.uuid}</uuid>`);
  L.push("    <cpu>", `      <arch>${h.arch}</arch>`);
  if (h.vendor) L.push(`      <vendor>${h.vendor}</vendor>`);
  if (h.microcode !== undefined) L.push(`      <microcode version='${h.microcode}'/>`);
  if (h.topology) L.push(`      <topology${attrs(h.topology)}/>`);
  if (h.maxPhysAddrBits) L.push(`      <maxphysaddr mode='emulate' bits='${h.maxPhysAddrBits}'/>`);
  if (h.cpuFeatures?.length) L.push("      <features>", ...h.cpuFeatures.map((f) => `        <${f}/>`), "      </features>");
  for (const s of h.pageSizes) L.push(`      <pages unit='KiB' size='${s}'/>`);
  L.push("    </cpu>");
  if (h.powerManagement.length) L.push("    <power_management>", ...h.powerManagement.map((p) => `      <${p}/>`), "    </power_management>");
  else L.push("    <power_management/>");
  L.push(`    <iommu support='${h.iommu ? "yes" : "no"}'/>`);
  if (h.migration) {
    L.push("    <migration_features>");
    if (h.migration.live) L.push("      <live/>");
    if (h.migration.transports.length) {
      L.push("      <uri_transports>", ...h.migration.transports.map((t) => `        <uri_transport>${t}</uri_transport>`), "      </uri_transports>");
    }
    L.push("    </migration_features>");
  }
  if (h.cells.length) {
    L.push("    <topology>", `      <cells num='${h.cells.length}'>`);
    for (const c of h.cells) {
      L.push(`        <cell id='${c.id}'>`, `          <memory unit='KiB'>${c.memoryKiB}</memory>`);
      for (const p of c.pages) L.push(`          <pages unit='KiB' size='${p.size}'>${p.count}</pages>`);
      if (c.distances?.length) {
        L.push("          <distances>", ...c.distances.map((d) => `            <sibling id='${d.id}' value='${d.value}'/>`), "          </distances>");
      }
      L.push(`          <cpus num='${c.cpus.length}'>`);
      for (const cpu of c.cpus) {
        L.push(`            <cpu${attrs({ id: cpu.id, socket_id: cpu.socketId, die_id: cpu.dieId, core_id: cpu.coreId, siblings: cpu.siblings })}/>`);
      }
      L.push("          </cpus>", "        </cell>");
    }
    L.push("      </cells>", "    </topology>");
  }
  if (h.cache?.length) {
    L.push("    <cache>", ...h.cache.map((b) => `      <bank${attrs({ id: b.id, level: b.level, type: b.type, size: b.size, unit: b.unit, cpus: b.cpus })}/>`), "    </cache>");
  }
  for (const s of h.secmodels) L.push("    <secmodel>", `      <model>${esc(s.model)}</model>`, `      <doi>${esc(s.doi)}</doi>`, "    </secmodel>");
  L.push("  </host>");
  return L;
}

function guestXml(g: GuestCaps): string[] {
  const L = ["  <guest>", `    <os_type>${g.osType}</os_type>`, `    <arch name='${g.arch}'>`, `      <wordsize>${g.wordsize}</wordsize>`];
  if (g.emulator) L.push(`      <emulator>${esc(g.emulator)}</emulator>`);
  for (const m of g.machines ?? []) L.push(`      <machine${attrs({ canonical: m.canonical, maxCpus: m.maxCpus })}>${esc(m.name)}</machine>`);
  for (const d of g.domains) {
    if (d.emulator) L.push(`      <domain type='${d.type}'>`, `        <emulator>${esc(d.emulator)}</emulator>`, "      </domain>");
    else L.push(`      <domain type='${d.type}'/>`);
  }
  L.push("    </arch>");
  if (g.features?.length) {
    L.push("    <features>");
    for (const f of g.features) L.push(typeof f === "string" ? `      <${f}/>` : `      <${f.name}${attrs({ default: f.default, toggle: f.toggle })}/>`);
    L.push("    </features>");
  }
  L.push("  </guest>");
  return L;
}

/** The capabilities document: host, then each guest, blank lines where libvirt puts them. */
export function formatCapabilities(host: HostCaps, guests: GuestCaps[]): string {
  const L = ["<capabilities>", "", ...hostXml(host), ""];
  for (const g of guests) L.push(...guestXml(g), "");
  L.push("</capabilities>");
  return L.join("\n") + "\n";
}

/** Capabilities of this host for a driver's guests (the usual getCapabilities body). */
export function hostCapabilities(guests: GuestCaps[], opts: { migration?: HostCaps["migration"] } = {}): string {
  return formatCapabilities(probeHost(opts), guests);
}

/** True when `path` names an existing file (drivers' validate() use it for <emulator>). */
export const binaryExists = (path: string) => existsSync(path);
