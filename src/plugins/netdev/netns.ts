// Moving NICs (veth peers, macvlans, physical NICs) into a container's network namespace and
// back to ours under their original names.

import { O_CLOEXEC, O_RDONLY, closeQuiet, open } from "../../ffi/libc.ts";
import { Rtnl } from "../../ffi/netlink/rtnl.ts";
import type { NetnsRef } from "../../ffi/netlink/socket.ts";
import { netdevError, rtnl } from "./common.ts";

export type { NetnsRef };

export interface MovedNic {
  /** Name before the move (in our netns) — the name it returns under. */
  originalName: string;
  /** Name inside the target netns. */
  name: string;
  /** Its ifindex inside the target netns. */
  index: number;
}

function nsTarget(ns: NetnsRef): { ref: { pid: number } | { fd: number }; close(): void } {
  if ("pid" in ns) return { ref: { pid: ns.pid }, close() {} };
  if ("fd" in ns) return { ref: { fd: ns.fd }, close() {} };
  const fd = open(ns.path, O_RDONLY | O_CLOEXEC);
  return { ref: { fd }, close: () => closeQuiet(fd) };
}

/**
 * Move `dev` from our netns into `ns`, renamed to `newName` there if given (e.g. "eth0").
 * The kernel takes the device down on the move.
 */
export function moveToNetns(dev: string, ns: NetnsRef, opts: { newName?: string; rtnl?: Rtnl } = {}): MovedNic {
  const r = opts.rtnl ?? rtnl();
  const link = r.getLink(dev);
  if (!link) throw netdevError(`cannot move '${dev}' into the container's network namespace: no such device`);
  const t = nsTarget(ns);
  try {
    r.moveToNetns(link.index, t.ref, opts.newName);
  } finally {
    t.close();
  }
  const name = opts.newName ?? dev;
  const inside = Rtnl.open(ns);
  try {
    return { originalName: dev, name, index: inside.requireLink(name).index };
  } finally {
    inside.close();
  }
}

/**
 * Move `name` (inside `ns`) back into our netns as `originalName`. Must run while `ns` is alive:
 * when a netns dies, virtual devices in it are destroyed and physical ones land in the init
 * netns under a possibly different name.
 */
export function returnFromNetns(name: string, ns: NetnsRef, originalName: string, opts: { rtnl?: Rtnl } = {}): void {
  const inside = Rtnl.open(ns);
  // Our own netns as an fd: IFLA_NET_NS_FD is resolved in the context of the requesting process.
  const self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  try {
    const link = inside.getLink(name);
    if (!link) throw netdevError(`cannot return '${name}' from the container's network namespace: no such device there`);
    const ours = opts.rtnl ?? rtnl();
    if (ours.getLink(originalName))
      throw netdevError(`cannot return '${name}' as '${originalName}': a device with that name exists in this namespace`);
    inside.moveToNetns(link.index, { fd: self }, originalName);
  } finally {
    closeQuiet(self);
    inside.close();
  }
}
