// QEMU capabilities: what one emulator binary offers. Built either from libvirt's cached
// capability XML (the conformance data) or by probing the binary over QMP (probe.ts).
import { parseXml } from "./xml.ts";

export interface MachineType {
  name: string;
  alias?: string;
  maxCpus?: number;
  isDefault?: boolean;
  acpi?: boolean;
  defaultRamId?: string;
  /** Accelerator this entry was reported for ('kvm' or 'tcg'). */
  accel: string;
}

export interface QemuCaps {
  emulator: string;
  /** libvirt encoding: major*1e6 + minor*1e3 + micro. */
  version: number;
  arch: string;
  /** libvirt capability flags (e.g. 'kvm', 'blockdev', 'device.json'); probing synthesises them. */
  flags: Set<string>;
  machines: MachineType[];
  /** Whether -machine names from the XML are made canonical (pc → pc-i440fx-X.Y) on define. */
  canonicalize: boolean;
}

export const hasFlag = (c: QemuCaps, f: string) => c.flags.has(f);

/** libvirt's `caps_<ver>_<arch>.xml` (tests/qemucapabilitiesdata). */
export function parseCapsXml(xml: string): QemuCaps {
  const root = parseXml(xml);
  const flags = new Set(root.all("flag").map((f) => f.attrs.name!));
  const machines = root.all("machine").map((m) => ({
    name: m.attrs.name!,
    alias: m.attrs.alias,
    maxCpus: m.attrs.maxCpus ? Number(m.attrs.maxCpus) : undefined,
    isDefault: m.attrs.default === "yes",
    acpi: m.attrs.acpi === "yes",
    defaultRamId: m.attrs.defaultRAMid,
    accel: m.attrs.type ?? "tcg",
  }));
  return {
    emulator: root.t("emulator") ?? "",
    version: Number(root.t("version") ?? 0),
    arch: root.t("arch") ?? "x86_64",
    flags,
    machines,
    canonicalize: true,
  };
}

/** Resolve a machine name or alias for an accelerator. */
export function findMachine(caps: QemuCaps, name: string, accel: string): MachineType | undefined {
  const list = caps.machines.filter((m) => m.accel === accel);
  const pool = list.length ? list : caps.machines;
  return pool.find((m) => m.name === name) ?? pool.find((m) => m.alias === name);
}

export function isQ35(machine: string): boolean {
  return machine === "q35" || machine.startsWith("pc-q35");
}
export function isI440fx(machine: string): boolean {
  return machine === "pc" || machine.startsWith("pc-i440fx") || machine.startsWith("pc-") && !isQ35(machine);
}

