// parseDomainXml: text → DomainDef. Well-formedness first (xml.ts), then element by element with
// the element path in every error (parse/ctx.ts); `validate` also rejects what the model does
// not know, as `virsh define --validate` does.
import type { DomainDef } from "./model.ts";
import { LXC_NAMESPACE_URI } from "./model.ts";
import { parseXmlDocument } from "./xml.ts";
import { Ctx, parseUint } from "./parse/ctx.ts";
import { parseUuid, randomUuid } from "./uuid.ts";
import { toKiB } from "./units.ts";
import { parseOs } from "./parse/os.ts";
import { parseDevices } from "./parse/devices.ts";
import { parseClock, parseSeclabel, parseCpu, parseCputune, parseFeatures, parseIdmap, parseLifecycle, parseLxcNamespace } from "./parse/general.ts";
import { checkDomainDef } from "./parse/checks.ts";
import { validateDomainDef } from "./validate.ts";
import { ErrorCode, ErrorDomain, errors, VirError } from "../errors.ts";

export interface ParseOptions {
  /** Reject unknown elements/attributes (virsh define --validate). */
  validate?: boolean;
  /**
   * Parse as a definition (define, create): ignore runtime state such as device aliases other
   * than "ua-" ones, pty paths and generated vnet/macvtap names — libvirt's PARSE_INACTIVE.
   */
  inactive?: boolean;
}

export function parseDomainXml(xml: string, opts: ParseOptions = {}): DomainDef {
  const root = parseXmlDocument(xml);
  if (root.name !== "domain") throw errors.xml(`/${root.name}: expected root element 'domain', found '${root.name}'`);
  const xmlns: Record<string, string> = {};
  for (const [k, v] of Object.entries(root.attrs)) if (k.startsWith("xmlns:")) xmlns[k.slice(6)] = v;
  const d = new Ctx(root, { validate: !!opts.validate, inactive: !!opts.inactive, xmlns });
  const def = parseDomain(d);
  d.checkUnknown();
  checkDomainDef(def);
  // The parser already enforces these invariants; --validate re-checks the model with valibot.
  if (opts.validate) validateDomainDef(def);
  return def;
}

const DOMAIN_TYPES = ["lxc", "qemu", "kvm", "test", "xen", "vbox", "vmware", "hyperv", "bhyve", "vz", "openvz", "none"] as const;

// libvirt's virXMLCheckIllegalChars for names: no '/' and no control characters.
const NAME_ILLEGAL = /[\/\n\r\t\x00-\x1f]/;

function parseDomain(d: Ctx): DomainDef {
  const typeAttr = d.attr("type");
  if (typeAttr === undefined) d.fail("missing domain type attribute");
  if (!(DOMAIN_TYPES as readonly string[]).includes(typeAttr!)) d.unsupported(`invalid domain type ${typeAttr}`, "type");
  const type = typeAttr as (typeof DOMAIN_TYPES)[number];
  const nameEl = d.child("name");
  const name = nameEl?.text();
  if (!name) throw new VirError(ErrorCode.NO_NAME, ErrorDomain.DOMAIN, "missing name information");
  if (name.includes("/")) nameEl!.fail(`name ${name} cannot contain '/'`);
  if (NAME_ILLEGAL.test(name)) nameEl!.fail(`name ${name} cannot contain control characters`);
  const uuidEl = d.child("uuid");
  let uuid: string;
  if (uuidEl) {
    const u = parseUuid(uuidEl.text() ?? "");
    if (!u) uuidEl.fail(`malformed uuid element '${uuidEl.text() ?? ""}'`);
    uuid = u!;
  } else uuid = randomUuid();
  const def: DomainDef = { type: type!, name, uuid, memory: 0, vcpu: { count: 1 }, os: parseOs(undefined), devices: [], seclabels: [], xmlns: {}, extra: [] };
  for (const [k, v] of Object.entries(d.el.attrs)) if (k.startsWith("xmlns:")) def.xmlns[k.slice(6)] = v;
  const title = d.child("title");
  if (title) {
    def.title = title.text() ?? "";
    if (def.title.includes("\n")) title.fail("Domain title can't contain newlines");
  }
  const desc = d.child("description");
  if (desc) def.description = desc.text() ?? "";

  const mem = d.child("memory");
  if (mem) def.memory = memory(mem);
  const cur = d.child("currentMemory");
  if (cur) def.currentMemory = memory(cur);
  const maxMem = d.child("maxMemory");
  if (maxMem) def.maxMemory = { size: memory(maxMem), slots: maxMem.intAttr("slots") };

  const vc = d.child("vcpu");
  if (vc) {
    const n = parseUint(vc.text() ?? "");
    if (n === undefined) vc.fail("maximum vcpus count must be an integer");
    if (n! < 1) vc.fail("Invalid CPU count '0'");
    def.vcpu = { count: n! };
    const placement = vc.enumAttr("placement", ["static", "auto"] as const);
    if (placement) def.vcpu.placement = placement;
    const current = vc.intAttr("current", "current vcpus count");
    if (current !== undefined) {
      if (current > n!) vc.unsupported("maximum vCPU count must not be less than current vCPU count", "current");
      if (current < 1) vc.fail("Invalid current vcpus count '0'", "current");
      def.vcpu.current = current;
    }
    const cpuset = vc.attr("cpuset");
    if (cpuset !== undefined) {
      if (!/^\^?\d+(-\d+)?(,\^?\d+(-\d+)?)*$/.test(cpuset.replace(/\s/g, ""))) vc.fail(`invalid cpuset '${cpuset}'`, "cpuset");
      def.vcpu.cpuset = cpuset;
    }
  }
  const cputune = d.child("cputune");
  if (cputune) def.cputune = parseCputune(cputune);
  const res = d.child("resource");
  if (res) {
    def.resource = {};
    const p = res.childText("partition");
    // Absolute-path check happens when the cgroup is placed (driver), as in libvirt.
    if (p !== undefined) def.resource.partition = p;
  }
  def.os = parseOs(d.child("os"));
  const idmap = d.child("idmap");
  if (idmap) def.idmap = parseIdmap(idmap);
  const features = d.child("features");
  if (features) def.features = parseFeatures(features);
  const cpu = d.child("cpu");
  if (cpu) def.cpu = parseCpu(cpu);
  const clock = d.child("clock");
  if (clock) def.clock = parseClock(clock);
  def.onPoweroff = parseLifecycle(d.child("on_poweroff"));
  def.onReboot = parseLifecycle(d.child("on_reboot"));
  def.onCrash = parseLifecycle(d.child("on_crash"));
  def.devices = parseDevices(d.child("devices"));
  def.seclabels = d.all("seclabel").map(parseSeclabel);

  // <lxc:namespace>: matched by namespace URI, whatever prefix the document chose.
  const lxcPrefix = Object.entries(def.xmlns).find(([, uri]) => uri === LXC_NAMESPACE_URI)?.[0];
  if (lxcPrefix) {
    const ns = d.child(`${lxcPrefix}:namespace`);
    if (ns) def.lxcNamespace = parseLxcNamespace(ns);
  }
  // Elements libvirt knows but the model does not are kept verbatim; unknown ones are dropped,
  // as libvirt's parser ignores them (validate mode has already refused them).
  for (const k of d.unused()) {
    d.use(k);
    if (k.known) def.extra.push(k.el);
  }
  // Drop undefined keys so the model compares and serialises cleanly.
  for (const k of ["onPoweroff", "onReboot", "onCrash"] as const) if (def[k] === undefined) delete def[k];
  return def;
}

/** `<memory unit=...>N</memory>` → KiB (libvirt caps at 2^53-1 KiB... we keep JS-safe). */
export function memory(c: Ctx): number {
  const r = toKiB(c.text() ?? "", c.attr("unit"));
  if (!r.ok) c.fail(r.reason);
  return r.kib;
}
