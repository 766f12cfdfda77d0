// rtnetlink: links, addresses and routes over NETLINK_ROUTE (what `ip link/addr/route` does,
// without forking `ip`). Devices are named by name or ifindex; errors name the request and
// device: `netlink RTM_NEWLINK veth0: EEXIST (File exists)`.

import { formatIp, formatMac, parseCidr, parseIp, parseMac } from "./addr.ts";
import {
  NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REQUEST, NlMsg, attrS32, attrStr, attrU32, attrU8,
  parseAttrs, type Attrs,
} from "./message.ts";
import { NetlinkError, NetlinkSocket, type NetnsRef } from "./socket.ts";
import { AF_INET, AF_INET6, AF_UNSPEC, Errno } from "../libc.ts";

export const RTM_NEWLINK = 16, RTM_DELLINK = 17, RTM_GETLINK = 18, RTM_SETLINK = 19, RTM_NEWADDR = 20,
  RTM_DELADDR = 21, RTM_GETADDR = 22, RTM_NEWROUTE = 24, RTM_DELROUTE = 25, RTM_GETROUTE = 26;
const RTM_NAMES: Record<number, string> = {
  16: "RTM_NEWLINK", 17: "RTM_DELLINK", 18: "RTM_GETLINK", 19: "RTM_SETLINK", 20: "RTM_NEWADDR",
  21: "RTM_DELADDR", 22: "RTM_GETADDR", 24: "RTM_NEWROUTE", 25: "RTM_DELROUTE", 26: "RTM_GETROUTE",
};

export const IFF_UP = 0x1, IFF_BROADCAST = 0x2, IFF_LOOPBACK = 0x8, IFF_POINTOPOINT = 0x10, IFF_RUNNING = 0x40,
  IFF_NOARP = 0x80, IFF_PROMISC = 0x100, IFF_MULTICAST = 0x1000, IFF_LOWER_UP = 0x10000;

const IFLA_ADDRESS = 1, IFLA_IFNAME = 3, IFLA_MTU = 4, IFLA_LINK = 5, IFLA_MASTER = 10, IFLA_TXQLEN = 13,
  IFLA_OPERSTATE = 16, IFLA_LINKINFO = 18, IFLA_NET_NS_PID = 19, IFLA_GROUP = 27, IFLA_NET_NS_FD = 28, IFLA_EXT_MASK = 29,
  IFLA_LINK_NETNSID = 37, IFLA_PERM_ADDRESS = 54;
const IFLA_INFO_KIND = 1, IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFLA_MACVLAN_MODE = 1;
const IFLA_TUN_OWNER = 1, IFLA_TUN_GROUP = 2, IFLA_TUN_TYPE = 3, IFLA_TUN_VNET_HDR = 5,
  IFLA_TUN_PERSIST = 6, IFLA_TUN_MULTI_QUEUE = 7;
const RTEXT_FILTER_SKIP_STATS = 1 << 3;

const IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_LABEL = 3;
const RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5, RTA_PRIORITY = 6, RTA_TABLE = 15;
export const RT_TABLE_MAIN = 254;
const RTPROT_BOOT = 3;
export const RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RT_SCOPE_HOST = 254;
const RTN_UNICAST = 1;

/** macvlan/macvtap modes (IFLA_MACVLAN_MODE); libvirt's names. */
export const MACVLAN_MODES = { private: 1, vepa: 2, bridge: 4, passthrough: 8, source: 16 } as const;
export type MacvlanMode = keyof typeof MACVLAN_MODES;

/** A device by name or ifindex. */
export type Dev = string | number;

export interface Link {
  index: number;
  name: string;
  /** Hardware address, lower-case colon form; undefined for devices without one. */
  mac?: string;
  permMac?: string;
  mtu: number;
  flags: number;
  up: boolean;
  /** IFLA_INFO_KIND: "veth", "bridge", "macvtap", "macvlan", "tun", …; undefined for physical NICs. */
  kind?: string;
  /** The bridge (or bond) this device is enslaved to. */
  master?: number;
  /** The device's link: macvtap's parent, veth's peer (an index in the peer's netns). */
  link?: number;
  /** Set when `link` lives in another netns. */
  linkNetnsId?: number;
  macvlanMode?: MacvlanMode;
  /** For kind "tun": "tun" or "tap", and its creation flags/owner. */
  tun?: { type: "tun" | "tap"; vnetHdr: boolean; multiQueue: boolean; persist: boolean; owner?: number; group?: number };
  operState: number;
  txqlen?: number;
  /** Device group (IFLA_GROUP), 0 by default. */
  group: number;
}

function ifinfomsg(index = 0, flags = 0, change = 0, family = 0): Uint8Array {
  // struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  dv.setUint8(0, family);
  dv.setInt32(4, index, true);
  dv.setUint32(8, flags >>> 0, true);
  dv.setUint32(12, change >>> 0, true);
  return b;
}

function parseLink(payload: Uint8Array): Link {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const a = parseAttrs(payload, 16);
  const flags = dv.getUint32(8, true);
  const link: Link = {
    index: dv.getInt32(4, true),
    name: attrStr(a.get(IFLA_IFNAME)) ?? "",
    mtu: attrU32(a.get(IFLA_MTU)) ?? 0,
    flags,
    up: (flags & IFF_UP) !== 0,
    operState: attrU8(a.get(IFLA_OPERSTATE)) ?? 0,
    group: attrU32(a.get(IFLA_GROUP)) ?? 0,
  };
  const mac = a.get(IFLA_ADDRESS);
  if (mac && mac.byteLength === 6) link.mac = formatMac(mac);
  const perm = a.get(IFLA_PERM_ADDRESS);
  if (perm && perm.byteLength === 6) link.permMac = formatMac(perm);
  const master = attrU32(a.get(IFLA_MASTER));
  if (master) link.master = master;
  const l = attrS32(a.get(IFLA_LINK));
  if (l !== undefined && l !== link.index) link.link = l;
  const nsid = attrS32(a.get(IFLA_LINK_NETNSID));
  if (nsid !== undefined) link.linkNetnsId = nsid;
  const txq = attrU32(a.get(IFLA_TXQLEN));
  if (txq !== undefined) link.txqlen = txq;
  const info = a.get(IFLA_LINKINFO);
  if (info) {
    const ia = parseAttrs(info);
    link.kind = attrStr(ia.get(IFLA_INFO_KIND));
    const data = ia.get(IFLA_INFO_DATA);
    if (data) decodeInfoData(link, parseAttrs(data));
  }
  return link;
}

function decodeInfoData(link: Link, d: Attrs): void {
  if (link.kind === "macvlan" || link.kind === "macvtap") {
    const m = attrU32(d.get(IFLA_MACVLAN_MODE));
    const name = (Object.keys(MACVLAN_MODES) as MacvlanMode[]).find((k) => MACVLAN_MODES[k] === m);
    if (name) link.macvlanMode = name;
  } else if (link.kind === "tun") {
    const owner = attrU32(d.get(IFLA_TUN_OWNER)), group = attrU32(d.get(IFLA_TUN_GROUP));
    link.tun = {
      type: attrU8(d.get(IFLA_TUN_TYPE)) === 2 ? "tap" : "tun",
      vnetHdr: attrU8(d.get(IFLA_TUN_VNET_HDR)) === 1,
      multiQueue: attrU8(d.get(IFLA_TUN_MULTI_QUEUE)) === 1,
      persist: attrU8(d.get(IFLA_TUN_PERSIST)) === 1,
      // (uid_t)-1 means "no owner".
      ...(owner !== undefined && owner !== 0xffffffff ? { owner } : {}),
      ...(group !== undefined && group !== 0xffffffff ? { group } : {}),
    };
  }
}

function netnsAttr(m: NlMsg, ns: { pid: number } | { fd: number }): void {
  if ("pid" in ns) m.u32(IFLA_NET_NS_PID, ns.pid);
  else m.u32(IFLA_NET_NS_FD, ns.fd);
}

export interface VethOptions {
  mac?: string;
  peerMac?: string;
  mtu?: number;
  /** Create the peer directly inside this netns (a container's). */
  peerNetns?: { pid: number } | { fd: number };
}

export interface RouteSpec {
  /** "10.1.0.0/16", "default" (IPv4), "default6" or "::/0". */
  dst: string;
  gateway?: string;
  dev?: Dev;
  metric?: number;
  table?: number;
}

export interface Route {
  family: number;
  dst: string; // "default" for /0
  gateway?: string;
  oif?: number;
  metric?: number;
  table: number;
  scope: number;
}

export interface Address {
  index: number;
  family: number;
  address: string;
  prefix: number;
  label?: string;
}

/** One rtnetlink socket bound to a network namespace (the caller's by default). */
export class Rtnl {
  constructor(public readonly sock: NetlinkSocket) {}

  /** Open a socket in the calling thread's netns, or in `netns`. */
  static open(netns?: NetnsRef): Rtnl {
    return new Rtnl(NetlinkSocket.open(0, netns));
  }

  close(): void {
    this.sock.close();
  }

  private req(type: number, flags: number, fixed: Uint8Array): NlMsg {
    return new NlMsg(type, NLM_F_REQUEST | NLM_F_ACK | flags, fixed);
  }

  private run(m: NlMsg, type: number, target: string | undefined) {
    return this.sock.request(m, RTM_NAMES[type]!, target);
  }

  private static label(dev: Dev): string {
    return typeof dev === "number" ? `ifindex ${dev}` : dev;
  }

  /** Put the device selector into a request: ifindex in ifinfomsg, or IFLA_IFNAME by name. */
  private linkMsg(type: number, dev: Dev, flags = 0, ifflags = 0, change = 0): NlMsg {
    if (typeof dev === "number") return this.req(type, flags, ifinfomsg(dev, ifflags, change));
    return this.req(type, flags, ifinfomsg(0, ifflags, change)).str(IFLA_IFNAME, dev);
  }

  // ---- links ---------------------------------------------------------------------------------

  listLinks(): Link[] {
    const m = new NlMsg(RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, ifinfomsg()).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    return this.sock.dump(m, "RTM_GETLINK").filter((r) => r.type === RTM_NEWLINK).map((r) => parseLink(r.payload));
  }

  /** The device, or null when it does not exist. */
  getLink(dev: Dev): Link | null {
    const m = this.linkMsg(RTM_GETLINK, dev).u32(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
    try {
      const r = this.run(m, RTM_GETLINK, Rtnl.label(dev)).find((x) => x.type === RTM_NEWLINK);
      return r ? parseLink(r.payload) : null;
    } catch (e) {
      if (e instanceof NetlinkError && (e.errno === Errno.ENODEV || e.errno === Errno.ENOENT)) return null;
      throw e;
    }
  }

  /** Like getLink but a missing device is an error naming it. */
  requireLink(dev: Dev): Link {
    const l = this.getLink(dev);
    if (!l) throw new NetlinkError("RTM_GETLINK", Rtnl.label(dev), Errno.ENODEV);
    return l;
  }

  indexOf(dev: Dev): number {
    return typeof dev === "number" ? dev : this.requireLink(dev).index;
  }

  /** Create a device of `kind` with no kind-specific data (bridge, dummy, …). */
  createLink(kind: string, name: string, opts: { mac?: string; mtu?: number; up?: boolean } = {}): void {
    const m = this.req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg(0, opts.up ? IFF_UP : 0, opts.up ? IFF_UP : 0))
      .str(IFLA_IFNAME, name);
    if (opts.mac) m.attr(IFLA_ADDRESS, parseMac(opts.mac));
    if (opts.mtu) m.u32(IFLA_MTU, opts.mtu);
    m.begin(IFLA_LINKINFO).str(IFLA_INFO_KIND, kind).end();
    this.run(m, RTM_NEWLINK, name);
  }

  createBridge(name: string, opts: { mac?: string; mtu?: number; up?: boolean } = {}): void {
    this.createLink("bridge", name, opts);
  }

  createVeth(name: string, peer: string, opts: VethOptions = {}): void {
    const m = this.req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg()).str(IFLA_IFNAME, name);
    if (opts.mac) m.attr(IFLA_ADDRESS, parseMac(opts.mac));
    if (opts.mtu) m.u32(IFLA_MTU, opts.mtu);
    m.begin(IFLA_LINKINFO).str(IFLA_INFO_KIND, "veth").begin(IFLA_INFO_DATA);
    // VETH_INFO_PEER carries a whole ifinfomsg followed by the peer's attributes.
    m.begin(VETH_INFO_PEER).raw(ifinfomsg()).str(IFLA_IFNAME, peer);
    if (opts.peerMac) m.attr(IFLA_ADDRESS, parseMac(opts.peerMac));
    if (opts.mtu) m.u32(IFLA_MTU, opts.mtu);
    if (opts.peerNetns) netnsAttr(m, opts.peerNetns);
    m.end().end().end();
    this.run(m, RTM_NEWLINK, name);
  }

  /** macvlan or macvtap `name` on `parent` in `mode`. */
  createMacvlan(kind: "macvlan" | "macvtap", name: string, parent: Dev, mode: MacvlanMode, opts: { mac?: string; mtu?: number } = {}): void {
    const modeVal = MACVLAN_MODES[mode];
    if (modeVal === undefined) throw new NetlinkError("RTM_NEWLINK", name, Errno.EINVAL, `unknown ${kind} mode ${JSON.stringify(mode)}`);
    const m = this.req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, ifinfomsg()).str(IFLA_IFNAME, name)
      .u32(IFLA_LINK, this.indexOf(parent));
    if (opts.mac) m.attr(IFLA_ADDRESS, parseMac(opts.mac));
    if (opts.mtu) m.u32(IFLA_MTU, opts.mtu);
    m.begin(IFLA_LINKINFO).str(IFLA_INFO_KIND, kind).begin(IFLA_INFO_DATA).u32(IFLA_MACVLAN_MODE, modeVal).end().end();
    this.run(m, RTM_NEWLINK, name);
  }

  deleteLink(dev: Dev): void {
    this.run(this.linkMsg(RTM_DELLINK, dev), RTM_DELLINK, Rtnl.label(dev));
  }

  /**
   * Delete several devices with one unregister batch: each device's deletion otherwise waits
   * for its own RCU grace period (~16 ms here). Puts the devices into a fresh device group and
   * deletes the group; kinds without group delete support (tun) fall back to one by one.
   * Devices already gone are skipped.
   */
  deleteLinks(devs: Dev[]): void {
    const present = devs.map((d) => this.getLink(d)).filter((l): l is Link => l !== null);
    if (present.length <= 1) {
      for (const l of present) this.deleteLink(l.index);
      return;
    }
    const used = new Set(this.listLinks().map((l) => l.group));
    let group: number;
    do group = 0x40000000 + Math.floor(Math.random() * 0x3fffffff); while (used.has(group));
    for (const l of present) this.run(this.linkMsg(RTM_SETLINK, l.index).u32(IFLA_GROUP, group), RTM_SETLINK, l.name);
    try {
      this.run(this.req(RTM_DELLINK, 0, ifinfomsg()).u32(IFLA_GROUP, group), RTM_DELLINK, `group of ${present.map((l) => l.name).join(",")}`);
    } catch (e) {
      if (!(e instanceof NetlinkError && e.errno === Errno.EOPNOTSUPP)) throw e;
      for (const l of present) {
        try {
          this.deleteLink(l.index);
        } catch (x) {
          // A veth whose peer was deleted first is already gone.
          if (!(x instanceof NetlinkError && x.errno === Errno.ENODEV)) throw x;
        }
      }
    }
  }

  setUp(dev: Dev, up = true): void {
    this.run(this.linkMsg(RTM_SETLINK, dev, 0, up ? IFF_UP : 0, IFF_UP), RTM_SETLINK, Rtnl.label(dev));
  }

  setDown(dev: Dev): void {
    this.setUp(dev, false);
  }

  setMac(dev: Dev, mac: string): void {
    this.run(this.linkMsg(RTM_SETLINK, dev).attr(IFLA_ADDRESS, parseMac(mac)), RTM_SETLINK, Rtnl.label(dev));
  }

  setMtu(dev: Dev, mtu: number): void {
    this.run(this.linkMsg(RTM_SETLINK, dev).u32(IFLA_MTU, mtu), RTM_SETLINK, Rtnl.label(dev));
  }

  /** Enslave to a bridge; `null` releases (nomaster). */
  setMaster(dev: Dev, master: Dev | null): void {
    const idx = master === null ? 0 : this.indexOf(master);
    this.run(this.linkMsg(RTM_SETLINK, dev).u32(IFLA_MASTER, idx), RTM_SETLINK, Rtnl.label(dev));
  }

  /** Rename (the kernel refuses while the device is up: EBUSY). */
  rename(dev: Dev, newName: string): void {
    const idx = this.indexOf(dev);
    this.run(this.req(RTM_SETLINK, 0, ifinfomsg(idx)).str(IFLA_IFNAME, newName), RTM_SETLINK, Rtnl.label(dev));
  }

  /** Move into another netns (by a process in it, or an nsfs fd), optionally renaming on arrival. */
  moveToNetns(dev: Dev, ns: { pid: number } | { fd: number }, newName?: string): void {
    const idx = this.indexOf(dev);
    const m = this.req(RTM_SETLINK, 0, ifinfomsg(idx));
    netnsAttr(m, ns);
    if (newName) m.str(IFLA_IFNAME, newName);
    this.run(m, RTM_SETLINK, Rtnl.label(dev));
  }

  // ---- addresses -----------------------------------------------------------------------------

  /** Add "10.0.0.1/24" or "fd00::1/64" to a device. */
  addAddress(dev: Dev, cidr: string, opts: { label?: string } = {}): void {
    this.address(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, dev, cidr, opts.label);
  }

  deleteAddress(dev: Dev, cidr: string): void {
    this.address(RTM_DELADDR, 0, dev, cidr);
  }

  private address(type: number, flags: number, dev: Dev, cidr: string, label?: string): void {
    const a = parseCidr(cidr);
    // struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
    const fixed = new Uint8Array(8);
    const dv = new DataView(fixed.buffer);
    dv.setUint8(0, a.family);
    dv.setUint8(1, a.prefix);
    dv.setUint32(4, this.indexOf(dev), true);
    const m = this.req(type, flags, fixed).attr(IFA_LOCAL, a.bytes).attr(IFA_ADDRESS, a.bytes);
    if (label) m.str(IFA_LABEL, label);
    this.run(m, type, `${cidr} dev ${Rtnl.label(dev)}`);
  }

  listAddresses(dev?: Dev): Address[] {
    const want = dev === undefined ? undefined : this.indexOf(dev);
    const m = new NlMsg(RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, new Uint8Array(8));
    const out: Address[] = [];
    for (const r of this.sock.dump(m, "RTM_GETADDR", dev === undefined ? undefined : Rtnl.label(dev))) {
      if (r.type !== RTM_NEWADDR) continue;
      const dv = new DataView(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength);
      const family = dv.getUint8(0), prefix = dv.getUint8(1), index = dv.getUint32(4, true);
      if (want !== undefined && index !== want) continue;
      const at = parseAttrs(r.payload, 8);
      const bytes = at.get(IFA_LOCAL) ?? at.get(IFA_ADDRESS);
      if (!bytes) continue;
      const label = attrStr(at.get(IFA_LABEL));
      out.push({ index, family, address: formatIp(family, bytes), prefix, ...(label ? { label } : {}) });
    }
    return out;
  }

  // ---- routes --------------------------------------------------------------------------------

  addRoute(r: RouteSpec): void {
    this.route(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, r);
  }

  deleteRoute(r: RouteSpec): void {
    this.route(RTM_DELROUTE, 0, r);
  }

  private route(type: number, flags: number, r: RouteSpec): void {
    const dst = r.dst === "default" ? parseCidr("0.0.0.0/0") : r.dst === "default6" ? parseCidr("::/0") : parseCidr(r.dst);
    const gw = r.gateway ? parseIp(r.gateway) : undefined;
    if (gw && gw.family !== dst.family)
      throw new NetlinkError(RTM_NAMES[type]!, r.dst, Errno.EINVAL, `gateway ${r.gateway} is not in the destination's address family`);
    // struct rtmsg { u8 family, dst_len, src_len, tos, table, protocol, scope, type; u32 flags; }
    const fixed = new Uint8Array(12);
    const table = r.table ?? RT_TABLE_MAIN;
    fixed.set([dst.family, dst.prefix, 0, 0, table < 256 ? table : 0, RTPROT_BOOT,
      // A route without a gateway reaches its destination directly on the link, as `ip route` does.
      type === RTM_DELROUTE ? 0 : gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK, RTN_UNICAST]);
    const m = this.req(type, flags, fixed);
    if (dst.prefix > 0) m.attr(RTA_DST, dst.bytes);
    if (gw) m.attr(RTA_GATEWAY, gw.bytes);
    if (r.dev !== undefined) m.u32(RTA_OIF, this.indexOf(r.dev));
    if (r.metric !== undefined) m.u32(RTA_PRIORITY, r.metric);
    if (table >= 256) m.u32(RTA_TABLE, table);
    this.run(m, type, `${r.dst}${r.gateway ? " via " + r.gateway : ""}${r.dev !== undefined ? " dev " + Rtnl.label(r.dev) : ""}`);
  }

  /** Routes of the main table (or `table`), both families unless one is given. */
  listRoutes(opts: { family?: number; table?: number } = {}): Route[] {
    const fixed = new Uint8Array(12);
    fixed[0] = opts.family ?? AF_UNSPEC;
    const out: Route[] = [];
    for (const r of this.sock.dump(new NlMsg(RTM_GETROUTE, NLM_F_REQUEST | NLM_F_DUMP, fixed), "RTM_GETROUTE")) {
      if (r.type !== RTM_NEWROUTE) continue;
      const p = r.payload;
      const family = p[0]!, dstLen = p[1]!, scope = p[6]!, rtype = p[7]!;
      const at = parseAttrs(p, 12);
      const table = attrU32(at.get(RTA_TABLE)) ?? p[4]!;
      if (table !== (opts.table ?? RT_TABLE_MAIN) || rtype !== RTN_UNICAST) continue;
      const dstB = at.get(RTA_DST), gwB = at.get(RTA_GATEWAY);
      const route: Route = {
        family, table, scope,
        dst: dstLen === 0 ? "default" : `${formatIp(family, dstB!)}/${dstLen}`,
      };
      if (gwB) route.gateway = formatIp(family, gwB);
      const oif = attrU32(at.get(RTA_OIF));
      if (oif !== undefined) route.oif = oif;
      const metric = attrU32(at.get(RTA_PRIORITY));
      if (metric !== undefined) route.metric = metric;
      out.push(route);
    }
    return out;
  }
}

export { AF_INET, AF_INET6 };
