// Container networking, done while init waits (before it execs): host side in our netns, the
// container side moved into init's netns and configured there through an rtnetlink socket
// opened in that netns. Uses the netdev plugin; nothing spawns `ip`.

import type { DomainDef, HostdevDev, InterfaceDev } from "../../core/conf/index.ts";
import { ErrorCode, errors, ErrorDomain, VirError } from "../../core/errors.ts";
import { Rtnl, createMacvlan, createVethPair, deleteIfExists, moveToNetns, returnFromNetns, rtnl } from "../netdev/index.ts";

export interface NetRuntime {
  /** host-side veth names we created (deleted at stop if still there) */
  veths: string[];
  /** host NICs (hostdev net) moved in: name inside → original name, ifindex */
  moved: { inside: string; original: string; index: number }[];
}

/** libvirt's random MAC prefix for guests (52:54:00). */
function randomMac(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return ["52", "54", "00", ...[...b].map((x) => x.toString(16).padStart(2, "0"))].join(":");
}

function freeVnet(r: Rtnl): string {
  const used = new Set(r.listLinks().map((l) => l.name));
  for (let i = 0; ; i++) if (!used.has(`vnet${i}`)) return `vnet${i}`;
}

function configureInside(inside: Rtnl, dev: string, iface: { ips: { address: string; prefix?: number; family?: string }[]; routes: { address: string; prefix?: number; gateway: string; metric?: number }[] }, up: boolean): void {
  for (const ip of iface.ips) {
    const v6 = ip.family === "ipv6" || ip.address.includes(":");
    inside.addAddress(dev, `${ip.address}/${ip.prefix ?? (v6 ? 64 : 24)}`);
  }
  if (up) inside.setUp(dev);
  for (const rt of iface.routes) inside.addRoute({ dst: routeDst(rt), gateway: rt.gateway, dev, ...(rt.metric ? { metric: rt.metric } : {}) });
}

/** A libvirt <route> as an rtnetlink destination: 0.0.0.0 / :: (or prefix 0) is the default. */
function routeDst(rt: { address: string; prefix?: number }): string {
  const v6 = rt.address.includes(":");
  if (rt.prefix === 0 || rt.address === "0.0.0.0" || rt.address === "::") return v6 ? "default6" : "default";
  return `${rt.address}/${rt.prefix ?? (v6 ? 128 : 32)}`;
}

/**
 * Create and move the domain's network devices into init's netns. Mutates `def` with the live
 * names (target dev, MAC) as libvirt's live XML shows them. On failure, undoes what it did.
 */
export function setupNetwork(def: DomainDef, initPid: number, rt: NetRuntime): void {
  const r = rtnl();
  const ns = { pid: initPid };
  const inside = Rtnl.open(ns);
  try {
    // loopback comes up in every private netns (libvirt does the same)
    inside.setUp("lo");
    let n = 0;
    for (const d of def.devices) {
      if (d.kind !== "interface") continue;
      const iface = d as InterfaceDev;
      const guestName = iface.guest?.dev ?? `eth${n}`;
      iface.alias ??= `net${n}`;
      n++;
      naming(`/domain/devices/interface[${n}] (${guestName})`, () => {
        iface.mac ??= { address: randomMac() };
        const up = iface.linkState !== "down";
        if (iface.type === "ethernet" || iface.type === "bridge" || iface.type === "network") {
          if (iface.type === "network") throw errors.configUnsupported("interface type 'network' needs a network driver; use 'bridge' or 'ethernet'", ErrorDomain.LXC);
          const bridge = iface.type === "bridge" ? iface.source?.bridge : undefined;
          if (iface.type === "bridge" && !bridge) throw errors.configUnsupported("interface type 'bridge' needs <source bridge>", ErrorDomain.LXC);
          const host = iface.target?.dev ?? freeVnet(r);
          // The peer is born in the container's netns under its final name: a move would cost
          // the kernel a synchronize_net() (an RCU grace period) per device.
          const pair = createVethPair({ host, peer: guestName, peerNetns: ns, mac: iface.mac.address, bridge, ...(iface.mtu ? { mtu: iface.mtu } : {}) });
          rt.veths.push(pair.host);
          iface.target = { ...(iface.target ?? {}), dev: pair.host };
          iface.guest = { ...(iface.guest ?? {}), actual: guestName };
          // host-side addresses/routes of type='ethernet' (<source><ip/><route/>)
          for (const ip of iface.sourceIps ?? []) r.addAddress(pair.host, `${ip.address}/${ip.prefix ?? 24}`);
          if (iface.sourceIps?.length) r.setUp(pair.host);
          for (const rt of iface.sourceRoutes ?? []) r.addRoute({ dst: routeDst(rt), gateway: rt.gateway, dev: pair.host });
        } else if (iface.type === "direct") {
          const src = iface.source?.dev;
          if (!src) throw errors.configUnsupported("interface type 'direct' needs <source dev>", ErrorDomain.LXC);
          const mv = createMacvlan({ source: src, mode: (iface.source?.mode as "bridge") ?? "vepa", mac: iface.mac.address });
          iface.guest = { ...(iface.guest ?? {}), actual: guestName };
          try {
            moveToNetns(mv, ns, { newName: guestName });
          } catch (e) {
            deleteIfExists(r, mv);
            throw e;
          }
        } else {
          throw errors.configUnsupported(`interface type '${iface.type}' is not supported by the LXC driver`, ErrorDomain.LXC);
        }
        configureInside(inside, guestName, iface, up);
      });
    }
    let k = 0;
    for (const d of def.devices) {
      if (d.kind !== "hostdev") continue;
      k++;
      if ((d as HostdevDev).type !== "net") continue;
      const h = d as HostdevDev;
      const name = h.source.interface;
      if (!name) throw errors.configUnsupported("hostdev type 'net' needs <source><interface>", ErrorDomain.LXC);
      naming(`/domain/devices/hostdev[${k}] (${name})`, () => {
        const m = moveToNetns(name, ns);
        rt.moved.push({ inside: m.name, original: m.originalName, index: m.index });
        configureInside(inside, m.name, h, true);
      });
    }
  } catch (e) {
    inside.close();
    teardownNetwork(initPid, rt, true);
    throw e;
  } finally {
    try {
      inside.close();
    } catch {}
  }
}

/** Run `fn`; a runtime failure in it is reported as "WHERE: message" (configuration refusals
 * pass unchanged). */
function naming(where: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (e instanceof VirError && e.code === ErrorCode.CONFIG_UNSUPPORTED) throw e;
    throw new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Give moved host NICs back (while init's netns lives) and delete leftover host veths. */
export function teardownNetwork(initPid: number | undefined, rt: NetRuntime, nsAlive: boolean): void {
  const r = rtnl();
  for (const m of rt.moved.splice(0)) {
    if (nsAlive && initPid) {
      try {
        returnFromNetns(m.inside, { pid: initPid }, m.original);
        continue;
      } catch {}
    }
    // The netns died first: a physical NIC is back in the init netns under some name; restore it.
    try {
      const l = r.listLinks().find((x) => x.index === m.index && x.name !== m.original);
      if (l) r.rename(l.index, m.original);
    } catch {}
  }
  for (const v of rt.veths.splice(0)) {
    try {
      deleteIfExists(r, v);
    } catch {}
  }
}
