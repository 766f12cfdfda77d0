// veth pairs for containers: the host end stays (on a bridge), the peer goes into the container.

import type { Rtnl } from "../../ffi/netlink/rtnl.ts";
import { Errno } from "../../ffi/libc.ts";
import { NetlinkError } from "../../ffi/netlink/socket.ts";
import { deleteIfExists, hostSideMac, netdevError, normalizeMac, rtnl } from "./common.ts";

export interface VethOptions {
  /** Host-side name; default the first free "vethN". */
  host?: string;
  /** Peer (container-side) name; default the next free "vethN". */
  peer?: string;
  /** The guest MAC: given to the peer; the host end gets it with first byte 0xFE. */
  mac?: string;
  mtu?: number;
  /** Enslave the host end to this bridge (and take its MTU unless `mtu` is given). */
  bridge?: string;
  /** Bring the host end up (default true). */
  up?: boolean;
  /** Create the peer directly inside this netns (a container's), named `peer`. */
  peerNetns?: { pid: number } | { fd: number };
  rtnl?: Rtnl;
}

export interface VethPair {
  host: string;
  peer: string;
  hostIndex: number;
  /** Delete the pair through its host end (gone already when the container's netns died). */
  teardown(): void;
}

export function createVethPair(opts: VethOptions = {}): VethPair {
  const r = opts.rtnl ?? rtnl();
  let mtu = opts.mtu;
  if (opts.bridge) {
    const br = r.getLink(opts.bridge);
    if (!br || br.kind !== "bridge") throw netdevError(`bridge '${opts.bridge}' does not exist`);
    mtu ??= br.mtu;
  }
  const mac = opts.mac ? normalizeMac(opts.mac) : undefined;
  // Default names: the two lowest free "vethN" (libvirt's scheme); retry if another process races us.
  const pick = () => {
    const used = new Set(r.listLinks().map((l) => l.name));
    const next = (skip?: string) => {
      for (let i = 0; ; i++) if (!used.has(`veth${i}`) && `veth${i}` !== skip) return `veth${i}`;
    };
    const host = opts.host ?? next(opts.peer);
    return [host, opts.peer ?? next(host)] as const;
  };
  let host = "", peer = "";
  for (let attempt = 0; ; attempt++) {
    [host, peer] = pick();
    try {
      r.createVeth(host, peer, {
        ...(mac ? { mac: hostSideMac(mac), peerMac: mac } : {}),
        ...(mtu ? { mtu } : {}),
        ...(opts.peerNetns ? { peerNetns: opts.peerNetns } : {}),
      });
      break;
    } catch (e) {
      const auto = !opts.host || !opts.peer;
      if (auto && attempt < 5 && e instanceof NetlinkError && e.errno === Errno.EEXIST) continue;
      throw e;
    }
  }
  try {
    const hostIndex = r.requireLink(host).index;
    if (opts.bridge) r.setMaster(hostIndex, opts.bridge);
    if (opts.up ?? true) r.setUp(hostIndex);
    return { host, peer, hostIndex, teardown: () => void deleteIfExists(r, host) };
  } catch (e) {
    deleteIfExists(r, host);
    throw e;
  }
}
