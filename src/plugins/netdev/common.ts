// Shared bits of the netdev library: the rtnetlink socket, MAC rules, errors.

import { ErrorCode, ErrorDomain, VirError } from "../../core/errors.ts";
import { formatMac, parseMac } from "../../ffi/netlink/addr.ts";
import { NetlinkError } from "../../ffi/netlink/socket.ts";
import { Rtnl } from "../../ffi/netlink/rtnl.ts";
import { Errno } from "../../ffi/libc.ts";

let shared: Rtnl | undefined;

/**
 * The rtnetlink socket of the netns this process (its JS thread) was in at first use: the
 * host's for the daemon. Callers that work in another netns pass their own Rtnl.
 */
export function rtnl(): Rtnl {
  return (shared ??= Rtnl.open());
}

/** Close the shared socket (tests that switch netns, or shutdown). */
export function closeRtnl(): void {
  shared?.close();
  shared = undefined;
}

/** libvirt's rule for host-side devices: the guest MAC with its first byte set to 0xFE, so a
 * bridge never takes the guest's address as its own (bridges use the lowest port MAC). */
export function hostSideMac(guestMac: string): string {
  const b = parseMac(guestMac);
  b[0] = 0xfe;
  return formatMac(b);
}

/** Canonical lower-case form; throws VIR_ERR_INVALID_MAC on bad input. */
export function normalizeMac(mac: string): string {
  return formatMac(parseMac(mac));
}

export function netdevError(msg: string, code: number = ErrorCode.OPERATION_FAILED): VirError {
  return new VirError(code, ErrorDomain.NONE, msg);
}

/** Delete a link, treating "already gone" as success (teardown must be idempotent). */
export function deleteIfExists(r: Rtnl, dev: string | number): boolean {
  try {
    r.deleteLink(dev);
    return true;
  } catch (e) {
    if (e instanceof NetlinkError && (e.errno === Errno.ENODEV || e.errno === Errno.ENOENT)) return false;
    throw e;
  }
}

/** Delete several devices in one kernel batch (much faster than one by one); missing ones are skipped. */
export function deleteDevices(names: string[], opts: { rtnl?: Rtnl } = {}): void {
  (opts.rtnl ?? rtnl()).deleteLinks(names);
}

/** First free name from a pattern like "macvtap%d" (the kernel only does this for tun). */
export function freeName(r: Rtnl, pattern: string): string {
  const used = new Set(r.listLinks().map((l) => l.name));
  for (let i = 0; ; i++) {
    const n = pattern.replace("%d", String(i));
    if (!used.has(n)) return n;
  }
}

/** Retry `create(name)` on EEXIST with the next free name: another process may race us. */
export function createWithFreeName(r: Rtnl, pattern: string, create: (name: string) => void): string {
  for (let attempt = 0; ; attempt++) {
    const name = freeName(r, pattern);
    try {
      create(name);
      return name;
    } catch (e) {
      if (attempt < 5 && e instanceof NetlinkError && e.errno === Errno.EEXIST) continue;
      throw e;
    }
  }
}
