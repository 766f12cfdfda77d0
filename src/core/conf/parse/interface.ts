// <interface> (virDomainNetDefParseXML): the network types LXC and QEMU use.
import type { Ctx } from "./ctx.ts";
import type { InterfaceDev } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { keepExtra, parseAddress, parseInfo, parseIp, parseMac, parseRoute, randomMac } from "./common.ts";

const NET_TYPES = [
  "user", "ethernet", "vhostuser", "server", "client", "mcast", "network", "bridge", "internal",
  "direct", "hostdev", "udp", "vdpa", "null", "vds",
] as const;

export function parseInterface(c: Ctx): InterfaceDev {
  const n: InterfaceDev = {
    kind: "interface",
    type: c.enumAttr("type", NET_TYPES) ?? c.fail("missing required attribute 'type'"),
    sourceIps: [],
    sourceRoutes: [],
    ips: [],
    routes: [],
  };
  const managed = c.attr("managed");
  if (managed !== undefined) n.managed = managed;
  const trust = c.attr("trustGuestRxFilters");
  if (trust !== undefined) n.trustGuestRxFilters = trust;
  const mac = c.child("mac");
  if (mac) {
    const raw = mac.req("address");
    const address = parseMac(raw);
    if (!address) mac.fail(`unable to parse mac address '${raw}'`, "address");
    // libvirt refuses multicast MACs for a NIC (virDomainNetDefParseXML).
    if (parseInt(address!.slice(0, 2), 16) & 1) mac.fail(`expected unicast mac address, found multicast '${raw}'`, "address");
    n.mac = { address: address! };
    const t = mac.attr("type");
    if (t !== undefined) n.mac.type = t;
    const ck = mac.attr("check");
    if (ck !== undefined) n.mac.check = ck;
  }
  // libvirt generates a MAC in its own OUI (52:54:00) when none is given.
  n.mac ??= { address: randomMac() };
  const src = c.child("source");
  if (src) {
    n.source = src.pick(K.NET_SOURCE);
    n.sourceIps = src.all("ip").map(parseIp);
    n.sourceRoutes = src.all("route").map(parseRoute);
    const local = src.child("local");
    if (local) n.sourceLocal = { address: local.attr("address"), port: local.attr("port") };
    const addr = src.child("address");
    if (addr) n.sourceAddress = parseAddress(addr, "pci");
  }
  n.ips = c.all("ip").map(parseIp);
  n.routes = c.all("route").map(parseRoute);
  n.script = c.child("script")?.req("path");
  n.downscript = c.child("downscript")?.req("path");
  const tgt = c.child("target");
  if (tgt) {
    const dev = tgt.req("dev");
    const m = tgt.enumAttr("managed", ["yes", "no"] as const);
    // Names libvirt generates (vnetN, macvtapN, macvlanN) are not part of a definition unless
    // the tap is unmanaged (virDomainNetDefParseXML with PARSE_INACTIVE).
    if (!(c.opts.inactive && m !== "no" && /^(vnet|macvtap|macvlan)/.test(dev))) {
      n.target = { dev };
      if (m) n.target.managed = m;
    }
  }
  const guest = c.child("guest");
  if (guest) n.guest = { dev: guest.attr("dev"), actual: guest.attr("actual") };
  n.model = c.child("model")?.req("type");
  const drv = c.child("driver");
  if (drv) {
    n.driver = { attrs: drv.pick(K.NET_DRIVER) };
    const h = drv.child("host");
    if (h) n.driver.host = h.pick(K.NET_DRIVER_HOST);
    const g = drv.child("guest");
    if (g) n.driver.guest = g.pick(K.NET_DRIVER_GUEST);
  }
  const be = c.child("backend");
  if (be) n.backend = { tap: be.attr("tap"), vhost: be.attr("vhost"), type: be.attr("type"), logFile: be.attr("logFile") };
  const link = c.child("link");
  if (link) n.linkState = link.enumAttr("state", ["up", "down"] as const);
  const mtu = c.child("mtu");
  if (mtu) n.mtu = mtu.intAttr("size", "MTU size") ?? mtu.fail("missing required attribute 'size'");
  const vp = c.child("virtualport");
  if (vp) {
    n.virtualport = {};
    const t = vp.attr("type");
    if (t !== undefined) n.virtualport.type = t;
    const params = vp.child("parameters");
    if (params) n.virtualport.parameters = params.pick(K.VPORT_PARAMS);
  }
  const vlan = c.child("vlan");
  if (vlan) {
    n.vlan = { tags: vlan.all("tag").map((t) => ({ id: t.intAttr("id", "vlan tag id") ?? t.fail("missing vlan tag id"), nativeMode: t.attr("nativeMode") })) };
    const trunk = vlan.enumAttr("trunk", ["yes", "no"] as const);
    if (trunk) n.vlan.trunk = trunk;
    if (!n.vlan.tags.length) vlan.fail("missing tag id - each <vlan> must have at least one <tag id='n'/> subelement");
  }
  for (const k of ["bandwidth", "filterref"] as const) {
    const x = c.child(k);
    if (x) n[k] = x.el;
  }
  const pf = c.all("portForward");
  if (pf.length) n.portForward = pf.map((p) => p.el);
  parseInfo(c, n);
  keepExtra(c, n);
  return n;
}
