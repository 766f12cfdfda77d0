// File-descriptor passing over AF_UNIX sockets with SCM_RIGHTS.
//
// Bun's own socket reader drops ancillary data (received fds leak into nowhere), so a socket
// that receives fds must be read here, with recvmsg driven by poll. On stream sockets the
// kernel attaches fds to a data byte, so every send carries at least one byte.

import { ptr } from "bun:ffi";
import { ErrorCode, ErrorDomain, VirError } from "../core/errors.ts";
import {
  MSG_CMSG_CLOEXEC, MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_TRUNC, POLLERR, POLLHUP, POLLIN, POLLNVAL,
  SCM_RIGHTS, SOL_SOCKET, closeQuiet, poll, recvmsgRaw, sendmsgRaw, type PollFd,
} from "./libc.ts";

/** The kernel's SCM_MAX_FD: more fds than this in one message fail with EINVAL. */
export const MAX_FDS_PER_MESSAGE = 253;

// struct msghdr (LP64): name@0 namelen@8 iov@16 iovlen@24 control@32 controllen@40 flags@48; 56 bytes.
// struct iovec: base@0 len@8; 16 bytes.  struct cmsghdr: len@0 (size_t) level@8 type@12 data@16.
const MSGHDR_SIZE = 56;
const CMSG_HDR = 16;
const align8 = (n: number) => (n + 7) & ~7;
const cmsgSpace = (n: number) => CMSG_HDR + align8(n);

/** Control data was cut short: the sender passed more fds than the receiver made room for. */
export class FdPassError extends VirError {
  constructor(message: string) {
    super(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, message);
    this.name = "FdPassError";
  }
}

function msghdr(iov: Uint8Array, control: Uint8Array | null): Uint8Array {
  const m = new Uint8Array(MSGHDR_SIZE);
  const dv = new DataView(m.buffer);
  dv.setBigUint64(16, BigInt(ptr(iov)), true);
  dv.setBigUint64(24, 1n, true);
  if (control && control.byteLength) {
    dv.setBigUint64(32, BigInt(ptr(control)), true);
    dv.setBigUint64(40, BigInt(control.byteLength), true);
  }
  return m;
}

function iovec(data: Uint8Array): Uint8Array {
  const v = new Uint8Array(16);
  const dv = new DataView(v.buffer);
  dv.setBigUint64(0, data.byteLength ? BigInt(ptr(data)) : 0n, true);
  dv.setBigUint64(8, BigInt(data.byteLength), true);
  return v;
}

/**
 * Send `fds` (may be empty) with `data` (default one zero byte) in a single sendmsg.
 * Returns the number of data bytes sent. The caller keeps ownership of its fds.
 */
export function sendFds(sock: number, fds: readonly number[], data: Uint8Array | string = new Uint8Array(1)): number {
  const payload = typeof data === "string" ? Buffer.from(data) : data;
  if (payload.byteLength === 0) throw new FdPassError("sendFds: at least one data byte must accompany the fds");
  if (fds.length > MAX_FDS_PER_MESSAGE)
    throw new FdPassError(`sendFds: ${fds.length} fds exceed the kernel limit of ${MAX_FDS_PER_MESSAGE} per message`);
  let control: Uint8Array | null = null;
  if (fds.length) {
    control = new Uint8Array(cmsgSpace(4 * fds.length));
    const dv = new DataView(control.buffer);
    dv.setBigUint64(0, BigInt(CMSG_HDR + 4 * fds.length), true);
    dv.setInt32(8, SOL_SOCKET, true);
    dv.setInt32(12, SCM_RIGHTS, true);
    fds.forEach((fd, i) => dv.setInt32(CMSG_HDR + 4 * i, fd, true));
  }
  const iov = iovec(payload);
  const m = msghdr(iov, control);
  // MSG_NOSIGNAL: a closed peer yields EPIPE instead of killing the daemon with SIGPIPE.
  const n = sendmsgRaw(sock, m, MSG_NOSIGNAL, "sendmsg");
  keep(payload, control);
  return n;
}

export interface RecvFdsOptions {
  /** Room for this many fds (default 16). More arriving → FdPassError (MSG_CTRUNC). */
  maxFds?: number;
  /** Data buffer size (default 4096). */
  maxData?: number;
  /** Do not block: return null when nothing is queued. */
  nonblock?: boolean;
}

export interface RecvFdsResult {
  /** Bytes received (empty at EOF on stream sockets). */
  data: Uint8Array;
  /** Received fds, already close-on-exec; the caller owns them. */
  fds: number[];
  /** MSG_TRUNC: a datagram was longer than maxData. */
  dataTruncated: boolean;
}

/** One recvmsg with room for fds. Blocks unless `nonblock` (then null when nothing is queued). */
export function recvFds(sock: number, opts: RecvFdsOptions = {}): RecvFdsResult | null {
  const maxFds = opts.maxFds ?? 16;
  const buf = new Uint8Array(opts.maxData ?? 4096);
  const control = new Uint8Array(cmsgSpace(4 * Math.max(1, maxFds)));
  const iov = iovec(buf);
  const m = msghdr(iov, control);
  // MSG_CMSG_CLOEXEC: received fds must not leak into children spawned before the caller decides.
  const flags = MSG_CMSG_CLOEXEC | (opts.nonblock ? MSG_DONTWAIT : 0);
  const n = recvmsgRaw(sock, m, flags, "recvmsg");
  keep(buf, control);
  if (n < 0) return null;
  const dv = new DataView(m.buffer);
  const msgFlags = dv.getInt32(48, true);
  const fds = parseRights(control, Number(dv.getBigUint64(40, true)));
  if (msgFlags & MSG_CTRUNC) {
    // The kernel closed the fds that did not fit; the ones that did are useless without the rest.
    for (const fd of fds) closeQuiet(fd);
    throw new FdPassError(
      `recvmsg(fd ${sock}): control data truncated (MSG_CTRUNC): the peer passed more than ${maxFds} fds`,
    );
  }
  return { data: buf.slice(0, n), fds, dataTruncated: (msgFlags & MSG_TRUNC) !== 0 };
}

function parseRights(control: Uint8Array, controllen: number): number[] {
  const dv = new DataView(control.buffer, control.byteOffset, control.byteLength);
  const fds: number[] = [];
  let off = 0;
  while (off + CMSG_HDR <= controllen) {
    const len = Number(dv.getBigUint64(off, true));
    if (len < CMSG_HDR) break;
    const level = dv.getInt32(off + 8, true), type = dv.getInt32(off + 12, true);
    if (level === SOL_SOCKET && type === SCM_RIGHTS) {
      for (let p = off + CMSG_HDR; p + 4 <= off + len; p += 4) fds.push(dv.getInt32(p, true));
    }
    off += align8(len);
  }
  return fds;
}

// Reference buffers past the FFI call so their memory is not reclaimed while the kernel reads it.
function keep(..._bufs: unknown[]): void {}

export interface WaitOptions {
  /** Give up after this long (default: wait forever) with an OPERATION_TIMEOUT VirError. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Resolve when `fd` is readable (or hung up / errored: the next read reports that) without
 * blocking the event loop: poll(…, 0) with a short, growing sleep in between (1 → 10 ms).
 * Measured alternative (Bun 1.4.5): a node:net Socket around a dup'ed AF_UNIX fd never emits
 * 'readable', and any socket that did read would take the bytes and drop the fds with them.
 */
export async function waitReadable(fd: number, opts: WaitOptions = {}): Promise<void> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let delay = 0;
  for (;;) {
    const p: PollFd = { fd, events: POLLIN };
    if (poll([p], 0) > 0) {
      if (p.revents! & POLLNVAL) throw new FdPassError(`poll(fd ${fd}): not an open file descriptor (POLLNVAL)`);
      if (p.revents! & (POLLIN | POLLHUP | POLLERR)) return;
    }
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error("aborted");
    if (Date.now() >= deadline)
      throw new VirError(ErrorCode.OPERATION_TIMEOUT, ErrorDomain.NONE, `timed out waiting for fd ${fd} to become readable`);
    await Bun.sleep(delay);
    delay = delay === 0 ? 1 : Math.min(delay * 2, 10);
  }
}

/** recvFds that waits asynchronously for data instead of blocking the JS thread. */
export async function recvFdsAsync(sock: number, opts: RecvFdsOptions & WaitOptions = {}): Promise<RecvFdsResult> {
  for (;;) {
    await waitReadable(sock, opts);
    const r = recvFds(sock, { ...opts, nonblock: true });
    if (r) return r;
  }
}
