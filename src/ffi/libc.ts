// libc through bun:ffi. The only module (with its src/ffi siblings) that knows pointers,
// struct layouts and errno. Every wrapper either returns a plain value or throws SysError
// naming the call, the arguments that matter and the errno name.
//
// Threading note: bun:ffi calls run synchronously on the JS thread, so errno is read from
// that same thread's __errno_location right after the call, before anything else can run.

import { dlopen, ptr, read as peek, CString, type Pointer } from "bun:ffi";
import { readdirSync } from "node:fs";
import { ErrorCode, ErrorDomain, VirError } from "../core/errors.ts";
import { errnoName, Errno } from "./errno.ts";

export { Errno, errnoName };

const lib = dlopen("libc.so.6", {
  __errno_location: { args: [], returns: "ptr" },
  strerror: { args: ["i32"], returns: "ptr" },
  open: { args: ["ptr", "i32", "u32"], returns: "i32" },
  close: { args: ["i32"], returns: "i32" },
  read: { args: ["i32", "ptr", "u64"], returns: "i64" },
  write: { args: ["i32", "ptr", "u64"], returns: "i64" },
  pipe2: { args: ["ptr", "i32"], returns: "i32" },
  // ioctl/fcntl/prctl/syscall are variadic; on x86_64/aarch64 passing fixed integer args is ABI-safe.
  ioctl: { args: ["i32", "u64", "ptr"], returns: "i32" },
  socket: { args: ["i32", "i32", "i32"], returns: "i32" },
  socketpair: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  bind: { args: ["i32", "ptr", "u32"], returns: "i32" },
  connect: { args: ["i32", "ptr", "u32"], returns: "i32" },
  listen: { args: ["i32", "i32"], returns: "i32" },
  accept4: { args: ["i32", "ptr", "ptr", "i32"], returns: "i32" },
  sendmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  recvmsg: { args: ["i32", "ptr", "i32"], returns: "i64" },
  setsockopt: { args: ["i32", "i32", "i32", "ptr", "u32"], returns: "i32" },
  poll: { args: ["ptr", "u64", "i32"], returns: "i32" },
  setns: { args: ["i32", "i32"], returns: "i32" },
  unshare: { args: ["i32"], returns: "i32" },
  mount: { args: ["ptr", "ptr", "ptr", "u64", "ptr"], returns: "i32" },
  umount2: { args: ["ptr", "i32"], returns: "i32" },
  mknod: { args: ["ptr", "u32", "u64"], returns: "i32" },
  kill: { args: ["i32", "i32"], returns: "i32" },
  waitid: { args: ["i32", "u32", "ptr", "i32"], returns: "i32" },
  prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
  memfd_create: { args: ["ptr", "u32"], returns: "i32" },
  getuid: { args: [], returns: "u32" },
  geteuid: { args: [], returns: "u32" },
  getgid: { args: [], returns: "u32" },
  getpid: { args: [], returns: "i32" },
  dup: { args: ["i32"], returns: "i32" },
  dup3: { args: ["i32", "i32", "i32"], returns: "i32" },
  fcntl: { args: ["i32", "i32", "u64"], returns: "i32" },
  posix_openpt: { args: ["i32"], returns: "i32" },
  grantpt: { args: ["i32"], returns: "i32" },
  unlockpt: { args: ["i32"], returns: "i32" },
  ptsname_r: { args: ["i32", "ptr", "u64"], returns: "i32" },
  if_nametoindex: { args: ["ptr"], returns: "u32" },
  syscall: { args: ["i64", "i64", "i64", "i64", "i64", "i64"], returns: "i64" },
});
const C = lib.symbols;

// ---------------------------------------------------------------------------------------------
// errors

/** A failed system call: libvirt's VIR_ERR_SYSTEM_ERROR with the errno kept machine-readable. */
export class SysError extends VirError {
  /** "ENOENT", "EPERM", … */
  public readonly errnoName: string;
  constructor(
    /** The call as written in the message, e.g. `open`. */
    public readonly call: string,
    public readonly errno: number,
    /** What the call was about, e.g. `"/dev/net/tun", O_RDWR`. */
    public readonly detail: string = "",
    domain: number = ErrorDomain.NONE,
    /** Overrides the default `call(detail) failed: ENAME (message)` wording. */
    message?: string,
  ) {
    super(ErrorCode.SYSTEM_ERROR, domain, message ?? `${call}(${detail}) failed: ${errnoName(errno)} (${strerror(errno)})`);
    this.name = "SysError";
    this.errnoName = errnoName(errno);
  }
}

export function errno(): number {
  return peek.i32(C.__errno_location()!, 0);
}

export function strerror(e: number): string {
  const p = C.strerror(e);
  return p ? new CString(p).toString() : `Unknown error ${e}`;
}

/** Quote a path the way it appears in messages. */
const q = (s: string) => JSON.stringify(s);

// Throw SysError when a libc call returned -1; callers pass the message detail lazily.
function check(ret: number, call: string, detail: () => string): number {
  if (ret < 0) throw new SysError(call, errno(), detail());
  return ret;
}

// Retry EINTR: signals delivered to the Bun process can interrupt any blocking call.
function checkRetry(f: () => number, call: string, detail: () => string): number {
  for (;;) {
    const r = f();
    if (r >= 0) return r;
    const e = errno();
    if (e !== Errno.EINTR) throw new SysError(call, e, detail());
  }
}

/** NUL-terminated copy of a JS string for a `const char *` argument. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

// ---------------------------------------------------------------------------------------------
// constants (Linux, x86_64/aarch64 generic values)

export const O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_NOCTTY = 0o400,
  O_TRUNC = 0o1000, O_APPEND = 0o2000, O_NONBLOCK = 0o4000, O_DIRECTORY = 0o200000,
  O_NOFOLLOW = 0o400000, O_CLOEXEC = 0o2000000, O_PATH = 0o10000000;

const O_NAMES: [number, string][] = [
  [O_CREAT, "O_CREAT"], [O_EXCL, "O_EXCL"], [O_NOCTTY, "O_NOCTTY"], [O_TRUNC, "O_TRUNC"],
  [O_APPEND, "O_APPEND"], [O_NONBLOCK, "O_NONBLOCK"], [O_DIRECTORY, "O_DIRECTORY"],
  [O_NOFOLLOW, "O_NOFOLLOW"], [O_CLOEXEC, "O_CLOEXEC"], [O_PATH, "O_PATH"],
];
/** `O_RDWR|O_CLOEXEC` for messages. */
export function openFlagsName(flags: number): string {
  const parts = [["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][flags & 3]!];
  let rest = flags & ~3;
  for (const [bit, name] of O_NAMES) if (rest & bit) { parts.push(name); rest &= ~bit; }
  if (rest) parts.push(`0${rest.toString(8)}`);
  return parts.join("|");
}

export const AF_UNSPEC = 0, AF_UNIX = 1, AF_INET = 2, AF_INET6 = 10, AF_NETLINK = 16, AF_PACKET = 17;
export const SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_SEQPACKET = 5,
  SOCK_NONBLOCK = O_NONBLOCK, SOCK_CLOEXEC = O_CLOEXEC;
export const SOL_SOCKET = 1, SCM_RIGHTS = 1, SO_SNDBUF = 7, SO_RCVBUF = 8, SO_PASSCRED = 16;
export const MSG_PEEK = 2, MSG_TRUNC = 0x20, MSG_DONTWAIT = 0x40, MSG_NOSIGNAL = 0x4000,
  MSG_CTRUNC = 0x8, MSG_CMSG_CLOEXEC = 0x40000000;

export const POLLIN = 1, POLLPRI = 2, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20;

export const CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUTS = 0x04000000,
  CLONE_NEWIPC = 0x08000000, CLONE_NEWUSER = 0x10000000, CLONE_NEWPID = 0x20000000,
  CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x80;

export const MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32,
  MS_BIND = 4096, MS_MOVE = 8192, MS_REC = 16384, MS_PRIVATE = 1 << 18, MS_SLAVE = 1 << 19,
  MS_SHARED = 1 << 20, MS_STRICTATIME = 1 << 24;
export const MNT_FORCE = 1, MNT_DETACH = 2, MNT_EXPIRE = 4, UMOUNT_NOFOLLOW = 8;

export const S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000, S_IFREG = 0o100000;

export const P_ALL = 0, P_PID = 1, P_PGID = 2, P_PIDFD = 3;
export const WNOHANG = 1, WSTOPPED = 2, WEXITED = 4, WCONTINUED = 8, WNOWAIT = 0x01000000;
/** si_code values in waitid()'s siginfo. */
export const CLD_EXITED = 1, CLD_KILLED = 2, CLD_DUMPED = 3, CLD_TRAPPED = 4, CLD_STOPPED = 5,
  CLD_CONTINUED = 6;

export const F_DUPFD = 0, F_GETFD = 1, F_SETFD = 2, F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030,
  FD_CLOEXEC = 1;

export const PR_SET_PDEATHSIG = 1, PR_GET_PDEATHSIG = 2, PR_SET_NAME = 15, PR_GET_NAME = 16,
  PR_SET_NO_NEW_PRIVS = 38, PR_GET_NO_NEW_PRIVS = 39, PR_SET_CHILD_SUBREAPER = 36,
  PR_CAPBSET_READ = 23, PR_CAPBSET_DROP = 24;

export const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
export const CLOSE_RANGE_UNSHARE = 2, CLOSE_RANGE_CLOEXEC = 4;
export const PIDFD_NONBLOCK = O_NONBLOCK;

export const SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11,
  SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14, SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19;

// x86_64 syscall numbers (also correct for the generic table where noted by use of libc wrappers).
const SYS_pivot_root = process.arch === "arm64" ? 41 : 155;
const SYS_pidfd_send_signal = 424;
const SYS_pidfd_open = 434;
const SYS_close_range = 436;

// ---------------------------------------------------------------------------------------------
// files

export function open(path: string, flags: number, mode = 0): number {
  return checkRetry(() => C.open(cstr(path), flags, mode), "open", () => `${q(path)}, ${openFlagsName(flags)}`);
}

export function close(fd: number): void {
  // EINTR on close must not be retried on Linux: the fd is already released.
  const r = C.close(fd);
  if (r < 0) {
    const e = errno();
    if (e !== Errno.EINTR) throw new SysError("close", e, String(fd));
  }
}

/** close() that ignores errors: for cleanup paths that must not mask the original error. */
export function closeQuiet(fd: number | undefined | null): void {
  if (fd != null && fd >= 0) C.close(fd);
}

/** read() into buf; returns the byte count (0 at EOF). */
export function read(fd: number, buf: Uint8Array, len = buf.byteLength): number {
  if (len === 0) return 0;
  return checkRetry(() => Number(C.read(fd, buf, len)), "read", () => `fd ${fd}, ${len}`);
}

export function write(fd: number, buf: Uint8Array | string, len?: number): number {
  const b = typeof buf === "string" ? Buffer.from(buf) : buf;
  const n = len ?? b.byteLength;
  if (n === 0) return 0;
  return checkRetry(() => Number(C.write(fd, b, n)), "write", () => `fd ${fd}, ${n}`);
}

/** write() until the whole buffer is out (blocking fds). */
export function writeAll(fd: number, buf: Uint8Array | string): void {
  let b = typeof buf === "string" ? Buffer.from(buf) : buf;
  while (b.byteLength > 0) b = b.subarray(write(fd, b));
}

export function pipe2(flags = O_CLOEXEC): [number, number] {
  const fds = new Int32Array(2);
  check(C.pipe2(fds, flags), "pipe2", () => openFlagsName(flags).replace(/^O_RDONLY\|?/, "") || "0");
  return [fds[0]!, fds[1]!];
}

/**
 * ioctl(fd, req, arg): arg is a buffer (struct pointer) or an integer passed by value.
 * `what` names the request for messages (e.g. "TUNSETIFF").
 */
export function ioctl(fd: number, req: number, arg: Uint8Array | number | null, what?: string, detail?: string): number {
  const a = typeof arg === "number" ? (arg as unknown as Pointer) : arg;
  return check(C.ioctl(fd, req, a), "ioctl", () =>
    [`fd ${fd}`, what ?? `0x${req.toString(16)}`, detail].filter(Boolean).join(", "));
}

export function dup(fd: number): number {
  return check(C.dup(fd), "dup", () => String(fd));
}

export function dup3(oldfd: number, newfd: number, flags = 0): number {
  return check(C.dup3(oldfd, newfd, flags), "dup3", () => `${oldfd}, ${newfd}`);
}

export function fcntl(fd: number, cmd: number, arg = 0): number {
  return check(C.fcntl(fd, cmd, arg), "fcntl", () => `fd ${fd}, cmd ${cmd}, ${arg}`);
}

/** Toggle FD_CLOEXEC: clear it on fds a child must inherit through exec. */
export function setCloexec(fd: number, on: boolean): void {
  const f = fcntl(fd, F_GETFD);
  fcntl(fd, F_SETFD, on ? f | FD_CLOEXEC : f & ~FD_CLOEXEC);
}

export function setNonblock(fd: number, on: boolean): void {
  const f = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, on ? f | O_NONBLOCK : f & ~O_NONBLOCK);
}

export function memfdCreate(name: string, flags = MFD_CLOEXEC): number {
  return check(C.memfd_create(cstr(name), flags), "memfd_create", () => q(name));
}

export function closeRange(first: number, last: number, flags = 0): void {
  check(Number(C.syscall(SYS_close_range, first, last, flags, 0, 0)), "close_range", () => `${first}, ${last}, ${flags}`);
}

export function mknod(path: string, mode: number, dev: bigint | number): void {
  check(C.mknod(cstr(path), mode, BigInt(dev)), "mknod", () => `${q(path)}, 0${mode.toString(8)}, ${devName(dev)}`);
}

/** glibc's makedev() encoding of (major, minor) into a dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

function devName(dev: bigint | number): string {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return `${major}:${minor}`;
}

// ---------------------------------------------------------------------------------------------
// sockets (message-level helpers live in fdpass.ts and netlink/)

export function socket(domain: number, type: number, protocol = 0): number {
  return check(C.socket(domain, type, protocol), "socket", () => `${domain}, ${type}, ${protocol}`);
}

export function socketpair(domain: number, type: number, protocol = 0): [number, number] {
  const fds = new Int32Array(2);
  check(C.socketpair(domain, type, protocol, fds), "socketpair", () => `${domain}, ${type}, ${protocol}`);
  return [fds[0]!, fds[1]!];
}

/** struct sockaddr_un for `path`; a leading "@" means the abstract namespace. */
export function sockaddrUn(path: string): Uint8Array {
  const name = Buffer.from(path.startsWith("@") ? "\0" + path.slice(1) : path, "utf8");
  if (name.byteLength > 107) throw new SysError("sockaddr_un", Errno.ENAMETOOLONG, q(path));
  // sa_family_t (2 bytes) + sun_path; abstract names use the exact length, paths a trailing NUL.
  const len = 2 + name.byteLength + (path.startsWith("@") ? 0 : 1);
  const sa = new Uint8Array(len);
  new DataView(sa.buffer).setUint16(0, AF_UNIX, true);
  sa.set(name, 2);
  return sa;
}

export function bind(fd: number, addr: Uint8Array, what = ""): void {
  check(C.bind(fd, addr, addr.byteLength), "bind", () => `fd ${fd}${what ? ", " + what : ""}`);
}

export function connect(fd: number, addr: Uint8Array, what = ""): void {
  checkRetry(() => C.connect(fd, addr, addr.byteLength), "connect", () => `fd ${fd}${what ? ", " + what : ""}`);
}

export function bindUnix(fd: number, path: string): void {
  bind(fd, sockaddrUn(path), q(path));
}

export function connectUnix(fd: number, path: string): void {
  connect(fd, sockaddrUn(path), q(path));
}

export function listen(fd: number, backlog = 128): void {
  check(C.listen(fd, backlog), "listen", () => `fd ${fd}`);
}

/** accept4(); returns -1 instead of throwing on EAGAIN for nonblocking listeners. */
export function accept(fd: number, flags = SOCK_CLOEXEC): number {
  for (;;) {
    const r = C.accept4(fd, null, null, flags);
    if (r >= 0) return r;
    const e = errno();
    if (e === Errno.EINTR) continue;
    if (e === Errno.EAGAIN) return -1;
    throw new SysError("accept4", e, `fd ${fd}`);
  }
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): void {
  const v = new Int32Array([value]);
  check(C.setsockopt(fd, level, name, v, 4), "setsockopt", () => `fd ${fd}, ${level}, ${name}, ${value}`);
}

/**
 * sendmsg/recvmsg on a caller-built struct msghdr (see fdpass.ts for the layout). Returns the
 * byte count; with MSG_DONTWAIT, EAGAIN is returned as -1 rather than thrown.
 */
export function sendmsgRaw(fd: number, msghdr: Uint8Array, flags: number, what = "sendmsg"): number {
  for (;;) {
    const r = Number(C.sendmsg(fd, msghdr, flags));
    if (r >= 0) return r;
    const e = errno();
    if (e === Errno.EINTR) continue;
    if (e === Errno.EAGAIN && flags & MSG_DONTWAIT) return -1;
    throw new SysError(what, e, `fd ${fd}`);
  }
}

export function recvmsgRaw(fd: number, msghdr: Uint8Array, flags: number, what = "recvmsg"): number {
  for (;;) {
    const r = Number(C.recvmsg(fd, msghdr, flags));
    if (r >= 0) return r;
    const e = errno();
    if (e === Errno.EINTR) continue;
    if (e === Errno.EAGAIN && flags & MSG_DONTWAIT) return -1;
    throw new SysError(what, e, `fd ${fd}`);
  }
}

export interface PollFd { fd: number; events: number; revents?: number }

/**
 * poll(2). Blocks the JS thread for up to `timeoutMs`: use 0 from async code (see waitReadable
 * in fdpass.ts). Fills `revents` in place and returns the number of ready fds.
 */
export function poll(fds: PollFd[], timeoutMs: number): number {
  // struct pollfd { int fd; short events; short revents; } — 8 bytes.
  const buf = new ArrayBuffer(8 * fds.length);
  const dv = new DataView(buf);
  fds.forEach((p, i) => { dv.setInt32(i * 8, p.fd, true); dv.setInt16(i * 8 + 4, p.events, true); });
  const n = checkRetry(() => C.poll(fds.length ? new Uint8Array(buf) : null, fds.length, timeoutMs), "poll",
    () => fds.map((p) => p.fd).join(","));
  fds.forEach((p, i) => { p.revents = dv.getUint16(i * 8 + 6, true); });
  return n;
}

// ---------------------------------------------------------------------------------------------
// namespaces and mounts (mount/user namespaces cannot be entered by a multi-threaded process:
// the post-clone executor in src/ffi/exec does that; these are for the calling process itself)

export function setns(fd: number, nstype = 0, what = ""): void {
  check(C.setns(fd, nstype), "setns", () => `fd ${fd}${what ? " " + what : ""}, 0x${nstype.toString(16)}`);
}

export function unshare(flags: number): void {
  check(C.unshare(flags), "unshare", () => `0x${flags.toString(16)}`);
}

export function mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null = null): void {
  check(
    C.mount(source === null ? null : cstr(source), cstr(target), fstype === null ? null : cstr(fstype), flags,
      data === null ? null : cstr(data)),
    "mount", () => `${q(source ?? "none")}, ${q(target)}, ${q(fstype ?? "")}, 0x${flags.toString(16)}`,
  );
}

export function umount2(target: string, flags = 0): void {
  check(C.umount2(cstr(target), flags), "umount2", () => `${q(target)}, ${flags}`);
}

export function pivotRoot(newRoot: string, putOld: string): void {
  check(Number(C.syscall(SYS_pivot_root, ptr(cstr(newRoot)), ptr(cstr(putOld)), 0, 0, 0)), "pivot_root",
    () => `${q(newRoot)}, ${q(putOld)}`);
}

// ---------------------------------------------------------------------------------------------
// processes

export function getuid(): number { return C.getuid(); }
export function geteuid(): number { return C.geteuid(); }
export function getgid(): number { return C.getgid(); }
export function getpid(): number { return C.getpid(); }

export function kill(pid: number, sig: number): void {
  check(C.kill(pid, sig), "kill", () => `${pid}, ${sig}`);
}

export function pidfdOpen(pid: number, flags = 0): number {
  return check(Number(C.syscall(SYS_pidfd_open, pid, flags, 0, 0, 0)), "pidfd_open", () => `${pid}, ${flags}`);
}

export function pidfdSendSignal(pidfd: number, sig: number, flags = 0): void {
  check(Number(C.syscall(SYS_pidfd_send_signal, pidfd, sig, 0, flags, 0)), "pidfd_send_signal",
    () => `${pidfd}, ${sig}`);
}

export interface WaitResult {
  /** 0 when WNOHANG found nothing. */
  pid: number;
  /** CLD_EXITED, CLD_KILLED, … */
  code: number;
  /** Exit status for CLD_EXITED, signal number otherwise. */
  status: number;
}

/**
 * waitid(idtype, id, options). Blocks the JS thread unless WNOHANG is given; async callers
 * poll a pidfd for readability first (it becomes readable when the process exits).
 */
export function waitid(idtype: number, id: number, options: number): WaitResult {
  // siginfo_t is 128 bytes; for SIGCHLD: si_code @8, si_pid @16, si_uid @20, si_status @24.
  const si = new Uint8Array(128);
  checkRetry(() => C.waitid(idtype, id, si, options), "waitid", () => `${idtype}, ${id}, 0x${options.toString(16)}`);
  const dv = new DataView(si.buffer);
  return { pid: dv.getInt32(16, true), code: dv.getInt32(8, true), status: dv.getInt32(24, true) };
}

export function prctl(option: number, a2: number | bigint = 0, a3: number | bigint = 0, a4: number | bigint = 0, a5: number | bigint = 0): number {
  return check(C.prctl(option, BigInt(a2), BigInt(a3), BigInt(a4), BigInt(a5)), "prctl", () => `${option}, ${a2}`);
}

// ---------------------------------------------------------------------------------------------
// terminals

/** A new pty pair's master (O_RDWR|O_NOCTTY|O_CLOEXEC) and the slave's path (/dev/pts/N). */
export function openPty(): { master: number; slave: string } {
  const master = check(C.posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), "posix_openpt", () => "O_RDWR|O_NOCTTY");
  try {
    check(C.grantpt(master), "grantpt", () => `fd ${master}`);
    check(C.unlockpt(master), "unlockpt", () => `fd ${master}`);
    const name = new Uint8Array(128);
    // ptsname_r returns the error number directly instead of setting errno.
    const r = C.ptsname_r(master, name, name.byteLength);
    if (r !== 0) throw new SysError("ptsname_r", r, `fd ${master}`);
    return { master, slave: Buffer.from(name.subarray(0, name.indexOf(0))).toString() };
  } catch (e) {
    C.close(master);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// misc

/** if_nametoindex(); 0 when the device does not exist (in the calling thread's netns). */
export function ifNameToIndex(name: string): number {
  return C.if_nametoindex(cstr(name));
}

/** The open fds of this process (for leak checks). */
export function openFds(): number[] {
  return readdirSync("/proc/self/fd").map(Number).sort((a, b) => a - b);
}
