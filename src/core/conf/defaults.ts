// Post-parse defaults every libvirt driver applies (virDomainDefPostParseCommon and the generic
// device post-parse). Driver-specific defaults live with each driver and call this first.
import type { DomainDef } from "./model.ts";
import type { ChardevDev, ControllerDev } from "./model/devices.ts";
import { errors } from "../errors.ts";

export function applyCommonDefaults(def: DomainDef): DomainDef {
  // virDomainDefPostParseMemory: the size comes from <memory> or the NUMA cells.
  const cells = def.cpu?.numa ?? [];
  if (cells.length) def.memory = cells.reduce((n, c) => n + c.memory, 0);
  if (!def.memory) throw errors.xml("Memory size must be specified via <memory> or in the <numa> configuration");
  // virDomainDefPostParseMemory: no or too large currentMemory means "all of memory".
  if (def.currentMemory === undefined || def.currentMemory === 0 || def.currentMemory > def.memory) def.currentMemory = def.memory;
  def.vcpu.placement ??= "static";
  def.clock ??= { offset: "utc", timers: [] };
  def.onPoweroff ??= "destroy";
  def.onReboot ??= "restart";
  def.onCrash ??= "destroy";
  assignSerialPorts(def, "serial");
  assignSerialPorts(def, "parallel");
  addImplicitVirtioSerial(def);
  return def;
}

/** virtio channels and consoles need a virtio-serial controller; libvirt adds index 0. */
function addImplicitVirtioSerial(def: DomainDef): void {
  const needs = def.devices.some((d) => (d.kind === "channel" || d.kind === "console") && d.target?.attrs.type === "virtio");
  if (!needs || def.devices.some((d) => d.kind === "controller" && d.type === "virtio-serial")) return;
  const ctl: ControllerDev = { kind: "controller", type: "virtio-serial", index: 0, attrs: {} };
  def.devices.push(ctl);
}

/** Serial/parallel ports without a number get the next free one (virDomainChrTargetDefaults). */
function assignSerialPorts(def: DomainDef, kind: "serial" | "parallel"): void {
  const chrs = def.devices.filter((d): d is ChardevDev => d.kind === kind);
  let next = 0;
  for (const c of chrs) {
    const p = c.target?.attrs.port;
    if (p !== undefined) next = Math.max(next, Number(p) + 1);
  }
  for (const c of chrs) {
    c.target ??= { attrs: {} };
    if (c.target.attrs.port === undefined) c.target.attrs.port = String(next++);
  }
}
