// parseDomainXml: text → DomainDef. Well-formedness first (xml.ts), then element by element with
// paths in every error (parse/ctx.ts).
import type { DomainDef, Device, LifecycleAction, OsDef, Vcpu } from "./model.ts";
import { LIFECYCLE_ACTIONS } from "./model.ts";
import { parseXmlDocument } from "./xml.ts";
import { Ctx } from "./parse/ctx.ts";
import { parseUuid, randomUuid } from "./uuid.ts";
import { toKiB } from "./units.ts";
import { errors } from "../errors.ts";

export interface ParseOptions {
  /** Reject unknown elements/attributes (virsh define --validate). */
  validate?: boolean;
}

export function parseDomainXml(xml: string, opts: ParseOptions = {}): DomainDef {
  const root = parseXmlDocument(xml);
  if (root.name !== "domain") throw errors.xml(`/${root.name}: expected root element 'domain', found '${root.name}'`);
  const d = new Ctx(root, "/domain", { validate: !!opts.validate });
  const def = parseDomain(d);
  d.checkUnknown();
  return def;
}

function parseDomain(d: Ctx): DomainDef {
  const type = d.req("type");
  const name = d.childText("name");
  if (!name) throw errors.xml("/domain/name: missing domain name");
  const uuidText = d.child("uuid")?.text();
  const uuid = uuidText === undefined ? randomUuid() : parseUuid(uuidText) ?? d.child("uuid")!.fail(`malformed uuid '${uuidText}'`);
  const mem = d.child("memory");
  const cur = d.child("currentMemory");
  const def: DomainDef = {
    type,
    name,
    uuid,
    title: d.childText("title"),
    description: d.child("description") ? d.childText("description") ?? "" : undefined,
    memory: mem ? memory(mem) : 0,
    currentMemory: cur ? memory(cur) : undefined,
    vcpu: vcpu(d.child("vcpu")),
    os: os(d.child("os")),
    onPoweroff: lifecycle(d.child("on_poweroff")),
    onReboot: lifecycle(d.child("on_reboot")),
    onCrash: lifecycle(d.child("on_crash")),
    devices: devices(d.child("devices")),
    xmlns: {},
    extra: [],
  };
  for (const [k, v] of Object.entries(d.el.attrs)) if (k.startsWith("xmlns:")) def.xmlns[k.slice(6)] = v;
  for (const k of d.unused()) {
    d.use(k);
    def.extra.push(k.el);
  }
  return def;
}

export function memory(c: Ctx): number {
  const r = toKiB(c.text() ?? "", c.attr("unit"));
  if (!r.ok) c.fail(r.reason);
  return r.kib;
}

function vcpu(c: Ctx | undefined): Vcpu {
  if (!c) return { count: 1 };
  const n = Number(c.text());
  if (!/^\d+$/.test(c.text() ?? "") || n < 1) c.fail(`invalid vcpu count '${c.text() ?? ""}'`);
  const v: Vcpu = { count: n, placement: c.enumAttr("placement", ["static", "auto"] as const, "vcpu placement") };
  const cur = c.attr("current");
  if (cur !== undefined) {
    if (!/^\d+$/.test(cur)) c.fail(`invalid current vcpus '${cur}'`, "current");
    v.current = Number(cur);
  }
  v.cpuset = c.attr("cpuset");
  return v;
}

function os(c: Ctx | undefined): OsDef {
  const o: OsDef = { type: "", initargs: [], initenv: [], boot: [] };
  if (!c) return o;
  const t = c.child("type");
  if (t) {
    o.type = t.text() ?? "";
    o.arch = t.attr("arch");
    o.machine = t.attr("machine");
  }
  o.init = c.childText("init");
  o.initargs = c.all("initarg").map((a) => a.text() ?? "");
  o.initenv = c.all("initenv").map((e) => ({ name: e.req("name"), value: e.text() ?? "" }));
  o.initdir = c.childText("initdir");
  o.inituser = c.childText("inituser");
  o.initgroup = c.childText("initgroup");
  o.kernel = c.childText("kernel");
  o.initrd = c.childText("initrd");
  o.cmdline = c.childText("cmdline");
  o.boot = c.all("boot").map((b) => b.req("dev"));
  const bm = c.child("bootmenu");
  if (bm) o.bootmenu = { enable: bm.req("enable"), timeout: bm.attr("timeout") };
  return o;
}

function lifecycle(c: Ctx | undefined): LifecycleAction | undefined {
  if (!c) return undefined;
  const v = c.text() ?? "";
  if (!(LIFECYCLE_ACTIONS as readonly string[]).includes(v)) c.fail(`invalid lifecycle action '${v}'`);
  return v as LifecycleAction;
}

function devices(c: Ctx | undefined): Device[] {
  if (!c) return [];
  return c.each().map((k): Device => (k.name === "emulator" ? { kind: "emulator", path: k.text() ?? "" } : { kind: "raw", xml: k.el }));
}
