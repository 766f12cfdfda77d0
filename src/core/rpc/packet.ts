// libvirt RPC packet framing (virnetprotocol.x): a 4-byte big-endian length that counts
// itself, a 24-byte header {prog, vers, proc, type, serial, status}, then the XDR body.
// Packets of type *_WITH_FDS carry an fd count right after the header; the fds themselves
// follow the packet on the socket, one SCM_RIGHTS message per fd, each with 1 dummy byte.

import { VirError, ErrorCode, ErrorDomain } from "../errors.ts";
import { XdrError, XdrReader, XdrWriter, xInt, xOptional, xString, xStruct, xFixedOpaque, type Codec } from "./xdr.ts";

export const Program = {
  REMOTE: 0x20008086,
  LXC: 0x00068000,
  QEMU: 0x20008087,
  KEEPALIVE: 0x6b656570,
} as const;

export const MessageType = {
  CALL: 0,
  REPLY: 1,
  MESSAGE: 2,
  STREAM: 3,
  CALL_WITH_FDS: 4,
  REPLY_WITH_FDS: 5,
  STREAM_HOLE: 6,
} as const;

export const MessageStatus = { OK: 0, ERROR: 1, CONTINUE: 2 } as const;

/** VIR_NET_MESSAGE_MAX: the biggest packet either side accepts (16 MiB), length word excluded. */
export const MESSAGE_MAX = 16 * 1024 * 1024;
export const HEADER_SIZE = 24;
/** VIR_NET_MESSAGE_NUM_FDS_MAX */
export const NUM_FDS_MAX = 32;
/** VIR_NET_MESSAGE_STRING_MAX */
export const STRING_MAX = 4194304;

export interface Header {
  prog: number;
  vers: number;
  proc: number;
  type: number;
  serial: number;
  status: number;
}

export interface Packet {
  header: Header;
  /** The whole frame; the body is body[bodyStart..]. */
  frame: Uint8Array;
  bodyStart: number;
  /** Number of fds announced (WITH_FDS types), 0 otherwise. */
  nfds: number;
  /** The received fds, in order; the receiver owns them. */
  fds: number[];
}

export function hasFds(type: number): boolean {
  return type === MessageType.CALL_WITH_FDS || type === MessageType.REPLY_WITH_FDS;
}

/** Build a full frame: length, header, optional fd count, body. */
export function buildPacket(h: Header, body: Uint8Array, nfds = 0): Uint8Array {
  const extra = hasFds(h.type) ? 4 : 0;
  const len = 4 + HEADER_SIZE + extra + body.length;
  if (len - 4 > MESSAGE_MAX) throw new VirError(ErrorCode.RPC, ErrorDomain.RPC, `packet ${len} bytes larger than maximum ${MESSAGE_MAX}`);
  const out = new Uint8Array(len);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, len);
  dv.setUint32(4, h.prog);
  dv.setUint32(8, h.vers);
  dv.setInt32(12, h.proc);
  dv.setInt32(16, h.type);
  dv.setUint32(20, h.serial);
  dv.setInt32(24, h.status);
  if (extra) dv.setUint32(28, nfds);
  out.set(body, 4 + HEADER_SIZE + extra);
  return out;
}

export function bodyOf(p: Packet): Uint8Array {
  return p.frame.subarray(p.bodyStart);
}

/**
 * Turns a byte stream (plus the fds that arrived with it) into packets. Throws XdrError on
 * a malformed stream; the caller then drops that connection.
 */
export class FrameDecoder {
  private store = new Uint8Array(0);
  private off = 0;
  private len = 0;
  private fdQueue: number[] = [];
  /** A WITH_FDS packet waiting for its dummy bytes and fds. */
  private pending: Packet | null = null;

  pushFds(fds: number[]) {
    this.fdQueue.push(...fds);
  }

  push(data: Uint8Array) {
    // grow by doubling: a 16 MiB packet arriving in 64 KiB reads must not be copied per read
    const need = this.len + data.length;
    if (need > this.store.length) {
      let cap = Math.max(4096, this.store.length);
      while (cap < need) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.store.subarray(this.off, this.off + this.len), 0);
      this.store = nb;
      this.off = 0;
    } else if (this.off + need > this.store.length) {
      this.store.copyWithin(0, this.off, this.off + this.len);
      this.off = 0;
    }
    this.store.set(data, this.off + this.len);
    this.len = need;
  }

  private get buf(): Uint8Array {
    return this.store.subarray(this.off, this.off + this.len);
  }

  private consume(n: number) {
    this.off += n;
    this.len -= n;
    if (this.len === 0) this.off = 0;
  }

  /** Fds received but not yet handed out (closed by the owner when the connection dies). */
  leftoverFds(): number[] {
    const fds = [...this.fdQueue, ...(this.pending?.fds ?? [])];
    this.fdQueue = [];
    return fds;
  }

  /** The next complete packet, or null when more bytes are needed. */
  next(): Packet | null {
    if (this.pending) return this.completeFds();
    if (this.buf.length < 4) return null;
    const dv = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    const len = dv.getUint32(0);
    if (len < 4 + HEADER_SIZE) throw new XdrError(`packet length ${len} shorter than a header`);
    if (len - 4 > MESSAGE_MAX) throw new XdrError(`packet length ${len} exceeds maximum ${MESSAGE_MAX}`);
    if (this.buf.length < len) return null;
    const frame = this.buf.slice(0, len);
    this.consume(len);
    const r = new XdrReader(frame, 4);
    const header: Header = { prog: r.uint(), vers: r.uint(), proc: r.int(), type: r.int(), serial: r.uint(), status: r.int() };
    let nfds = 0;
    if (hasFds(header.type)) {
      nfds = r.uint();
      if (nfds > NUM_FDS_MAX) throw new XdrError(`packet announces ${nfds} fds, more than ${NUM_FDS_MAX}`);
    }
    const p: Packet = { header, frame, bodyStart: r.pos, nfds, fds: [] };
    if (nfds === 0) return p;
    this.pending = p;
    return this.completeFds();
  }

  private completeFds(): Packet | null {
    const p = this.pending!;
    // each fd travels with one dummy byte right after the packet
    while (p.fds.length < p.nfds && this.buf.length > 0 && this.fdQueue.length > 0) {
      this.consume(1);
      p.fds.push(this.fdQueue.shift()!);
    }
    if (p.fds.length < p.nfds) {
      if (this.buf.length > 0 && this.fdQueue.length === 0) {
        // data arrived where an fd's byte should be but no fd came with it
        throw new XdrError(`expected ${p.nfds} passed fds, received ${p.fds.length}`);
      }
      return null;
    }
    this.pending = null;
    return p;
  }
}

// ---------------------------------------------------------------------------------------------
// remote_error: the body of every REPLY with status ERROR.

const xNonnullString = xString(STRING_MAX);
const xUuid = xFixedOpaque(16);
const xDomainRaw = xStruct([["name", xNonnullString], ["uuid", xUuid], ["id", xInt]] as const);
const xNetworkRaw = xStruct([["name", xNonnullString], ["uuid", xUuid]] as const);

export interface RemoteError {
  code: number;
  domain: number;
  message: string | null;
  level: number;
  dom: { name: string; uuid: Uint8Array; id: number } | null;
  str1: string | null;
  str2: string | null;
  str3: string | null;
  int1: number;
  int2: number;
  net: { name: string; uuid: Uint8Array } | null;
}

export const xRemoteError: Codec<RemoteError> = xStruct([
  ["code", xInt],
  ["domain", xInt],
  ["message", xOptional(xNonnullString)],
  ["level", xInt],
  ["dom", xOptional(xDomainRaw)],
  ["str1", xOptional(xNonnullString)],
  ["str2", xOptional(xNonnullString)],
  ["str3", xOptional(xNonnullString)],
  ["int1", xInt],
  ["int2", xInt],
  ["net", xOptional(xNetworkRaw)],
] as const) as Codec<RemoteError>;

/** VIR_ERR_ERROR: the level libvirt reports for failures. */
const LEVEL_ERROR = 2;

export function errorBody(e: VirError): Uint8Array {
  const w = new XdrWriter();
  xRemoteError.enc(w, {
    code: e.code,
    domain: e.domain,
    message: e.message,
    level: LEVEL_ERROR,
    dom: null,
    str1: e.message,
    str2: null,
    str3: null,
    int1: -1,
    int2: -1,
    net: null,
  });
  return w.bytes();
}

export function virErrorFromRemote(re: RemoteError): VirError {
  return new VirError(re.code, re.domain, re.message ?? "unknown error");
}
