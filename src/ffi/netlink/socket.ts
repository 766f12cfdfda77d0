// An AF_NETLINK socket speaking request/ack and dump exchanges with the kernel.
// rtnetlink handles requests synchronously inside sendmsg, so the reply is queued by the time
// write() returns: blocking reads here cost microseconds, never a real wait.

import {
  AF_NETLINK, CLONE_NEWNET, Errno, O_CLOEXEC, O_RDONLY, SOCK_CLOEXEC, SOCK_RAW, SysError, bind, close,
  closeQuiet, open, read, setns, setsockoptInt, socket, strerror, errnoName, write,
} from "../libc.ts";
import {
  NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLMSGERR_ATTR_MSG, NLM_F_ACK, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLM_F_DUMP,
  NLM_F_DUMP_INTR, NLM_F_REQUEST, NlMsg, attrStr, parseAttrs, splitMessages, type NlReply,
} from "./message.ts";

export const NETLINK_ROUTE = 0;
const SOL_NETLINK = 270;
const NETLINK_CAP_ACK = 10;
const NETLINK_EXT_ACK = 11;

/** A network namespace: by a process in it, an open nsfs fd, or a path (/proc/PID/ns/net, /run/netns/X). */
export type NetnsRef = { pid: number } | { fd: number } | { path: string };

/** NLMSG_ERROR from the kernel: `netlink RTM_NEWLINK veth0: EEXIST (File exists)`. */
export class NetlinkError extends SysError {
  constructor(
    /** RTM_NEWLINK, RTM_DELLINK, … */
    public readonly op: string,
    /** The device (or address/route) the request was about. */
    public readonly target: string | undefined,
    errno: number,
    /** The kernel's extended-ack text, when it gave one. */
    public readonly extack?: string,
  ) {
    super(op, errno, target ?? "", undefined,
      `netlink ${op}${target ? " " + target : ""}: ${errnoName(errno)} (${strerror(errno)})${extack ? ": " + extack : ""}`);
    this.name = "NetlinkError";
  }
}

function openNetnsFd(ns: NetnsRef): { fd: number; owned: boolean } {
  if ("fd" in ns) return { fd: ns.fd, owned: false };
  const path = "pid" in ns ? `/proc/${ns.pid}/ns/net` : ns.path;
  return { fd: open(path, O_RDONLY | O_CLOEXEC), owned: true };
}

/**
 * Run `f` with the calling thread inside network namespace `ns`, then switch back.
 * Only the JS thread moves (net namespaces are per-thread, unlike mount/user ones): sockets
 * and tun fds created inside stay bound to `ns` after we return.
 */
export function withNetns<T>(ns: NetnsRef, f: () => T): T {
  const self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  const target = openNetnsFd(ns);
  try {
    setns(target.fd, CLONE_NEWNET, "pid" in ns ? `(netns of pid ${ns.pid})` : "path" in ns ? `(${ns.path})` : "");
    try {
      return f();
    } finally {
      // Failing to come back would leave the daemon in a container's netns: treat as fatal.
      setns(self, CLONE_NEWNET, "(original netns)");
    }
  } finally {
    if (target.owned) closeQuiet(target.fd);
    closeQuiet(self);
  }
}

export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly rbuf = new Uint8Array(65536);
  private closed = false;

  private constructor(public readonly fd: number) {}

  /** Open a socket in the calling thread's netns, or in `netns` when given. */
  static open(protocol = NETLINK_ROUTE, netns?: NetnsRef): NetlinkSocket {
    const mk = () => new NetlinkSocket(socketFd(protocol));
    return netns ? withNetns(netns, mk) : mk();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    close(this.fd);
  }

  /**
   * Send one request and collect the replies: for dumps every message until NLMSG_DONE, for
   * others the NLMSG_ERROR ack (plus any NLM_F_ECHO'ed message). `op` and `target` name the
   * request in errors.
   */
  request(msg: NlMsg, op: string, target?: string, dump = false): NlReply[] {
    if (this.closed) throw new Error("netlink socket is closed");
    const seq = (this.seq = (this.seq + 1) >>> 0);
    write(this.fd, msg.finish(seq));
    const out: NlReply[] = [];
    let interrupted = false;
    for (;;) {
      const n = read(this.fd, this.rbuf);
      for (const m of splitMessages(this.rbuf.subarray(0, n))) {
        if (m.seq !== seq) continue; // a stale reply to an earlier, abandoned request
        if (m.type === NLMSG_ERROR) {
          const err = -new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
          if (err !== 0) throw new NetlinkError(op, target, err, extAck(m));
          if (!dump) return out; // the ack ends a non-dump exchange
          continue;
        }
        // The kernel flags any part of a dump that raced a change; the whole dump is suspect.
        if (m.flags & NLM_F_DUMP_INTR) interrupted = true;
        if (m.type === NLMSG_DONE) {
          if (interrupted)
            throw new NetlinkError(op, target, Errno.EINTR, "dump interrupted by a concurrent change; retry");
          return out;
        }
        // Copy: rbuf is reused by the next read. Non-dump requests always carry NLM_F_ACK, so
        // an echoed message is followed by the ack that ends the loop.
        out.push({ ...m, payload: m.payload.slice() });
      }
    }
  }

  /** A dump request (NLM_F_DUMP) returning every reply message. */
  dump(msg: NlMsg, op: string, target?: string): NlReply[] {
    return this.request(msg, op, target, true);
  }
}

function socketFd(protocol: number): number {
  const fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
  try {
    // sockaddr_nl { u16 family; u16 pad; u32 pid (0: kernel assigns); u32 groups; }
    const sa = new Uint8Array(12);
    new DataView(sa.buffer).setUint16(0, AF_NETLINK, true);
    bind(fd, sa, "AF_NETLINK");
    // Extended acks carry the kernel's reason text; capped acks skip echoing our request.
    try { setsockoptInt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1); } catch { /* pre-4.12 kernels */ }
    try { setsockoptInt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1); } catch { /* pre-4.3 kernels */ }
    return fd;
  } catch (e) {
    closeQuiet(fd);
    throw e;
  }
}

function extAck(m: NlReply): string | undefined {
  if (!(m.flags & NLM_F_ACK_TLVS)) return undefined;
  // struct nlmsgerr { int error; struct nlmsghdr msg; [payload unless capped] } then TLVs.
  const dv = new DataView(m.payload.buffer, m.payload.byteOffset, m.payload.byteLength);
  const origLen = m.payload.byteLength >= 4 + NLMSG_HDRLEN ? dv.getUint32(4, true) : NLMSG_HDRLEN;
  const off = 4 + (m.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : origLen);
  if (off > m.payload.byteLength) return undefined;
  return attrStr(parseAttrs(m.payload, off).get(NLMSGERR_ATTR_MSG));
}

export { NLM_F_REQUEST, NLM_F_ACK, NLM_F_DUMP };
