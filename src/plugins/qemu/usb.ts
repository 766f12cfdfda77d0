// USB port assignment shared by the defaults (addresses written into a new definition) and the
// command-line builder (devices without a written address).
import { El } from "./xml.ts";

/** USB ports in libvirt's assignment order: explicit ones kept, others take the next free port. */
export function usbPorts(devs: El): Map<El, string> {
  const m = new Map<El, string>();
  // libvirt's device iteration order: disks, hostdevs, inputs, redirdevs.
  const users = [
    ...devs.kids.filter((k) => k.name === "disk" && k.kids.some((t) => t.name === "target" && t.attrs.bus === "usb")),
    ...devs.kids.filter((k) => k.name === "hostdev" && k.attrs.type === "usb"),
    ...devs.kids.filter((k) => k.name === "input" && k.attrs.bus === "usb"),
    ...devs.kids.filter((k) => k.name === "redirdev"),
  ];
  const taken = new Set<string>();
  for (const u of users) {
    const a = u.kids.find((k) => k.name === "address" && k.attrs.type === "usb");
    if (a?.attrs.port) {
      m.set(u, a.attrs.port);
      taken.add(a.attrs.port);
    }
  }
  let next = 1;
  for (const u of users) {
    if (m.has(u)) continue;
    while (taken.has(String(next))) next++;
    m.set(u, String(next));
    taken.add(String(next));
  }
  return m;
}

/** libvirt assigns USB addresses only when a domain is first defined (newDomain). */
export function assignUsbAddresses(devs: El): void {
  const ctrl = devs.kids.find((k) => k.name === "controller" && k.attrs.type === "usb" && (k.attrs.index ?? "0") === "0");
  if (!ctrl || ctrl.attrs.model === "none") return;
  for (const [dev, port] of usbPorts(devs)) {
    if (dev.kids.some((k) => k.name === "address")) continue;
    dev.insert(new El("address", { type: "usb", bus: "0", port }));
  }
}
