// <hostdev> (virDomainHostdevDefParseXML): subsystem usb/pci/scsi/mdev and LXC's
// capabilities storage/misc/net.
import type { Ctx } from "./ctx.ts";
import type { HostdevDev } from "../model/devices.ts";
import { keepExtra, parseAddress, parseInfo, parseIp, parseRoute } from "./common.ts";

const SUBSYS = ["usb", "pci", "scsi", "scsi_host", "mdev"] as const;
const CAPS = ["storage", "misc", "net"] as const;

export function parseHostdev(c: Ctx): HostdevDev {
  const mode = c.enumAttr("mode", ["subsystem", "capabilities"] as const) ?? "subsystem";
  const type = c.attr("type");
  if (!type) c.fail("missing required attribute 'type'");
  if (!((mode === "subsystem" ? SUBSYS : CAPS) as readonly string[]).includes(type!)) c.unsupported(`unknown host device source address type '${type}'`, "type");
  const h: HostdevDev = { kind: "hostdev", mode, type: type!, source: {}, ips: [], routes: [] };
  const managed = c.attr("managed");
  if (managed !== undefined) h.managed = managed;
  const model = c.attr("model");
  if (model !== undefined) h.model = model;
  const src = c.child("source");
  if (!src) c.fail("missing <source> element in hostdev device");
  const s = src!;
  const sp = s.attr("startupPolicy");
  if (sp !== undefined) h.source.startupPolicy = sp;
  const gr = s.attr("guestReset");
  if (gr !== undefined) h.source.guestReset = gr;
  if (mode === "subsystem") {
    const addr = s.child("address");
    if (addr) h.source.address = parseAddress(addr, type);
    h.source.vendor = s.child("vendor")?.req("id");
    h.source.product = s.child("product")?.req("id");
    if (type === "usb" && !addr && !h.source.vendor) s.fail("usb hostdev needs a vendor/product or an address");
    if (type === "pci" && !addr) s.fail("PCI host devices must use 'pci' or 'unassigned' address type");
  } else {
    const what = type === "storage" ? "block" : type === "misc" ? "char" : "interface";
    const v = s.childText(what);
    if (!v) s.fail(`Missing <${what}> element in hostdev ${type} device`);
    h.source[what] = v;
    if (type === "net") {
      h.ips = c.all("ip").map(parseIp);
      h.routes = c.all("route").map(parseRoute);
    }
  }
  keepExtra(s, h.source);
  const drv = c.child("driver");
  if (drv) h.driver = { name: drv.attr("name") };
  if (c.child("readonly")) h.readonly = true;
  if (c.child("shareable")) h.shareable = true;
  parseInfo(c, h);
  keepExtra(c, h);
  return h;
}
