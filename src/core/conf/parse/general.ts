// Domain-level elements other than os and devices: cputune, resource, idmap, features, cpu,
// clock, lifecycle actions, lxc:namespace.
import type { Ctx } from "./ctx.ts";
import type { ClockDef, CpuDef, Cputune, Features, Idmap, IdmapEntry, LifecycleAction, LxcNamespace, LxcShareNs, SecLabel } from "../model.ts";
import { LIFECYCLE_ACTIONS, PROCESS_CAPS } from "../model.ts";
import type { NumaCell } from "../model.ts";
import { toKiB } from "../units.ts";
import { errors } from "../../errors.ts";

export function parseCputune(c: Ctx): Cputune {
  const t: Cputune = { extra: [] };
  const shares = c.child("shares");
  if (shares) t.shares = shares.intText("cputune shares");
  const period = c.child("period");
  if (period) t.period = period.intText("cputune period");
  const quota = c.child("quota");
  if (quota) {
    const q = Number(quota.text());
    if (!/^-?\d+$/.test(quota.text() ?? "")) quota.fail(`invalid cputune quota '${quota.text() ?? ""}'`);
    t.quota = q;
  }
  for (const k of c.unused()) if ((c.use(k), k.known)) t.extra.push(k.el);
  return t;
}

function idmapEntries(list: Ctx[]): IdmapEntry[] {
  // Sorted by start, as virDomainIdmapDefParseXML does.
  return list.map((e) => ({
    start: e.intAttr("start") ?? e.fail("missing required attribute 'start'"),
    target: e.intAttr("target") ?? e.fail("missing required attribute 'target'"),
    count: e.intAttr("count") ?? e.fail("missing required attribute 'count'"),
  })).sort((a, b) => a.start - b.start);
}

export function parseIdmap(c: Ctx): Idmap {
  const m: Idmap = { uid: idmapEntries(c.all("uid")), gid: idmapEntries(c.all("gid")) };
  // virDomainIdmapDefParseXML's checks, with its wording.
  if (!m.uid.length !== !m.gid.length) c.unsupported("uid and gid should be mapped both");
  if ((m.uid.length && m.uid[0]!.start !== 0) || (m.gid.length && m.gid[0]!.start !== 0)) c.unsupported("You must map the root user of container");
  return m;
}

export function parseFeatures(c: Ctx): Features {
  const f: Features = { items: [] };
  for (const k of c.each()) {
    if (k.name === "capabilities") {
      const policy = k.enumAttr("policy", ["default", "allow", "deny"] as const) ?? "default";
      const caps = k.each().map((cap) => {
        if (!(PROCESS_CAPS as readonly string[]).includes(cap.name)) cap.unsupported(`unexpected capability feature '${cap.name}'`);
        return { name: cap.name, state: cap.enumAttr("state", ["on", "off"] as const) ?? cap.fail("missing required attribute 'state'") };
      });
      // libvirt keeps one slot per capability, so they come out in its enum order.
      caps.sort((a, b) => PROCESS_CAPS.indexOf(a.name as never) - PROCESS_CAPS.indexOf(b.name as never));
      f.capabilities = { policy, caps };
    } else {
      for (const a of Object.keys(k.el.attrs)) k.attr(a);
      f.items.push({ name: k.name, attrs: { ...k.el.attrs }, children: k.each().map((x) => x.el) });
      // children of features are kept verbatim: mark their attributes known for validate
      for (const x of k.each()) for (const a of Object.keys(x.el.attrs)) x.attr(a);
    }
  }
  return f;
}

export function parseCpu(c: Ctx): CpuDef {
  const cpu: CpuDef = { features: [], extra: [] };
  for (const k of ["mode", "match", "check", "migratable"] as const) {
    const v = c.attr(k);
    if (v !== undefined) cpu[k] = v;
  }
  const model = c.child("model");
  if (model) cpu.model = { name: model.text() ?? "", fallback: model.attr("fallback"), vendorId: model.attr("vendor_id") };
  const vendor = c.childText("vendor");
  if (vendor !== undefined) cpu.vendor = vendor;
  const topo = c.child("topology");
  if (topo) {
    const n = (k: string) => {
      const v = topo.intAttr(k, `CPU topology '${k}'`);
      if (v === 0) topo.fail(`Invalid CPU topology '${k}' value '0'`, k);
      return v;
    };
    cpu.topology = { sockets: n("sockets") ?? 1, dies: n("dies"), clusters: n("clusters"), cores: n("cores") ?? 1, threads: n("threads") ?? 1 };
  }
  cpu.features = c.all("feature").map((f) => ({ policy: f.attr("policy"), name: f.req("name") }));
  const numa = c.child("numa");
  if (numa) {
    cpu.numa = numa.all("cell").map((cell) => {
      const r = toKiB(cell.attr("memory") ?? cell.fail("missing required attribute 'memory'"), cell.attr("unit"));
      if (!r.ok) cell.fail(r.reason, "memory");
      const nc: NumaCell = { memory: r.kib, children: cell.each().map((k) => k.el) };
      const id = cell.intAttr("id", "NUMA cell id");
      if (id !== undefined) nc.id = id;
      for (const k of ["cpus", "memAccess", "discard"] as const) {
        const v = cell.attr(k);
        if (v !== undefined) nc[k] = v;
      }
      return nc;
    });
    for (const k of numa.unused()) if ((numa.use(k), k.known)) cpu.extra.push(k.el);
  }
  for (const k of c.unused()) if ((c.use(k), k.known)) cpu.extra.push(k.el);
  return cpu;
}

export function parseClock(c: Ctx): ClockDef {
  const offset = c.enumAttr("offset", ["utc", "localtime", "variable", "timezone", "absolute"] as const) ?? "utc";
  const clk: ClockDef = { offset, timers: c.all("timer").map((t) => ({ ...t.el.attrs })) };
  for (const t of c.all("timer")) for (const a of Object.keys(t.el.attrs)) t.attr(a);
  for (const k of ["adjustment", "timezone", "basis"] as const) {
    const v = c.attr(k);
    if (v !== undefined) clk[k] = v;
  }
  return clk;
}

export function parseLifecycle(c: Ctx | undefined): LifecycleAction | undefined {
  if (!c) return undefined;
  const v = c.text() ?? "";
  if (!(LIFECYCLE_ACTIONS as readonly string[]).includes(v)) c.unsupported(`unknown ${c.name} action: ${v}`);
  return v as LifecycleAction;
}

export function parseSeclabel(c: Ctx): SecLabel {
  const s: SecLabel = {};
  const type = c.enumAttr("type", ["none", "static", "dynamic"] as const);
  if (type) s.type = type;
  const model = c.attr("model");
  if (model !== undefined) s.model = model;
  const relabel = c.enumAttr("relabel", ["yes", "no"] as const);
  if (relabel) s.relabel = relabel;
  for (const k of ["label", "imagelabel", "baselabel"] as const) {
    const v = c.childText(k);
    if (v !== undefined) s[k] = v;
  }
  return s;
}

export function parseLxcNamespace(c: Ctx): LxcNamespace {
  const ns: LxcNamespace = {};
  for (const k of c.each()) {
    const key = k.name.replace(/^[^:]*:/, "");
    if (key !== "sharenet" && key !== "shareipc" && key !== "shareuts") k.fail(`unknown LXC namespace source '${k.name}'`);
    const type = k.attr("type");
    if (type === undefined) k.fail("No lxc environment type specified");
    if (type !== "name" && type !== "pid" && type !== "netns") throw errors.internal(`${k.path}/@type: Unknown LXC namespace source '${type}'`);
    const value = k.attr("value") ?? k.fail("No lxc environment value specified");
    ns[key as keyof LxcNamespace] = { type: type as LxcShareNs["type"], value };
  }
  return ns;
}
