// Formatting pieces shared by devices: attribute lists, child ordering, addresses, device info,
// IP addresses and routes.
import { el, type XmlEl } from "../xml.ts";
import type { Address, DeviceInfo, IpAddr, Route } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";

export interface Fmt {
  inactive: boolean;
}

/** The present keys of `obj` in the order of `keys` (libvirt prints attributes in fixed order). */
export function ordered(obj: Record<string, string | number | undefined> | undefined, keys: readonly string[]): Record<string, string | number | undefined> {
  const r: Record<string, string | number | undefined> = {};
  if (!obj) return r;
  for (const k of keys) if (obj[k] !== undefined) r[k] = obj[k];
  return r;
}

/**
 * Stable sort of an element's children into libvirt's order. Names not in `order` (raw XML we
 * keep but do not model) go just before the device info block (boot/alias/acpi/rom/address).
 */
export function sortChildren(kids: (XmlEl | undefined | null | false)[], order: readonly string[]): XmlEl[] {
  const infoAt = order.indexOf("boot") >= 0 ? order.indexOf("boot") : order.length;
  const rank = (e: XmlEl) => {
    const i = order.indexOf(e.name);
    return i >= 0 ? i : infoAt - 0.5;
  };
  return kids
    .filter((k): k is XmlEl => !!k)
    .map((e, i) => [e, i] as const)
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1])
    .map((p) => p[0]);
}

export const INFO_ORDER = ["boot", "alias", "acpi", "rom", "address"] as const;

// Fields of each address type, in libvirt's print order.
const ADDR_ORDER: Record<string, readonly string[]> = {
  pci: ["domain", "bus", "slot", "function", "multifunction"],
  drive: ["controller", "bus", "target", "unit"],
  "virtio-serial": ["controller", "bus", "port"],
  ccid: ["controller", "slot"],
  usb: ["bus", "port"],
  "spapr-vio": ["reg"],
  ccw: ["cssid", "ssid", "devno"],
  isa: ["iobase", "irq"],
  dimm: ["slot", "base"],
};

export function addressEl(a: Address, withType = true, name = "address"): XmlEl {
  const keys = ADDR_ORDER[a.type] ?? K.ADDRESS;
  const attrs: Record<string, string | undefined> = withType ? { type: a.type } : {};
  Object.assign(attrs, ordered(a, keys), ordered(a, K.ADDRESS.filter((k) => !keys.includes(k))));
  return el(name, attrs);
}

/** Host-side source address of a hostdev: usb prints bus/device, pci its four fields, no type. */
export function sourceAddressEl(a: Address): XmlEl {
  if (a.type === "usb") return el("address", ordered(a, ["bus", "device"]));
  if (a.type === "pci") return el("address", ordered(a, ["domain", "bus", "slot", "function"]));
  return addressEl(a);
}

export function infoEls(info: DeviceInfo, f: Fmt): XmlEl[] {
  const out: XmlEl[] = [];
  if (info.boot) out.push(el("boot", { order: info.boot.order, loadparm: info.boot.loadparm }));
  // Inactive XML keeps only user-chosen aliases ("ua-" prefix), as libvirt does.
  if (info.alias && (!f.inactive || info.alias.startsWith("ua-"))) out.push(el("alias", { name: info.alias }));
  if (info.acpiIndex !== undefined) out.push(el("acpi", { index: info.acpiIndex }));
  if (info.rom) out.push(el("rom", ordered(info.rom, K.ROM)));
  if (info.address) out.push(addressEl(info.address));
  return out;
}

export function ipEl(ip: IpAddr): XmlEl {
  return el("ip", { address: ip.address, family: ip.family, prefix: ip.prefix, peer: ip.peer });
}

export function routeEl(r: Route): XmlEl {
  return el("route", { family: r.family, address: r.address, netmask: r.netmask, prefix: r.prefix, gateway: r.gateway, metric: r.metric });
}
