// XDR (RFC 4506) encoding: big-endian 4-byte units, variable data padded to a multiple of 4.
// Written for libvirt's wire protocol; codecs compose into the structs of the .x files.

export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XdrError";
  }
}

const te = new TextEncoder();
const td = new TextDecoder("utf-8", { fatal: false });

export class XdrWriter {
  private buf: Uint8Array;
  private dv: DataView;
  pos = 0;
  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.dv = new DataView(this.buf.buffer);
  }
  private ensure(n: number) {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const nb = new Uint8Array(size);
    nb.set(this.buf.subarray(0, this.pos));
    this.buf = nb;
    this.dv = new DataView(nb.buffer);
  }
  int(v: number) {
    this.ensure(4);
    this.dv.setInt32(this.pos, v);
    this.pos += 4;
  }
  uint(v: number) {
    this.ensure(4);
    this.dv.setUint32(this.pos, v >>> 0);
    this.pos += 4;
  }
  hyper(v: bigint) {
    this.ensure(8);
    this.dv.setBigInt64(this.pos, v);
    this.pos += 8;
  }
  uhyper(v: bigint) {
    this.ensure(8);
    this.dv.setBigUint64(this.pos, v);
    this.pos += 8;
  }
  double(v: number) {
    this.ensure(8);
    this.dv.setFloat64(this.pos, v);
    this.pos += 8;
  }
  bool(v: boolean) {
    this.int(v ? 1 : 0);
  }
  /** Fixed-length opaque: exactly `len` bytes, padded. */
  fixedOpaque(b: Uint8Array, len: number) {
    if (b.length !== len) throw new XdrError(`fixed opaque needs ${len} bytes, got ${b.length}`);
    this.raw(b);
  }
  /** Variable-length opaque: length word then data, padded. */
  opaque(b: Uint8Array) {
    this.uint(b.length);
    this.raw(b);
  }
  string(s: string) {
    this.opaque(te.encode(s));
  }
  private raw(b: Uint8Array) {
    const padded = (b.length + 3) & ~3;
    this.ensure(padded);
    this.buf.set(b, this.pos);
    this.buf.fill(0, this.pos + b.length, this.pos + padded);
    this.pos += padded;
  }
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

export class XdrReader {
  private dv: DataView;
  pos: number;
  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
  }
  private need(n: number) {
    if (this.pos + n > this.end) throw new XdrError(`truncated XDR data: need ${n} bytes at offset ${this.pos}, have ${this.end - this.pos}`);
  }
  get remaining() {
    return this.end - this.pos;
  }
  int(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  uint(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos);
    this.pos += 4;
    return v;
  }
  hyper(): bigint {
    this.need(8);
    const v = this.dv.getBigInt64(this.pos);
    this.pos += 8;
    return v;
  }
  uhyper(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos);
    this.pos += 8;
    return v;
  }
  double(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos);
    this.pos += 8;
    return v;
  }
  bool(): boolean {
    const v = this.int();
    if (v !== 0 && v !== 1) throw new XdrError(`invalid XDR bool ${v}`);
    return v === 1;
  }
  fixedOpaque(len: number): Uint8Array {
    const padded = (len + 3) & ~3;
    this.need(padded);
    const out = this.buf.slice(this.pos, this.pos + len);
    this.pos += padded;
    return out;
  }
  opaque(max = 0xffffffff): Uint8Array {
    const len = this.uint();
    if (len > max) throw new XdrError(`XDR opaque length ${len} exceeds limit ${max}`);
    return this.fixedOpaque(len);
  }
  string(max = 0xffffffff): string {
    return td.decode(this.opaque(max));
  }
}

// ---------------------------------------------------------------------------------------------
// Codec combinators: each .x type becomes a Codec; structs are ordered field lists.

export interface Codec<T> {
  enc(w: XdrWriter, v: T): void;
  dec(r: XdrReader): T;
}

export const xInt: Codec<number> = { enc: (w, v) => w.int(v), dec: (r) => r.int() };
export const xUint: Codec<number> = { enc: (w, v) => w.uint(v), dec: (r) => r.uint() };
export const xHyper: Codec<bigint> = { enc: (w, v) => w.hyper(v), dec: (r) => r.hyper() };
export const xUhyper: Codec<bigint> = { enc: (w, v) => w.uhyper(v), dec: (r) => r.uhyper() };
export const xDouble: Codec<number> = { enc: (w, v) => w.double(v), dec: (r) => r.double() };
export const xBool: Codec<boolean> = { enc: (w, v) => w.bool(v), dec: (r) => r.bool() };
/** XDR void: nothing on the wire. */
export const xVoid: Codec<void> = { enc: () => {}, dec: () => undefined };

export function xString(max = 0xffffffff): Codec<string> {
  return { enc: (w, v) => w.string(v), dec: (r) => r.string(max) };
}
export function xOpaque(max = 0xffffffff): Codec<Uint8Array> {
  return { enc: (w, v) => w.opaque(v), dec: (r) => r.opaque(max) };
}
export function xFixedOpaque(len: number): Codec<Uint8Array> {
  return { enc: (w, v) => w.fixedOpaque(v, len), dec: (r) => r.fixedOpaque(len) };
}
/** `T *name`: an optional value, a bool then the value when present. */
export function xOptional<T>(c: Codec<T>): Codec<T | null> {
  return {
    enc: (w, v) => {
      w.bool(v !== null && v !== undefined);
      if (v !== null && v !== undefined) c.enc(w, v);
    },
    dec: (r) => (r.bool() ? c.dec(r) : null),
  };
}
/** `T name<max>`: a variable-length array. */
export function xArray<T>(c: Codec<T>, max = 0xffffffff): Codec<T[]> {
  return {
    enc: (w, v) => {
      w.uint(v.length);
      for (const e of v) c.enc(w, e);
    },
    dec: (r) => {
      const n = r.uint();
      if (n > max) throw new XdrError(`XDR array length ${n} exceeds limit ${max}`);
      // each element takes at least 4 bytes; refuse lengths the data cannot hold
      if (n > r.remaining) throw new XdrError(`XDR array length ${n} exceeds remaining data`);
      const out: T[] = [];
      for (let i = 0; i < n; i++) out.push(c.dec(r));
      return out;
    },
  };
}
/** `T name[n]`: a fixed-length array. */
export function xFixedArray<T>(c: Codec<T>, n: number): Codec<T[]> {
  return {
    enc: (w, v) => {
      if (v.length !== n) throw new XdrError(`fixed array needs ${n} elements, got ${v.length}`);
      for (const e of v) c.enc(w, e);
    },
    dec: (r) => Array.from({ length: n }, () => c.dec(r)),
  };
}

type FieldList = readonly (readonly [string, Codec<any>])[];
type StructOf<F extends FieldList> = { [K in F[number] as K[0]]: K[1] extends Codec<infer T> ? T : never };

export function xStruct<const F extends FieldList>(fields: F): Codec<StructOf<F>> {
  return {
    enc: (w, v: any) => {
      for (const [name, c] of fields) c.enc(w, v[name]);
    },
    dec: (r) => {
      const out: any = {};
      for (const [name, c] of fields) out[name] = c.dec(r);
      return out;
    },
  };
}

/** A discriminated union on an int: `union switch (int type) { case N: T v; ... }`. */
export function xUnion<T extends { type: number }>(arms: Record<number, readonly [string, Codec<any>]>): Codec<T> {
  return {
    enc: (w, v: any) => {
      const arm = arms[v.type];
      if (!arm) throw new XdrError(`no union arm for discriminant ${v.type}`);
      w.int(v.type);
      arm[1].enc(w, v[arm[0]]);
    },
    dec: (r) => {
      const type = r.int();
      const arm = arms[type];
      if (!arm) throw new XdrError(`no union arm for discriminant ${type}`);
      return { type, [arm[0]]: arm[1].dec(r) } as any;
    },
  };
}

export function encode<T>(c: Codec<T>, v: T): Uint8Array {
  const w = new XdrWriter();
  c.enc(w, v);
  return w.bytes();
}
/** Decode a whole body; leftover bytes mean the peer and we disagree on the type. */
export function decode<T>(c: Codec<T>, b: Uint8Array, start = 0, end = b.length): T {
  const r = new XdrReader(b, start, end);
  const v = c.dec(r);
  if (r.remaining !== 0) throw new XdrError(`${r.remaining} unexpected trailing bytes in XDR data`);
  return v;
}
