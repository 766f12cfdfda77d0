// Validators and sub-element parsers shared by several devices: MAC, IP, routes, addresses,
// device info (alias, boot, acpi, rom, address).
import type { Ctx } from "./ctx.ts";
import { parseUint } from "./ctx.ts";
import type { Address, DeviceInfo, IpAddr, Route } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";

/** Canonical lower-case MAC, or undefined (virMacAddrParse: 6 hex octets, ':' or '-'). */
export function parseMac(s: string): string | undefined {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) return undefined;
  return parts.map((p) => p.toLowerCase().padStart(2, "0")).join(":");
}

/** A random MAC under libvirt's prefix 52:54:00 (virDomainNetGenerateMAC). */
export function randomMac(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return ["52", "54", "00", ...Array.from(b, (x) => x.toString(16).padStart(2, "0"))].join(":");
}

export function isIPv4(s: string): boolean {
  const p = s.split(".");
  return p.length === 4 && p.every((x) => /^\d{1,3}$/.test(x) && Number(x) <= 255);
}

export function isIPv6(s: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !s.includes(":")) return false;
  let head = s;
  let groupsV4 = 0;
  const lastColon = s.lastIndexOf(":");
  if (s.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(s.slice(lastColon + 1))) return false;
    head = s.slice(0, lastColon + 1) + "0";
    groupsV4 = 1; // the IPv4 tail counts as two groups, "0" placeholder stands for one
  }
  const dbl = head.split("::");
  if (dbl.length > 2) return false;
  const groups = dbl.flatMap((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  const n = groups.length + groupsV4;
  return dbl.length === 2 ? n < 8 : n === 8;
}

export function ipFamily(s: string): "ipv4" | "ipv6" | undefined {
  return isIPv4(s) ? "ipv4" : isIPv6(s) ? "ipv6" : undefined;
}

function checkAddr(c: Ctx, attr: string, family?: string): string | undefined {
  const v = c.attr(attr);
  if (v === undefined) return undefined;
  const f = ipFamily(v);
  if (!f) c.fail(`Invalid address '${v}' in <${c.name}>`, attr);
  if (family && f !== family) c.fail(`address '${v}' is not ${family}`, attr);
  return v;
}

/** `<ip address family prefix peer/>` (virDomainNetIPParseXML). */
export function parseIp(c: Ctx): IpAddr {
  const family = c.enumAttr("family", ["ipv4", "ipv6"] as const);
  const address = checkAddr(c, "address", family);
  if (address === undefined) c.fail("Missing required address in <ip>");
  const ip: IpAddr = { address: address! };
  if (family) ip.family = family;
  const prefix = c.intAttr("prefix", "prefix");
  if (prefix !== undefined) {
    if (prefix > ((family ?? ipFamily(address!)) === "ipv6" ? 128 : 32)) c.fail(`Invalid prefix value '${prefix}' in <ip>`, "prefix");
    ip.prefix = prefix;
  }
  const peer = checkAddr(c, "peer");
  if (peer) ip.peer = peer;
  return ip;
}

/** `<route family address netmask prefix gateway metric/>` (virNetDevIPRouteParseXML). */
export function parseRoute(c: Ctx): Route {
  const family = c.enumAttr("family", ["ipv4", "ipv6"] as const);
  const address = checkAddr(c, "address", family);
  const gateway = checkAddr(c, "gateway", family);
  if (address === undefined) c.fail("Missing required address attribute in route definition");
  if (gateway === undefined) c.fail("Missing required gateway attribute in route definition");
  const r: Route = { address: address!, gateway: gateway! };
  if (family) r.family = family;
  const netmask = checkAddr(c, "netmask", "ipv4");
  if (netmask) r.netmask = netmask;
  const prefix = c.intAttr("prefix");
  if (prefix !== undefined) r.prefix = prefix;
  const metric = c.intAttr("metric");
  if (metric !== undefined) r.metric = metric;
  return r;
}

// PCI fields are stored as libvirt prints them: domain 4, bus 2, slot 2 hex digits, function 1.
const PCI_WIDTH: Record<string, [number, number]> = { domain: [4, 0xffff], bus: [2, 0xff], slot: [2, 0x1f], function: [1, 7] };

/** `<address type=...>`; `defaultType` for source addresses that omit it (usb/pci hostdev). */
export function parseAddress(c: Ctx, defaultType?: string): Address {
  const type = c.attr("type") ?? defaultType;
  if (!type) c.fail("missing required attribute 'type'");
  const a = { type: type!, ...c.pick(K.ADDRESS) } as Address;
  if (type === "pci") {
    for (const [k, [w, max]] of Object.entries(PCI_WIDTH)) {
      const v = a[k as keyof typeof PCI_WIDTH];
      if (v === undefined) continue;
      const n = parseUint(v);
      if (n === undefined || n > max) c.fail(`invalid PCI address ${k} '${v}'`, k);
      a[k as keyof typeof PCI_WIDTH] = "0x" + n!.toString(16).padStart(w, "0");
    }
  } else if (type === "usb" && defaultType === "usb") {
    for (const k of ["bus", "device"] as const) {
      const v = a[k];
      if (v !== undefined && parseUint(v) === undefined) c.fail(`invalid USB address ${k} '${v}'`, k);
    }
  }
  return a;
}

/** boot/alias/acpi/rom/address children shared by all devices. */
export function parseInfo(c: Ctx, info: DeviceInfo): void {
  const alias = c.child("alias");
  if (alias) {
    const name = alias.req("name");
    // A definition being defined keeps only user aliases ("ua-"); the rest is runtime state.
    if (!c.opts.inactive || name.startsWith("ua-")) info.alias = name;
  }
  const boot = c.child("boot");
  if (boot) {
    const order = boot.intAttr("order", "boot order");
    if (order === undefined || order < 1) boot.fail(`invalid boot order '${boot.attr("order") ?? ""}'`, "order");
    info.boot = { order: order! };
    const lp = boot.attr("loadparm");
    if (lp !== undefined) info.boot.loadparm = lp;
  }
  const acpi = c.child("acpi");
  if (acpi) info.acpiIndex = acpi.intAttr("index", "acpi index");
  const rom = c.child("rom");
  if (rom) info.rom = rom.pick(K.ROM);
  const addr = c.child("address");
  if (addr) info.address = parseAddress(addr);
}

/** Children the device parser did not consume, kept verbatim (and rejected by validate). */
export function keepExtra(c: Ctx, info: { extra?: import("../model.ts").RawXml[] }): void {
  const rest = c.unused();
  for (const k of rest) c.use(k);
  // Unknown to libvirt's schema: dropped, as libvirt's parser ignores them.
  const kept = rest.filter((k) => k.known).map((k) => k.el);
  if (kept.length) info.extra = kept;
}
