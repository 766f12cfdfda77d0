// Invariants of a DomainDef, as a valibot schema. The parser calls it last (a safety net for
// parser bugs); drivers and the API call it on definitions built in code rather than parsed.
import * as v from "valibot";
import type { DomainDef } from "./model.ts";
import { LIFECYCLE_ACTIONS } from "./model.ts";
import { errors } from "../errors.ts";

const uint = v.pipe(v.number(), v.integer(), v.minValue(0));
const KiB = v.pipe(uint, v.maxValue(Number.MAX_SAFE_INTEGER));
const uuid = v.pipe(v.string(), v.regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, "not a canonical lower-case UUID"));
const mac = v.pipe(v.string(), v.regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/, "not a canonical MAC address"));
const ipAddr = v.pipe(v.string(), v.ip("not an IP address"));
const opt = v.optional;

const Ip = v.looseObject({ address: ipAddr, family: opt(v.picklist(["ipv4", "ipv6"])), prefix: opt(v.pipe(uint, v.maxValue(128))), peer: opt(ipAddr) });
const Route = v.looseObject({ address: ipAddr, gateway: ipAddr, prefix: opt(v.pipe(uint, v.maxValue(128))), metric: opt(uint) });
const Info = { boot: opt(v.looseObject({ order: v.pipe(uint, v.minValue(1)) })), alias: opt(v.pipe(v.string(), v.minLength(1))) };

// One schema per device kind, chosen by `kind` (v.lazy: no trial of every option per device).
const DEVICE_SCHEMAS = [
  v.looseObject({ kind: v.literal("emulator"), path: v.pipe(v.string(), v.minLength(1)) }),
  v.looseObject({ kind: v.literal("disk"), ...Info, type: v.string(), device: v.string() }),
  v.looseObject({
    kind: v.literal("filesystem"),
    ...Info,
    type: v.picklist(["mount", "block", "file", "template", "ram", "bind", "volume"]),
    target: v.pipe(v.string(), v.minLength(1)),
    source: v.looseObject({ usage: opt(KiB) }),
  }),
  v.looseObject({ kind: v.literal("interface"), ...Info, type: v.string(), mac: opt(v.looseObject({ address: mac })), ips: v.array(Ip), routes: v.array(Route), sourceIps: v.array(Ip), sourceRoutes: v.array(Route), mtu: opt(uint) }),
  v.looseObject({ kind: v.literal("hostdev"), ...Info, mode: v.picklist(["subsystem", "capabilities"]), type: v.string(), ips: v.array(Ip), routes: v.array(Route) }),
  v.looseObject({ kind: v.picklist(["serial", "console", "channel", "parallel"]), ...Info, type: v.string(), sources: v.array(v.looseObject({})) }),
  v.looseObject({ kind: v.literal("controller"), ...Info, type: v.string(), index: uint }),
  v.looseObject({ kind: v.literal("input"), ...Info, type: v.string() }),
  v.looseObject({ kind: v.literal("graphics"), attrs: v.looseObject({ type: v.string() }) }),
  v.looseObject({ kind: v.literal("memballoon"), ...Info, model: v.string() }),
  v.looseObject({ kind: v.literal("video"), ...Info }),
  v.looseObject({ kind: v.literal("audio"), id: v.pipe(uint, v.minValue(1)), type: v.string() }),
  v.looseObject({ kind: v.literal("watchdog"), ...Info, model: v.string() }),
  v.looseObject({ kind: v.literal("sound"), ...Info, model: v.string(), codecs: v.array(v.string()) }),
  v.looseObject({ kind: v.literal("raw"), xml: v.looseObject({ name: v.string() }) }),
];
const BY_KIND = new Map<string, (typeof DEVICE_SCHEMAS)[number]>();
for (const s of DEVICE_SCHEMAS) {
  const k = s.entries.kind as { literal?: string; options?: readonly string[] };
  for (const name of k.options ?? [k.literal!]) BY_KIND.set(name, s);
}
const UnknownKind = v.looseObject({ kind: v.picklist([...BY_KIND.keys()]) });
const Device = v.lazy((d: unknown) => BY_KIND.get((d as { kind?: string })?.kind ?? "") ?? UnknownKind);

const Idmap = v.array(v.object({ start: uint, target: uint, count: v.pipe(uint, v.minValue(1)) }));

// currentMemory > memory is legal input: libvirt clamps it in post-parse (applyCommonDefaults).
export const DomainDefSchema = v.looseObject({
  type: v.pipe(v.string(), v.minLength(1)),
  name: v.pipe(v.string(), v.minLength(1), v.regex(/^[^\/\n]*$/, "contains '/' or a newline")),
  uuid,
  memory: KiB,
  currentMemory: opt(KiB),
  vcpu: v.pipe(
    v.looseObject({ count: v.pipe(uint, v.minValue(1)), current: opt(v.pipe(uint, v.minValue(1))), placement: opt(v.picklist(["static", "auto"])) }),
    v.check((c) => c.current === undefined || c.current <= c.count, "current vcpus exceed the maximum"),
  ),
  os: v.looseObject({ type: v.string(), initargs: v.array(v.string()), initenv: v.array(v.object({ name: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), value: v.string() })), boot: v.array(v.picklist(["fd", "hd", "cdrom", "network"])) }),
  idmap: opt(v.object({ uid: Idmap, gid: Idmap })),
  onPoweroff: opt(v.picklist(LIFECYCLE_ACTIONS)),
  onReboot: opt(v.picklist(LIFECYCLE_ACTIONS)),
  onCrash: opt(v.picklist(LIFECYCLE_ACTIONS)),
  devices: v.array(Device),
  xmlns: v.record(v.string(), v.string()),
  extra: v.array(v.looseObject({ name: v.string() })),
});

/** Throw an XML_ERROR naming the first broken invariant (`devices.2.mac.address: ...`). */
export function validateDomainDef(def: DomainDef): void {
  const r = v.safeParse(DomainDefSchema, def, { abortEarly: true });
  if (r.success) return;
  const issue = r.issues[0];
  const path = v.getDotPath(issue);
  throw errors.xml(`invalid domain definition${path ? ` at ${path}` : ""}: ${issue.message}`);
}
