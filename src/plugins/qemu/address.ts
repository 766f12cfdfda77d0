// PCI address assignment (libvirt's qemuDomainAssignPCIAddresses, for i440fx and q35).
import { errors } from "../../core/errors.ts";
import { isQ35 } from "./caps.ts";
import { El } from "./xml.ts";
import { PciSpace, readPci, writePci, hex, type PciAddr } from "./pci.ts";

const PCI_SOUND = new Set(["es1370", "ac97", "ich6", "ich7", "ich9"]);
const PCI_CONTROLLERS: Record<string, (c: El) => boolean> = {
  "virtio-serial": () => true,
  scsi: (c) => c.attrs.model !== "virtio-mmio",
  usb: (c) => !["none", "piix3-uhci"].includes(c.attrs.model ?? "") || (c.attrs.index ?? "0") !== "0",
  sata: () => true,
};

/** Devices that want a PCI slot, in the order libvirt assigns them. */
function wanting(devs: El): El[] {
  const of = (n: string) => devs.kids.filter((k) => k.name === n);
  const out: El[] = [];
  // libvirt's order: filesystems, NICs and sound cards before device controllers (SCSI, USB, …).
  out.push(...of("filesystem"));
  for (const n of of("interface")) {
    const model = n.kids.find((k) => k.name === "model")?.attrs.type;
    if (model !== "usb-net" && model !== "spapr-vlan") out.push(n);
  }
  for (const s of of("sound")) if (PCI_SOUND.has(s.attrs.model ?? "")) out.push(s);
  for (const c of of("controller")) if (PCI_CONTROLLERS[c.attrs.type!]?.(c)) out.push(c);
  for (const d of of("disk")) if (d.kids.find((k) => k.name === "target")?.attrs.bus === "virtio") out.push(d);
  for (const h of of("hostdev")) if (h.attrs.type === "pci" && h.attrs.mode !== "capabilities") out.push(h);
  for (const b of of("memballoon")) if (b.attrs.model === "virtio") out.push(b);
  for (const r of of("rng")) if (r.attrs.model === "virtio") out.push(r);
  for (const w of of("watchdog")) if (w.attrs.model === "i6300esb") out.push(w);
  for (const v of of("video").slice(1)) out.push(v);
  for (const i of of("input")) if (i.attrs.bus === "virtio") out.push(i);
  out.push(...of("shmem"), ...of("vsock"));
  return out;
}

export function assignPciAddresses(dom: El, devs: El, machine: string): void {
  const space = new PciSpace();
  const all = devs.kids;
  for (const d of all) {
    const p = readPci(d);
    if (p) space.reserve(p);
    // A hostdev's <source><address> is the host's, not the guest's.
  }
  const q35 = isQ35(machine);
  const videos = all.filter((k) => k.name === "video");
  const ctrl = (type: string, idx = "0") => all.find((k) => k.name === "controller" && k.attrs.type === type && (k.attrs.index ?? "0") === idx);
  const needs = (d: El) => !d.kids.some((k) => k.name === "address");
  if (!q35) {
    space.reserveSlot(0, 0);
    space.reserveSlot(0, 1);
    const ide = ctrl("ide");
    if (ide && needs(ide)) writePci(ide, { bus: 0, slot: 1, fn: 1 });
    const usb = ctrl("usb");
    if (usb && usb.attrs.model === "piix3-uhci" && needs(usb)) writePci(usb, { bus: 0, slot: 1, fn: 2 });
    if (videos[0] && needs(videos[0]) && videos[0].kids.find((k) => k.name === "model")?.attrs.type !== "none") {
      space.reserveSlot(0, 2);
      writePci(videos[0], { bus: 0, slot: 2, fn: 0 });
    }
    for (const d of wanting(devs)) {
      if (!needs(d)) continue;
      const a = space.next(0, 2);
      if (!a) throw errors.operationFailed("No more available PCI slots");
      writePci(d, a);
    }
    return;
  }
  // q35: fixed ICH9 functions at 0x1f, primary video at 0x1, PCIe endpoints behind root ports.
  space.reserveSlot(0, 0);
  space.reserveSlot(0, 0x1f);
  const sata = ctrl("sata");
  if (sata && needs(sata)) writePci(sata, { bus: 0, slot: 0x1f, fn: 2 });
  if (videos[0] && needs(videos[0])) {
    space.reserveSlot(0, 1);
    writePci(videos[0], { bus: 0, slot: 1, fn: 0 });
  }
  const endpoints = wanting(devs).filter((d) => needs(d) && !(d.name === "controller" && d.attrs.type === "sata"));
  const existingIdx = all.filter((k) => k.name === "controller" && k.attrs.type === "pci").map((k) => Number(k.attrs.index ?? 0));
  let nextIdx = Math.max(0, ...existingIdx) + 1;
  const ports: El[] = [];
  for (const d of endpoints) {
    const port = newRootPort(devs, nextIdx++);
    ports.push(port);
    writePci(d, { bus: Number(port.attrs.index), slot: 0, fn: 0 });
  }
  if (ports.length) ports.push(newRootPort(devs, nextIdx++)); // one free port for hotplug, as libvirt
  // Root ports fill functions of the lowest free slot(s) on pcie.0.
  let slot: PciAddr | undefined;
  let fn = 0;
  for (const p of ports) {
    if (!slot || fn === 8) {
      slot = space.next(0, 1);
      if (!slot) throw errors.operationFailed("No more available PCI slots");
      fn = 0;
    }
    const a = { bus: 0, slot: slot.slot, fn };
    writePci(p, a, fn === 0);
    p.kids.find((k) => k.name === "target")!.attrs.port = hex((a.slot << 3) | a.fn, 1);
    fn++;
  }
}

function newRootPort(devs: El, index: number): El {
  const el = new El("controller", { type: "pci", index: String(index), model: "pcie-root-port" }, [
    new El("model", { name: "pcie-root-port" }),
    new El("target", { chassis: String(index), port: "" }),
  ]);
  el.consume();
  el.parent = devs;
  const last = devs.kids.map((k) => k.name === "controller" && k.attrs.type === "pci").lastIndexOf(true);
  devs.kids.splice(last + 1, 0, el);
  return el;
}
