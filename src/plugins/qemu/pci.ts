// PCI addresses as libvirt assigns them to a domain's devices (qemu_domain_address.c): explicit
// addresses are reserved first, then devices get the lowest free slot in libvirt's order.
import { El } from "./xml.ts";

export interface PciAddr {
  bus: number;
  slot: number;
  fn: number;
}

export const hex = (n: number, w: number) => "0x" + n.toString(16).padStart(w, "0");

export function readPci(dev: El): PciAddr | undefined {
  const a = dev.kids.find((k) => k.name === "address");
  if (!a || a.attrs.type !== "pci") return undefined;
  a.used = true;
  for (const k of ["type", "domain", "bus", "slot", "function", "multifunction"]) a.usedAttrs.add(k);
  return { bus: Number(a.attrs.bus ?? 0), slot: Number(a.attrs.slot ?? 0), fn: Number(a.attrs.function ?? 0) };
}

export function writePci(dev: El, p: PciAddr, multifunction = false): void {
  const attrs: Record<string, string> = { type: "pci", domain: "0x0000", bus: hex(p.bus, 2), slot: hex(p.slot, 2), function: hex(p.fn, 1) };
  if (multifunction) attrs.multifunction = "on";
  const el = new El("address", attrs);
  el.consume();
  const old = dev.kids.find((k) => k.name === "address");
  if (old) dev.remove(old);
  dev.insert(el);
}

/** Free-slot allocator over numbered buses. */
export class PciSpace {
  private used = new Set<string>();
  reserve(p: PciAddr): void {
    this.used.add(`${p.bus}:${p.slot}:${p.fn}`);
  }
  reserveSlot(bus: number, slot: number): void {
    for (let fn = 0; fn < 8; fn++) this.reserve({ bus, slot, fn });
  }
  isFree(bus: number, slot: number): boolean {
    for (let fn = 0; fn < 8; fn++) if (this.used.has(`${bus}:${slot}:${fn}`)) return false;
    return true;
  }
  /** Lowest free slot (function 0) on a bus, slots minSlot..31. */
  next(bus: number, minSlot = 1, maxSlot = 31): PciAddr | undefined {
    for (let s = minSlot; s <= maxSlot; s++) {
      if (this.isFree(bus, s)) {
        this.reserveSlot(bus, s);
        return { bus, slot: s, fn: 0 };
      }
    }
    return undefined;
  }
}
