// Netlink message encoding: struct nlmsghdr, struct nlattr (TLV, 4-byte aligned), nesting.
// Pure byte handling; the socket lives in socket.ts.

export const NLMSG_HDRLEN = 16; // struct nlmsghdr { u32 len; u16 type; u16 flags; u32 seq; u32 pid; }
export const NLA_HDRLEN = 4; // struct nlattr { u16 len; u16 type; }
export const NLA_F_NESTED = 0x8000;
export const NLA_TYPE_MASK = 0x3fff;

export const NLMSG_NOOP = 1, NLMSG_ERROR = 2, NLMSG_DONE = 3;
export const NLM_F_REQUEST = 1, NLM_F_MULTI = 2, NLM_F_ACK = 4, NLM_F_ECHO = 8, NLM_F_DUMP_INTR = 0x10,
  NLM_F_ROOT = 0x100, NLM_F_MATCH = 0x200, NLM_F_DUMP = 0x300, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200,
  NLM_F_CREATE = 0x400, NLM_F_APPEND = 0x800;
// In NLMSG_ERROR acks: request not echoed / extended-ack TLVs follow.
export const NLM_F_CAPPED = 0x100, NLM_F_ACK_TLVS = 0x200;
export const NLMSGERR_ATTR_MSG = 1;

export const align4 = (n: number) => (n + 3) & ~3;

/**
 * Builds one netlink message: header, a fixed family struct, then attributes.
 * Grows as needed; `finish()` patches nlmsg_len and returns the bytes.
 */
export class NlMsg {
  private buf = new Uint8Array(256);
  private dv = new DataView(this.buf.buffer);
  private len = 0;
  private nests: number[] = [];

  constructor(type: number, flags: number, fixed?: Uint8Array) {
    this.reserve(NLMSG_HDRLEN);
    this.dv.setUint16(4, type, true);
    this.dv.setUint16(6, flags, true);
    this.len = NLMSG_HDRLEN;
    if (fixed) this.raw(fixed);
  }

  private reserve(n: number): void {
    if (this.len + n <= this.buf.byteLength) return;
    const nb = new Uint8Array(Math.max(this.buf.byteLength * 2, this.len + n + 64));
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }

  /** Append bytes, padded to 4. */
  raw(bytes: Uint8Array): this {
    const n = align4(bytes.byteLength);
    this.reserve(n);
    this.buf.set(bytes, this.len);
    this.buf.fill(0, this.len + bytes.byteLength, this.len + n);
    this.len += n;
    return this;
  }

  attr(type: number, payload: Uint8Array): this {
    this.reserve(NLA_HDRLEN);
    this.dv.setUint16(this.len, NLA_HDRLEN + payload.byteLength, true);
    this.dv.setUint16(this.len + 2, type, true);
    this.len += NLA_HDRLEN;
    return this.raw(payload);
  }

  u8(type: number, v: number): this { return this.attr(type, Uint8Array.of(v)); }
  u16(type: number, v: number): this { const b = new Uint8Array(2); new DataView(b.buffer).setUint16(0, v, true); return this.attr(type, b); }
  u32(type: number, v: number): this { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, v >>> 0, true); return this.attr(type, b); }
  s32(type: number, v: number): this { const b = new Uint8Array(4); new DataView(b.buffer).setInt32(0, v, true); return this.attr(type, b); }
  /** NUL-terminated string attribute (IFLA_IFNAME, IFLA_INFO_KIND, …). */
  str(type: number, s: string): this { return this.attr(type, Buffer.from(s + "\0")); }

  /**
   * Open a nested attribute; close it with end(). Without NLA_F_NESTED by default, as iproute2
   * encodes IFLA_LINKINFO and friends (rtnetlink parses nests either way).
   */
  begin(type: number, flagged = false): this {
    this.reserve(NLA_HDRLEN);
    this.nests.push(this.len);
    this.dv.setUint16(this.len + 2, flagged ? type | NLA_F_NESTED : type, true);
    this.len += NLA_HDRLEN;
    return this;
  }

  end(): this {
    const start = this.nests.pop();
    if (start === undefined) throw new Error("NlMsg.end() without begin()");
    this.dv.setUint16(start, this.len - start, true);
    return this;
  }

  finish(seq: number, pid = 0): Uint8Array {
    if (this.nests.length) throw new Error("NlMsg.finish() with an open nest");
    this.dv.setUint32(0, this.len, true);
    this.dv.setUint32(8, seq, true);
    this.dv.setUint32(12, pid, true);
    return this.buf.subarray(0, this.len);
  }
}

/** One received message: header fields and its payload (after nlmsghdr). */
export interface NlReply {
  type: number;
  flags: number;
  seq: number;
  payload: Uint8Array;
}

/** Split a datagram from the kernel into messages. */
export function splitMessages(buf: Uint8Array): NlReply[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlReply[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.byteLength) {
    const len = dv.getUint32(off, true);
    if (len < NLMSG_HDRLEN || off + len > buf.byteLength) break;
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (NLA_F_NESTED stripped). Later duplicates win, as the kernel's own parser. */
export type Attrs = Map<number, Uint8Array>;

export function parseAttrs(buf: Uint8Array, start = 0): Attrs {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Attrs = new Map();
  let off = start;
  while (off + NLA_HDRLEN <= buf.byteLength) {
    const len = dv.getUint16(off, true);
    if (len < NLA_HDRLEN || off + len > buf.byteLength) break;
    out.set(dv.getUint16(off + 2, true) & NLA_TYPE_MASK, buf.subarray(off + NLA_HDRLEN, off + len));
    off += align4(len);
  }
  return out;
}

export const attrU8 = (a: Uint8Array | undefined) => (a && a.byteLength >= 1 ? a[0]! : undefined);
export const attrU16 = (a: Uint8Array | undefined) =>
  a && a.byteLength >= 2 ? new DataView(a.buffer, a.byteOffset, 2).getUint16(0, true) : undefined;
export const attrU32 = (a: Uint8Array | undefined) =>
  a && a.byteLength >= 4 ? new DataView(a.buffer, a.byteOffset, 4).getUint32(0, true) : undefined;
export const attrS32 = (a: Uint8Array | undefined) =>
  a && a.byteLength >= 4 ? new DataView(a.buffer, a.byteOffset, 4).getInt32(0, true) : undefined;
export function attrStr(a: Uint8Array | undefined): string | undefined {
  if (!a) return undefined;
  const z = a.indexOf(0);
  return Buffer.from(z >= 0 ? a.subarray(0, z) : a).toString("utf8");
}
