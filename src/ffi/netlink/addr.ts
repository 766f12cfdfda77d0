// MAC and IP address text <-> bytes, for netlink attributes.

import { ErrorCode, ErrorDomain, VirError } from "../../core/errors.ts";
import { AF_INET, AF_INET6 } from "../libc.ts";

/** "52:54:00:ab:cd:ef" → 6 bytes; throws VIR_ERR_INVALID_MAC otherwise. */
export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new VirError(ErrorCode.INVALID_MAC, ErrorDomain.NONE, `invalid MAC address: ${JSON.stringify(mac)}`);
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/** Lower-case, zero-padded, colon-separated: the form the kernel and libvirt print. */
export function formatMac(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":");
}

export interface IpAddr {
  family: number; // AF_INET or AF_INET6
  bytes: Uint8Array;
}

export function parseIp(s: string): IpAddr {
  if (s.includes(":")) return { family: AF_INET6, bytes: parseIp6(s) };
  const parts = s.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw badIp(s);
  return { family: AF_INET, bytes: Uint8Array.from(parts.map(Number)) };
}

function badIp(s: string): VirError {
  return new VirError(ErrorCode.INVALID_ARG, ErrorDomain.NONE, `invalid argument: invalid IP address ${JSON.stringify(s)}`);
}

function parseIp6(s: string): Uint8Array {
  const out = new Uint8Array(16);
  let str = s;
  // Trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(str);
  if (v4) {
    const b = parseIp(v4[1]!).bytes;
    str = str.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const halves = str.split("::");
  if (halves.length > 2) throw badIp(s);
  const groups = (h: string) => (h === "" ? [] : h.split(":"));
  const head = groups(halves[0]!), tail = halves.length === 2 ? groups(halves[1]!) : [];
  const total = head.length + tail.length;
  if (halves.length === 1 ? total !== 8 : total > 7) throw badIp(s);
  const all = [...head, ...Array(8 - total).fill("0"), ...tail];
  all.forEach((g, i) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw badIp(s);
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function formatIp(family: number, b: Uint8Array): string {
  if (family === AF_INET) return Array.from(b.subarray(0, 4)).join(".");
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  // RFC 5952: compress the longest run (≥2) of zero groups.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** "10.0.0.1/24" → address and prefix (default /32 or /128). */
export function parseCidr(s: string): IpAddr & { prefix: number } {
  const [a, p] = s.split("/");
  const ip = parseIp(a!);
  const max = ip.family === AF_INET ? 32 : 128;
  const prefix = p === undefined ? max : Number(p);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (p !== undefined && !/^\d+$/.test(p))) throw badIp(s);
  return { ...ip, prefix };
}
