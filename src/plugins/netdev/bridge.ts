// Bridges and bridge ports.

import type { Rtnl } from "../../ffi/netlink/rtnl.ts";
import { deleteIfExists, netdevError, normalizeMac, rtnl } from "./common.ts";

export function createBridge(name: string, opts: { mac?: string; mtu?: number; up?: boolean; rtnl?: Rtnl } = {}): void {
  const r = opts.rtnl ?? rtnl();
  r.createBridge(name, {
    ...(opts.mac ? { mac: normalizeMac(opts.mac) } : {}),
    ...(opts.mtu ? { mtu: opts.mtu } : {}),
    up: opts.up ?? true,
  });
}

export function deleteBridge(name: string, opts: { rtnl?: Rtnl } = {}): boolean {
  return deleteIfExists(opts.rtnl ?? rtnl(), name);
}

/** Enslave `dev` to `bridge` (both must exist; the bridge must be a bridge). */
export function attachToBridge(dev: string, bridge: string, opts: { rtnl?: Rtnl } = {}): void {
  const r = opts.rtnl ?? rtnl();
  const br = r.getLink(bridge);
  if (!br) throw netdevError(`bridge '${bridge}' does not exist`);
  if (br.kind !== "bridge") throw netdevError(`'${bridge}' is not a bridge (kind ${br.kind ?? "physical"})`);
  r.setMaster(dev, br.index);
}

/** Release `dev` from whatever bridge holds it (no-op when it has no master or is gone). */
export function detachFromBridge(dev: string, opts: { rtnl?: Rtnl } = {}): void {
  const r = opts.rtnl ?? rtnl();
  const l = r.getLink(dev);
  if (l?.master) r.setMaster(l.index, null);
}

/** The bridge a device is attached to, or undefined. */
export function bridgeOf(dev: string, opts: { rtnl?: Rtnl } = {}): string | undefined {
  const r = opts.rtnl ?? rtnl();
  const l = r.getLink(dev);
  return l?.master ? r.getLink(l.master)?.name : undefined;
}
