// /dev/net/tun and macvtap character devices: struct ifreq and the TUN* ioctls.

import { Errno, O_CLOEXEC, O_RDWR, SysError, closeQuiet, ioctl, open } from "./libc.ts";

export const IFF_TUN = 0x0001, IFF_TAP = 0x0002, IFF_NAPI = 0x0010, IFF_NO_PI = 0x1000, IFF_ONE_QUEUE = 0x2000,
  IFF_VNET_HDR = 0x4000, IFF_TUN_EXCL = 0x8000, IFF_MULTI_QUEUE = 0x0100, IFF_ATTACH_QUEUE = 0x0200,
  IFF_DETACH_QUEUE = 0x0400;

// _IOW('T', n, int) = 0x40045400 | n; _IOR('T', n, unsigned int) = 0x80045400 | n.
export const TUNSETIFF = 0x400454ca, TUNSETPERSIST = 0x400454cb, TUNSETOWNER = 0x400454cc,
  TUNSETGROUP = 0x400454ce, TUNGETFEATURES = 0x800454cf, TUNSETOFFLOAD = 0x400454d0, TUNGETIFF = 0x800454d2,
  TUNSETVNETHDRSZ = 0x400454d8, TUNSETQUEUE = 0x400454d9;

export const IFNAMSIZ = 16;
const IFREQ_SIZE = 40; // char ifr_name[16]; union { short ifr_flags; ... } (24 bytes)

const FLAG_NAMES: [number, string][] = [
  [IFF_TUN, "IFF_TUN"], [IFF_TAP, "IFF_TAP"], [IFF_NO_PI, "IFF_NO_PI"], [IFF_VNET_HDR, "IFF_VNET_HDR"],
  [IFF_MULTI_QUEUE, "IFF_MULTI_QUEUE"], [IFF_TUN_EXCL, "IFF_TUN_EXCL"], [IFF_NAPI, "IFF_NAPI"],
  [IFF_ONE_QUEUE, "IFF_ONE_QUEUE"],
];
export function tunFlagsName(flags: number): string {
  return FLAG_NAMES.filter(([b]) => flags & b).map(([, n]) => n).join("|") || "0";
}

/** struct ifreq with a name and ifr_flags. */
export function ifreq(name: string, flags = 0): Uint8Array {
  const b = new Uint8Array(IFREQ_SIZE);
  const n = Buffer.from(name, "utf8");
  if (n.byteLength >= IFNAMSIZ) throw new SysError("ifreq", Errno.ENAMETOOLONG, JSON.stringify(name));
  b.set(n, 0);
  new DataView(b.buffer).setInt16(IFNAMSIZ, flags, true);
  return b;
}

export function ifreqName(b: Uint8Array): string {
  const z = b.indexOf(0);
  return Buffer.from(b.subarray(0, z < 0 ? IFNAMSIZ : Math.min(z, IFNAMSIZ))).toString("utf8");
}

export function ifreqFlags(b: Uint8Array): number {
  return new DataView(b.buffer, b.byteOffset).getUint16(IFNAMSIZ, true);
}

/**
 * Open /dev/net/tun and attach it to `name` (created when absent; "vnet%d" lets the kernel pick)
 * with `flags` (IFF_TAP|IFF_NO_PI…). Returns the fd and the device's actual name.
 */
export function tunAttach(name: string, flags: number): { fd: number; name: string } {
  const fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  try {
    const req = ifreq(name, flags);
    ioctl(fd, TUNSETIFF, req, "TUNSETIFF", `${JSON.stringify(name)} ${tunFlagsName(flags)}`);
    return { fd, name: ifreqName(req) };
  } catch (e) {
    closeQuiet(fd);
    throw e;
  }
}

/** TUNGETIFF: the device name and flags a tun/tap/macvtap fd is attached to. */
export function tunGetIff(fd: number): { name: string; flags: number } {
  const req = new Uint8Array(IFREQ_SIZE);
  ioctl(fd, TUNGETIFF, req, "TUNGETIFF");
  return { name: ifreqName(req), flags: ifreqFlags(req) };
}

/** TUNSETIFF on an already-open fd (macvtap: toggles IFF_VNET_HDR / IFF_MULTI_QUEUE). */
export function tunSetIff(fd: number, name: string, flags: number): void {
  ioctl(fd, TUNSETIFF, ifreq(name, flags), "TUNSETIFF", `${JSON.stringify(name)} ${tunFlagsName(flags)}`);
}

export function tunSetPersist(fd: number, on: boolean): void {
  ioctl(fd, TUNSETPERSIST, on ? 1 : 0, "TUNSETPERSIST", String(on ? 1 : 0));
}

export function tunSetOwner(fd: number, uid: number): void {
  ioctl(fd, TUNSETOWNER, uid, "TUNSETOWNER", String(uid));
}

export function tunSetGroup(fd: number, gid: number): void {
  ioctl(fd, TUNSETGROUP, gid, "TUNSETGROUP", String(gid));
}

/** TUNSETVNETHDRSZ: virtio-net header size QEMU will use (10 or 12). */
export function tunSetVnetHdrSize(fd: number, size: number): void {
  const v = new Int32Array([size]);
  ioctl(fd, TUNSETVNETHDRSZ, new Uint8Array(v.buffer), "TUNSETVNETHDRSZ", String(size));
}

/** The IFF_* flags this kernel's tun driver supports. */
export function tunGetFeatures(): number {
  const fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  try {
    const v = new Uint32Array(1);
    ioctl(fd, TUNGETFEATURES, new Uint8Array(v.buffer), "TUNGETFEATURES");
    return v[0]!;
  } finally {
    closeQuiet(fd);
  }
}
