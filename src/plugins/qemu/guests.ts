// The capabilities <guest> entry for one probed emulator, as libvirt's QEMU driver lists it:
// every machine type (aliases with their canonical name), qemu and kvm domains, hvm features.
import type { GuestCaps } from "../../core/driver.ts";
import type { QemuCaps } from "./caps.ts";

export function qemuGuest(caps: QemuCaps & { kvm: boolean }): GuestCaps {
  const machines: NonNullable<GuestCaps["machines"]> = [];
  // libvirt puts the default machine type (and its alias, e.g. pc) first
  const tcg = caps.machines.filter((x) => x.accel === "tcg");
  for (const m of [...tcg.filter((x) => x.isDefault), ...tcg.filter((x) => !x.isDefault)]) {
    machines.push({ name: m.name, maxCpus: m.maxCpus ?? 1 });
    if (m.alias) machines.push({ name: m.alias, canonical: m.name, maxCpus: m.maxCpus ?? 1 });
  }
  return {
    osType: "hvm",
    arch: caps.arch,
    wordsize: caps.arch === "i686" ? 32 : 64,
    emulator: caps.emulator,
    machines,
    domains: [{ type: "qemu" }, ...(caps.kvm ? [{ type: "kvm" }] : [])],
    features: [
      { name: "acpi", default: "on", toggle: "yes" },
      { name: "apic", default: "on", toggle: "no" },
      "cpuselection",
      "deviceboot",
      { name: "disksnapshot", default: "on", toggle: "no" },
    ],
  };
}
