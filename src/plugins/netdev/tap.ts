// tap devices for QEMU: /dev/net/tun + TUNSETIFF, managed or unmanaged as libvirt's
// <target dev='…' managed='yes|no'/>.

import { ErrorCode } from "../../core/errors.ts";
import { closeQuiet } from "../../ffi/libc.ts";
import { IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_VNET_HDR, tunAttach } from "../../ffi/tun.ts";
import type { Rtnl } from "../../ffi/netlink/rtnl.ts";
import { deleteIfExists, hostSideMac, netdevError, normalizeMac, rtnl } from "./common.ts";

export interface TapOptions {
  /** Device name; managed taps default to the kernel-chosen "vnet%d". Required when unmanaged. */
  name?: string;
  /** libvirt's managed='yes' (default): create if absent, set MAC/up/bridge, delete at teardown. */
  managed?: boolean;
  /** The guest's MAC; the host side gets it with the first byte replaced by 0xFE (managed only). */
  mac: string;
  /** IFF_VNET_HDR: QEMU's vhost/virtio offloads. */
  vnetHdr?: boolean;
  /** >1 opens that many queues (IFF_MULTI_QUEUE), one fd each. */
  queues?: number;
  /** Managed only: enslave to this bridge (and take its MTU unless `mtu` is given). */
  bridge?: string;
  /** Managed only. */
  mtu?: number;
  /** Netlink socket of the netns to work in (default: this process's). */
  rtnl?: Rtnl;
}

export interface Tap {
  /** First queue's fd (close-on-exec: pass it to QEMU through spawn stdio). */
  fd: number;
  /** One fd per queue. */
  fds: number[];
  name: string;
  ifindex: number;
  managed: boolean;
  /** Close our fds (after QEMU has its copies); the device stays while any fd is open. */
  closeFds(): void;
  /** closeFds(), then, if managed, delete the device (idempotent). Unmanaged taps are never deleted. */
  teardown(): void;
}

export function openTap(opts: TapOptions): Tap {
  const r = opts.rtnl ?? rtnl();
  const managed = opts.managed ?? true;
  const queues = opts.queues ?? 1;
  if (!Number.isInteger(queues) || queues < 1) throw netdevError(`invalid tap queue count ${queues}`, ErrorCode.INVALID_ARG);
  const guestMac = normalizeMac(opts.mac);
  let flags = IFF_TAP | IFF_NO_PI | (opts.vnetHdr ? IFF_VNET_HDR : 0) | (queues > 1 ? IFF_MULTI_QUEUE : 0);

  let name = opts.name;
  if (!managed) {
    if (!name) throw netdevError("an unmanaged tap (managed='no') needs a target device name", ErrorCode.INVALID_ARG);
    if (opts.bridge) throw netdevError(`unmanaged tap '${name}' cannot be attached to bridge '${opts.bridge}' by bunvirt: managed='no' means no changes to the device`, ErrorCode.CONFIG_UNSUPPORTED);
    const link = r.getLink(name);
    if (!link) throw netdevError(`unmanaged tap device '${name}' does not exist (target managed='no' requires an existing tap)`);
    if (link.kind !== "tun" || link.tun?.type !== "tap")
      throw netdevError(`unmanaged device '${name}' is not a tap device (kind ${link.kind ?? "physical"})`);
    // The queue mode is the device's, fixed at creation: match it or TUNSETIFF fails with EINVAL.
    if (link.tun.multiQueue) flags |= IFF_MULTI_QUEUE;
    else if (queues > 1) throw netdevError(`unmanaged tap '${name}' was not created multi-queue; cannot open ${queues} queues`);
  } else if (name) {
    const link = r.getLink(name);
    if (link && (link.kind !== "tun" || link.tun?.type !== "tap"))
      throw netdevError(`cannot use '${name}' as a tap: a ${link.kind ?? "physical"} device with that name exists`);
    if (link?.tun && link.tun.multiQueue !== queues > 1)
      throw netdevError(`existing tap '${name}' is ${link.tun.multiQueue ? "" : "not "}multi-queue; requested ${queues} queue(s)`);
  }

  let bridgeMtu: number | undefined;
  if (managed && opts.bridge) {
    // Check before creating anything, so a typo in the bridge name leaves no trace.
    const br = r.getLink(opts.bridge);
    if (!br || br.kind !== "bridge") throw netdevError(`bridge '${opts.bridge}' does not exist`);
    bridgeMtu = br.mtu;
  }

  const fds: number[] = [];
  let closed = false;
  const closeFds = () => {
    if (closed) return;
    closed = true;
    for (const fd of fds) closeQuiet(fd);
  };
  try {
    const first = tunAttach(name ?? "vnet%d", flags);
    fds.push(first.fd);
    name = first.name;
    for (let i = 1; i < queues; i++) fds.push(tunAttach(name, flags).fd);
    const ifindex = r.requireLink(name).index;
    if (managed) {
      r.setMac(ifindex, hostSideMac(guestMac));
      const mtu = opts.mtu ?? bridgeMtu;
      if (mtu) r.setMtu(ifindex, mtu);
      if (opts.bridge) r.setMaster(ifindex, opts.bridge);
      r.setUp(ifindex);
    }
    const devName = name;
    return {
      fd: fds[0]!, fds, name: devName, ifindex, managed, closeFds,
      teardown() {
        closeFds();
        if (managed) deleteIfExists(r, devName);
      },
    };
  } catch (e) {
    closeFds();
    // A managed tap we just created vanishes with its last fd; one that pre-existed is left as found.
    throw e;
  }
}
