// macvtap (and macvlan) on a source device, opened through /dev/tapN (N = ifindex).

import { existsSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { ErrorCode } from "../../core/errors.ts";
import { O_CLOEXEC, O_RDWR, S_IFCHR, closeQuiet, makedev, mknod, open } from "../../ffi/libc.ts";
import { MACVLAN_MODES, type MacvlanMode, type Rtnl } from "../../ffi/netlink/rtnl.ts";
import { IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_VNET_HDR, tunSetIff } from "../../ffi/tun.ts";
import { createWithFreeName, deleteIfExists, netdevError, normalizeMac, rtnl } from "./common.ts";
import type { Tap } from "./tap.ts";

export type { MacvlanMode };

export interface MacvtapOptions {
  /** Device name; managed default is the first free "macvtapN". Required when unmanaged. */
  name?: string;
  /** managed (default): create on `source` with `mode` and the guest MAC, up, delete at teardown. */
  managed?: boolean;
  /** The parent (source) device; required when managed. */
  source?: string;
  /** libvirt's <source mode=…>; default "vepa" as libvirt. */
  mode?: MacvlanMode;
  /** The guest's MAC: a macvtap carries it itself. Unmanaged: must equal the device's MAC. */
  mac: string;
  /** Keep IFF_VNET_HDR on the fd (macvtap enables it by default; cleared when false). */
  vnetHdr?: boolean;
  /** >1 opens /dev/tapN that many times with IFF_MULTI_QUEUE. */
  queues?: number;
  rtnl?: Rtnl;
}

/** An opened macvtap has the same shape as a tap: fds on /dev/tapN, the device, teardown. */
export type Macvtap = Tap;

/** Create a macvlan (no char device; for containers) on `source`. Returns its name. */
export function createMacvlan(opts: { name?: string; source: string; mode?: MacvlanMode; mac?: string; rtnl?: Rtnl }): string {
  const r = opts.rtnl ?? rtnl();
  const mode = opts.mode ?? "vepa";
  const mk = (n: string) => r.createMacvlan("macvlan", n, opts.source, mode, opts.mac ? { mac: normalizeMac(opts.mac) } : {});
  if (opts.name) { mk(opts.name); return opts.name; }
  return createWithFreeName(r, "macvlan%d", mk);
}

export function createMacvtap(opts: MacvtapOptions): Macvtap {
  const r = opts.rtnl ?? rtnl();
  const managed = opts.managed ?? true;
  const queues = opts.queues ?? 1;
  const mac = normalizeMac(opts.mac);
  if (!Number.isInteger(queues) || queues < 1) throw netdevError(`invalid macvtap queue count ${queues}`, ErrorCode.INVALID_ARG);

  let name: string;
  let created = false;
  let restoreParentMac: { dev: number; mac: string } | undefined;
  if (managed) {
    if (!opts.source) throw netdevError("a managed macvtap needs a source device", ErrorCode.INVALID_ARG);
    const mode = opts.mode ?? "vepa";
    if (!(mode in MACVLAN_MODES) || mode === "source")
      throw netdevError(`unsupported macvtap mode '${mode}' (bridge, vepa, private, passthrough)`, ErrorCode.CONFIG_UNSUPPORTED);
    const parent = r.getLink(opts.source);
    if (!parent) throw netdevError(`macvtap source device '${opts.source}' does not exist`);
    // passthrough: the macvtap inherits the parent's MAC and setting its MAC rewrites the
    // parent's (as libvirt does); remember the parent's to put it back at teardown.
    if (mode === "passthrough") restoreParentMac = { dev: parent.index, mac: parent.mac! };
    const mk = (n: string) => r.createMacvlan("macvtap", n, opts.source!, mode, { mac });
    if (opts.name) { mk(opts.name); name = opts.name; } else name = createWithFreeName(r, "macvtap%d", mk);
    created = true;
  } else {
    if (!opts.name) throw netdevError("an unmanaged macvtap (managed='no') needs a target device name", ErrorCode.INVALID_ARG);
    name = opts.name;
    const link = r.getLink(name);
    if (!link) throw netdevError(`unmanaged macvtap device '${name}' does not exist (target managed='no' requires an existing macvtap)`);
    if (link.kind !== "macvtap") throw netdevError(`unmanaged device '${name}' is not a macvtap device (kind ${link.kind ?? "physical"})`);
    // The guest would send frames from a MAC the macvtap drops (or, in passthrough, mismatch the NIC).
    if (link.mac !== mac)
      throw netdevError(`unmanaged macvtap '${name}' has MAC ${link.mac}, which differs from the guest interface MAC ${mac}`, ErrorCode.CONFIG_UNSUPPORTED);
  }

  const fds: number[] = [];
  let node: string | undefined; // a /dev/tapN we created and must remove
  let closed = false;
  const closeFds = () => {
    if (closed) return;
    closed = true;
    for (const fd of fds) closeQuiet(fd);
  };
  try {
    const ifindex = r.requireLink(name).index;
    if (restoreParentMac) r.setMac(ifindex, mac);
    if (managed) r.setUp(ifindex);
    const dev = openTapNode(name, ifindex);
    fds.push(dev.fd);
    node = dev.created;
    for (let i = 1; i < queues; i++) fds.push(open(dev.path, O_RDWR | O_CLOEXEC));
    // macvtap fds start with IFF_VNET_HDR; set exactly what was asked (TUNSETIFF only takes these bits).
    const flags = IFF_TAP | IFF_NO_PI | (opts.vnetHdr ? IFF_VNET_HDR : 0) | (queues > 1 ? IFF_MULTI_QUEUE : 0);
    for (const fd of fds) tunSetIff(fd, name, flags);
    if (dev.temporary) { unlinkQuiet(dev.path); }
    const n = name;
    return {
      fd: fds[0]!, fds, name: n, ifindex, managed, closeFds,
      teardown() {
        closeFds();
        if (node) { unlinkQuiet(node); node = undefined; }
        if (managed) deleteIfExists(r, n);
        if (restoreParentMac) { restoreMac(r, restoreParentMac); restoreParentMac = undefined; }
      },
    };
  } catch (e) {
    closeFds();
    if (node) unlinkQuiet(node);
    if (created) deleteIfExists(r, name);
    if (restoreParentMac) restoreMac(r, restoreParentMac);
    throw e;
  }
}

function restoreMac(r: Rtnl, p: { dev: number; mac: string }): void {
  if (r.getLink(p.dev)?.mac !== p.mac) r.setMac(p.dev, p.mac);
}

function unlinkQuiet(p: string): void {
  try { unlinkSync(p); } catch { /* already gone */ }
}

/**
 * Open the macvtap's character device. Its minor is not the ifindex, so the truth is sysfs
 * (/sys/class/net/NAME/macvtap/tapN/dev). devtmpfs normally provides /dev/tapN; without it
 * (a container's /dev) we mknod it. A /dev/tapN of the same name but another device (ifindexes
 * are per netns) is not used: we open a private node instead and unlink it at once.
 */
function openTapNode(name: string, ifindex: number): { fd: number; path: string; created?: string; temporary?: boolean } {
  const sysfs = `/sys/class/net/${name}/macvtap/tap${ifindex}/dev`;
  let majMin: string;
  try {
    majMin = readFileSync(sysfs, "utf8").trim();
  } catch {
    throw netdevError(`cannot find the character device of macvtap '${name}': ${sysfs} is missing (is /sys mounted from this network namespace?)`);
  }
  const [maj, min] = majMin.split(":").map(Number) as [number, number];
  const dev = makedev(maj, min);
  const path = `/dev/tap${ifindex}`;
  if (existsSync(path)) {
    const st = statSync(path);
    if (st.isCharacterDevice() && BigInt(st.rdev) === dev) return { fd: open(path, O_RDWR | O_CLOEXEC), path };
    const priv = `/dev/.bunvirt-tap${ifindex}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    mknod(priv, S_IFCHR | 0o600, dev);
    try {
      return { fd: open(priv, O_RDWR | O_CLOEXEC), path: priv, temporary: true };
    } catch (e) {
      unlinkQuiet(priv);
      throw e;
    }
  }
  mknod(path, S_IFCHR | 0o600, dev);
  try {
    return { fd: open(path, O_RDWR | O_CLOEXEC), path, created: path };
  } catch (e) {
    unlinkQuiet(path);
    throw e;
  }
}
