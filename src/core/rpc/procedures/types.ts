// Shared wire types of the remote program (remote_protocol.x): strings, uuids, domains.

import type { DomainRef } from "../../driver.ts";
import { XdrError, xArray, xFixedOpaque, xInt, xOptional, xString, xStruct, type Codec } from "../xdr.ts";

/** REMOTE_STRING_MAX */
export const REMOTE_STRING_MAX = 4194304;
/** REMOTE_DOMAIN_LIST_MAX */
export const REMOTE_DOMAIN_LIST_MAX = 16384;

export const xNonnullString = xString(REMOTE_STRING_MAX);
export const xRemoteString = xOptional(xNonnullString);

/** remote_uuid: 16 raw bytes on the wire, canonical text in the API. */
export const xUuid: Codec<string> = {
  enc: (w, v) => w.fixedOpaque(uuidToBytes(v), 16),
  dec: (r) => uuidFromBytes(r.fixedOpaque(16)),
};

export function uuidToBytes(s: string): Uint8Array {
  const hex = s.replace(/-/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new XdrError(`invalid uuid '${s}'`);
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return b;
}

export function uuidFromBytes(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** remote_nonnull_domain {name, uuid, id} ↔ DomainRef. */
export const xDomain: Codec<DomainRef> = xStruct([
  ["name", xNonnullString],
  ["uuid", xUuid],
  ["id", xInt],
] as const);
export const xOptDomain = xOptional(xDomain);

/** `char x<N>` / `char x[N]`: rpcgen encodes each char as a 4-byte int (xdr_char). */
export function xCharArray(max: number): Codec<string> {
  const arr = xArray(xInt, max);
  return {
    // libvirt sends C strings with their NUL terminator included in the length
    enc: (w, v) => arr.enc(w, [...Buffer.from(v, "utf8"), 0]),
    dec: (r) => {
      const a = arr.dec(r);
      const end = a.indexOf(0);
      return Buffer.from((end < 0 ? a : a.slice(0, end)).map((c) => c & 0xff)).toString("utf8");
    },
  };
}
export function xCharVector(n: number): Codec<string> {
  return {
    enc: (w, v) => {
      const b = Buffer.alloc(n);
      b.write(v.slice(0, n - 1), "utf8");
      for (const c of b) w.int(c);
    },
    dec: (r) => {
      const a: number[] = [];
      for (let i = 0; i < n; i++) a.push(r.int() & 0xff);
      const end = a.indexOf(0);
      return Buffer.from(end < 0 ? a : a.slice(0, end)).toString("utf8");
    },
  };
}
