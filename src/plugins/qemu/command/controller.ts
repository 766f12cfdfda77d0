// Controllers that become devices (PCI root ports, USB, SCSI, virtio-serial).
import { json } from "./argv.ts";
import { push, unsupported, type Ctx } from "./context.ts";

const ORDER = ["pci", "usb", "scsi", "ide", "sata", "fdc", "ccid", "virtio-serial"];
const USB_DRIVERS: Record<string, string> = {
  "piix3-uhci": "piix3-usb-uhci", "piix4-uhci": "piix4-usb-uhci", "qemu-xhci": "qemu-xhci", "nec-xhci": "nec-usb-xhci", ehci: "usb-ehci", "ich9-ehci1": "ich9-usb-ehci1",
};

export function buildControllers(ctx: Ctx): void {
  const ctrls = ctx.devs.all("controller");
  for (const type of ORDER) {
    for (const c of ctrls.filter((k) => k.attrs.type === type)) {
      c.a("type");
      const idx = Number(c.a("index") ?? 0);
      const model = c.a("model");
      const props = () => ctx.pciProps(c);
      let dev: Record<string, unknown> | undefined;
      if (type === "pci") {
        if (model === "pci-root" || model === "pcie-root") {
          if (idx !== 0) throw unsupported(`${model} index ${idx}`);
        } else if (model === "pcie-root-port") {
          c.child("model")?.a("name");
          const t = c.child("target")!;
          dev = { driver: "pcie-root-port", port: Number(t.a("port")), chassis: Number(t.a("chassis")), id: `pci.${idx}`, ...props() };
        } else throw unsupported(`pci controller model '${model}'`);
      } else if (type === "usb") {
        if (model === "none") continue;
        const drv = USB_DRIVERS[model!];
        if (!drv) throw unsupported(`usb controller model '${model}'`);
        dev = { driver: drv, id: idx === 0 ? "usb" : `usb${idx}`, ...props() };
      } else if (type === "scsi") {
        const m = model ?? "lsilogic";
        const drv = { lsilogic: "lsi", "virtio-scsi": "virtio-scsi-pci" }[m];
        if (!drv) throw unsupported(`scsi controller model '${m}'`);
        dev = { driver: drv, id: `scsi${idx}`, ...props() };
      } else if (type === "virtio-serial") {
        dev = { driver: "virtio-serial-pci", id: `virtio-serial${idx}`, ...props() };
      } else if (type === "sata" && !(ctx.q35 && idx === 0)) {
        dev = { driver: "ahci", id: `sata${idx}`, ...props() };
      } else if (type === "ide" || type === "fdc" || type === "sata") {
        // Built into the i440fx (PIIX3 IDE, ISA FDC) and q35 (ICH9 AHCI) machines.
        c.child("address")?.consume();
      } else throw unsupported(`controller type '${type}'`);
      const u = c.firstUnused();
      if (u) throw unsupported(u);
      if (dev) push(ctx, "-device", json(dev));
    }
  }
  for (const c of ctrls) if (!ORDER.includes(c.attrs.type!)) throw unsupported(`controller type '${c.attrs.type}'`);
}
