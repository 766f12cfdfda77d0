// The post-clone executor: TypeScript builds a Program of steps; executor.c (compiled at run
// time by bun:ffi `cc`, TinyCC) runs them in a forked child where no JavaScript may run, and
// reports "step N (<name>) failed: <errno>" through an O_CLOEXEC pipe, or nothing at all when
// every process of the program reached execve (EOF on the pipe) or exited.
//
// Why TinyCC at run time: bun:ffi can call functions but cannot run code after fork; the child
// must be native. The C text is embedded in the bundle and copied to a private 0600 file because
// `cc` cannot read the compiled executable's $bunfs, and it declares its own prototypes so it
// compiles on hosts without /usr/include.

import { cc, ptr } from "bun:ffi";
import { closeSync, mkdtempSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import source from "./executor.c" with { type: "text" };
import { errnoName } from "../errno.ts";
import { memfdCreate, strerror } from "../libc.ts";
import { VirError, ErrorCode, ErrorDomain } from "../../core/errors.ts";

const symbols = {
  bv_spawn: { args: ["ptr", "i32", "i32"], returns: "i32" },
  bv_call: { args: ["i32", "ptr", "i32", "i32", "i32"], returns: "i32" },
} as const;

// bv_call operation numbers (executor.c)
const CALL = { pipe: 1, close: 2, write: 3, read: 4, waitpid: 5, kill: 6, memfd: 7, openpty: 8, listen: 9, connect: 10, pidfd: 11, open: 12, pending: 13, pollIn: 14, bpfDevices: 15 } as const;
type Ptr = ReturnType<typeof ptr> | null;

type Symbols = ReturnType<typeof cc<typeof symbols>>["symbols"];
let compiled: Symbols | undefined;

/** The parent-side helpers with typed names over bv_call. */
export interface Native {
  bv_spawn(prog: ReturnType<typeof ptr>, len: number, reportW: number): number;
  bv_pipe(fds: ReturnType<typeof ptr>): number;
  bv_close(fd: number): number;
  bv_write(fd: number, buf: ReturnType<typeof ptr>, len: number): number;
  bv_read(fd: number, buf: ReturnType<typeof ptr>, len: number, timeoutMs: number): number;
  bv_waitpid(pid: number, nohang: number): number;
  bv_kill(pid: number, sig: number): number;
  bv_memfd(buf: ReturnType<typeof ptr>, len: number): number;
  bv_openpty(name: ReturnType<typeof ptr>, len: number): number;
  bv_unix_listen(path: ReturnType<typeof ptr>): number;
  bv_unix_connect(path: ReturnType<typeof ptr>): number;
  bv_pidfd_open(pid: number): number;
  bv_open(path: ReturnType<typeof ptr>, flags: number): number;
  bv_pending(fd: number): number;
  bv_poll_in(fd: number, timeoutMs: number): number;
  bv_bpf_devices(insns: ReturnType<typeof ptr>, count: number, cgroupFd: number): number;
}
let native: Native | undefined;

/** Compile executor.c once per process (TinyCC: a few ms). */
export function nativeExec(): Native {
  if (native) return native;
  const c = compileExecutor();
  // `| 0` everywhere: bun:ffi reads a double-typed JS number as 0 for an i32 argument
  const call = (op: number, p: Ptr, a = 0, b = 0, cc = 0) => c.bv_call(op, p as never, a | 0, b | 0, cc | 0);
  native = {
    bv_spawn: (prog, len, w) => c.bv_spawn(prog, len | 0, w | 0),
    bv_pipe: (fds) => call(CALL.pipe, fds),
    bv_close: (fd) => call(CALL.close, null, fd),
    bv_write: (fd, buf, len) => call(CALL.write, buf, fd, len),
    bv_read: (fd, buf, len, t) => call(CALL.read, buf, fd, len, t),
    bv_waitpid: (pid, nohang) => call(CALL.waitpid, null, pid, nohang),
    bv_kill: (pid, sig) => call(CALL.kill, null, pid, sig),
    bv_memfd: (buf, len) => call(CALL.memfd, buf, len),
    bv_openpty: (name, len) => call(CALL.openpty, name, len),
    bv_unix_listen: (path) => call(CALL.listen, path),
    bv_unix_connect: (path) => call(CALL.connect, path),
    bv_pidfd_open: (pid) => call(CALL.pidfd, null, pid),
    bv_open: (path, flags) => call(CALL.open, path, flags),
    bv_pending: (fd) => call(CALL.pending, null, fd),
    bv_poll_in: (fd, t) => call(CALL.pollIn, null, fd, t),
    bv_bpf_devices: (insns, n, fd) => call(CALL.bpfDevices, insns, n, fd),
  };
  return native;
}

function compileExecutor(): Symbols {
  if (compiled) return compiled;
  // The source goes to a private memfd (no temp file to create and remove on the start path:
  // ~0.5-1 ms on an ext4 /tmp); a private 0600 temp file where memfds are not available.
  let fd = -1;
  try {
    fd = memfdCreate("executor.c");
  } catch {}
  if (fd >= 0) {
    try {
      writeSync(fd, source);
      compiled = cc({ source: `/proc/self/fd/${fd}`, symbols }).symbols;
    } finally {
      closeSync(fd);
    }
    return compiled;
  }
  const dir = mkdtempSync(join(process.env.TMPDIR || tmpdir(), "bunvirt-exec-"));
  const file = join(dir, "executor.c");
  try {
    writeFileSync(file, source, { mode: 0o600 });
    compiled = cc({ source: file, symbols }).symbols;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return compiled;
}

/** A failed native call in the executor's helpers, with errno named. */
export class ExecError extends VirError {
  constructor(
    message: string,
    public readonly errno: number,
    public readonly step?: number,
    public readonly stepName?: string,
    /** the XML element the failed step comes from (e.g. /domain/os/init), if any */
    public readonly where?: string,
  ) {
    super(ErrorCode.SYSTEM_ERROR, ErrorDomain.NONE, message);
    this.name = "ExecError";
  }
}

/** "ENOENT (No such file or directory)" */
export function errnoText(errno: number): string {
  return `${errnoName(errno)} (${strerror(errno)})`;
}

function check(r: number, what: string): number {
  if (r < 0) throw new ExecError(`${what} failed: ${errnoText(-r)}`, -r);
  return r;
}

const cs = (s: string) => Buffer.from(s + "\0");

// ---------------------------------------------------------------------------------------------
// Program builder

export const Op = {
  EXIT: 1, CLONE: 2, REPORT_PID: 3, WAIT_FD: 4, MOUNT: 5, UMOUNT: 6, MKDIR: 7, MKNOD: 8,
  SYMLINK: 9, CHDIR: 10, CHROOT: 11, PIVOT_ROOT: 12, SETHOSTNAME: 13, DUP2: 14, CLOSE_RANGE: 15,
  CLOSE: 16, OPEN: 17, SETNS: 18, UNSHARE: 19, SETSID: 20, SETCTTY: 21, SETGROUPS: 22, SETGID: 23,
  SETUID: 24, CAPS: 25, NO_NEW_PRIVS: 26, WRITE_FILE: 27, EXECVE: 28, EXECVEAT: 29, SIGRESET: 30,
  PDEATHSIG: 31, WAIT_CHILD: 32, CHOWN: 33, UMASK: 34, SETDOMAINNAME: 35, WRITE_FD: 36,
  OPEN_TREE: 37, MOVE_MOUNT: 38,
} as const;

interface Step {
  op: number;
  name: string;
  a: bigint;
  b: bigint;
  c: bigint;
  s: (string | string[] | number[] | null)[];
  /** XML element the step comes from, named in its error */
  where?: string;
}

const REC = 48;

/** An argv/envp element replaced at run time by the pid of the program's last cloned child. */
export const CHILD_PID_ARG = "\x01PID";

/** A program of steps for the executor. Methods append one step each and return this. */
export class Program {
  readonly steps: Step[] = [];
  private where?: string;

  private add(op: number, name: string, a: number | bigint = 0, b: number | bigint = 0, c: number | bigint = 0, s: Step["s"] = []): this {
    this.steps.push({ op, name, a: BigInt(a), b: BigInt(b), c: BigInt(c), s, ...(this.where ? { where: this.where } : {}) });
    return this;
  }

  /** Steps added inside `fn` come from XML element `where` (their errors name it). */
  from(where: string | undefined, fn: () => void): this {
    const prev = this.where;
    this.where = where;
    try {
      fn();
    } finally {
      this.where = prev;
    }
    return this;
  }

  get length(): number {
    return this.steps.length;
  }

  exit(code: number) { return this.add(Op.EXIT, `exit ${code}`, code); }
  /** Fork (with namespace flags); the child continues at the label bound later by `child(i)`.
   * Returns the index to pass to `child`. */
  clone(flags: number, name = "clone"): number {
    this.add(Op.CLONE, name, flags);
    return this.steps.length - 1;
  }
  /** The child of clone step `i` starts here. */
  child(i: number): this {
    this.steps[i]!.b = BigInt(this.steps.length);
    return this;
  }
  /** Report the pid of the last cloned child (self=false) or of this process. */
  reportPid(self = false) { return this.add(Op.REPORT_PID, self ? "report own pid" : "report child pid", self ? 1 : 0); }
  /** Block until one byte arrives on fd (exit quietly on EOF: the parent gave up). */
  waitFd(fd: number) { return this.add(Op.WAIT_FD, `wait for parent on fd ${fd}`, fd); }
  writeFd(fd: number) { return this.add(Op.WRITE_FD, `signal fd ${fd}`, fd); }
  mount(src: string | null, target: string, fstype: string | null, flags: number, data: string | null = null, name?: string) {
    return this.add(Op.MOUNT, name ?? `mount ${fstype ?? src ?? "none"} on ${target}`, flags, 0, 0, [src, target, fstype, data]);
  }
  umount(target: string, flags = 0) { return this.add(Op.UMOUNT, `umount ${target}`, flags, 0, 0, [target]); }
  mkdir(path: string, mode = 0o755) { return this.add(Op.MKDIR, `mkdir ${path}`, mode, 0, 0, [path]); }
  /** mknod; dev is the kernel's encoded dev_t (makedev). okIfExists tolerates EEXIST. */
  mknod(path: string, mode: number, dev: bigint, okIfExists = false) {
    return this.add(Op.MKNOD, `mknod ${path}`, mode, dev, okIfExists ? 1 : 0, [path]);
  }
  symlink(target: string, link: string) { return this.add(Op.SYMLINK, `symlink ${link} -> ${target}`, 0, 0, 0, [target, link]); }
  chdir(path: string) { return this.add(Op.CHDIR, `chdir ${path}`, 0, 0, 0, [path]); }
  chroot(path: string) { return this.add(Op.CHROOT, `chroot ${path}`, 0, 0, 0, [path]); }
  pivotRoot(newRoot: string, putOld: string) { return this.add(Op.PIVOT_ROOT, `pivot_root ${newRoot}`, 0, 0, 0, [newRoot, putOld]); }
  sethostname(name: string) { return this.add(Op.SETHOSTNAME, `sethostname ${name}`, 0, 0, 0, [name]); }
  /** dup3(a, b); when a == b only toggles FD_CLOEXEC. */
  dup2(from: number, to: number, cloexec = false) { return this.add(Op.DUP2, `dup2 ${from} to ${to}`, from, to, cloexec ? 1 : 0); }
  /** close_range(first, last); the executor's own report pipe is kept. */
  closeRange(first: number, last = 0xffffffff) { return this.add(Op.CLOSE_RANGE, `close fds from ${first}`, first, last); }
  close(fd: number) { return this.add(Op.CLOSE, `close ${fd}`, fd); }
  /** open(path, flags, mode); place at fd `to` (-1: leave where it landed, -2: close at once). */
  open(path: string, flags: number, mode = 0, to = -1) { return this.add(Op.OPEN, `open ${path}`, flags, mode, to, [path]); }
  setns(fd: number, nstype: number, name?: string) { return this.add(Op.SETNS, name ?? `setns fd ${fd}`, fd, nstype); }
  unshare(flags: number) { return this.add(Op.UNSHARE, `unshare 0x${flags.toString(16)}`, flags); }
  setsid() { return this.add(Op.SETSID, "setsid"); }
  setctty(fd: number) { return this.add(Op.SETCTTY, `set controlling tty fd ${fd}`, fd); }
  setgroups(gids: number[]) { return this.add(Op.SETGROUPS, `setgroups ${gids.join(",")}`, gids.length, 0, 0, [gids]); }
  setgid(gid: number) { return this.add(Op.SETGID, `setgid ${gid}`, gid); }
  setuid(uid: number) { return this.add(Op.SETUID, `setuid ${uid}`, uid); }
  /** Keep only these capability numbers (bounding, permitted, effective, inheritable). */
  caps(keep: number[]) {
    let m = 0n;
    for (const c of keep) m |= 1n << BigInt(c);
    return this.add(Op.CAPS, "drop capabilities", m);
  }
  noNewPrivs() { return this.add(Op.NO_NEW_PRIVS, "no_new_privs"); }
  writeFile(path: string, data: string, flags = 0) { return this.add(Op.WRITE_FILE, `write ${path}`, flags, 0, 0, [path, data]); }
  /** execve; orNext: on ENOENT/ENOTDIR continue with the next step (a PATH search). */
  execve(path: string, argv: string[], envp: string[], orNext = false) { return this.add(Op.EXECVE, `execve ${path}`, 0, 0, orNext ? 1 : 0, [path, argv, envp]); }
  execveat(fd: number, argv: string[], envp: string[], name = "execveat") { return this.add(Op.EXECVEAT, name, fd, 0, 0, [null, argv, envp]); }
  sigreset() { return this.add(Op.SIGRESET, "reset signals"); }
  pdeathsig(sig: number) { return this.add(Op.PDEATHSIG, `parent-death signal ${sig}`, sig); }
  /** Wait for the last cloned child, report its wait status, and exit. */
  waitChild() { return this.add(Op.WAIT_CHILD, "wait for child"); }
  chown(path: string, uid: number, gid: number) { return this.add(Op.CHOWN, `chown ${path}`, uid, gid, 0, [path]); }
  /** open_tree(OPEN_TREE_CLONE): keep a detached bind of `path` at fd `to` for moveMount. */
  openTree(path: string, to: number) { return this.add(Op.OPEN_TREE, `clone mount of ${path}`, to, 0, 0, [path]); }
  /** move_mount a tree from openTree onto target. */
  moveMount(fd: number, target: string, name?: string) { return this.add(Op.MOVE_MOUNT, name ?? `attach mount on ${target}`, fd, 0, 0, [target]); }
  umask(mask: number) { return this.add(Op.UMASK, `umask ${mask.toString(8)}`, mask); }

  /** Encode for executor.c (see its header comment for the layout). */
  encode(): Buffer {
    const strs: Buffer[] = [];
    let off = 8 + this.steps.length * REC;
    const intern = (b: Buffer): number => {
      const at = off;
      strs.push(b);
      off += b.length;
      const pad = (4 - (off % 4)) % 4; // keep u32 lists aligned
      if (pad) {
        strs.push(Buffer.alloc(pad));
        off += pad;
      }
      return at;
    };
    const head = Buffer.alloc(8 + this.steps.length * REC);
    head.writeUInt32LE(0x31585642, 0);
    head.writeUInt32LE(this.steps.length, 4);
    this.steps.forEach((st, i) => {
      const o = 8 + i * REC;
      head.writeUInt32LE(st.op, o);
      head.writeBigInt64LE(st.a, o + 8);
      head.writeBigInt64LE(st.b, o + 16);
      head.writeBigInt64LE(st.c, o + 24);
      st.s.forEach((v, j) => {
        let at = 0;
        if (typeof v === "string") at = intern(cs(v));
        else if (Array.isArray(v) && st.op === Op.SETGROUPS) {
          const b = Buffer.alloc(4 * v.length);
          (v as number[]).forEach((g, k) => b.writeUInt32LE(g, 4 * k));
          at = v.length ? intern(b) : 0;
        } else if (Array.isArray(v)) {
          const offs = (v as string[]).map((s) => intern(cs(s)));
          const b = Buffer.alloc(4 + 4 * offs.length);
          b.writeUInt32LE(offs.length, 0);
          offs.forEach((x, k) => b.writeUInt32LE(x, 4 + 4 * k));
          at = intern(b);
        }
        head.writeUInt32LE(at, o + 32 + 4 * j);
      });
    });
    return Buffer.concat([head, ...strs]);
  }
}

// ---------------------------------------------------------------------------------------------
// Running a program

export interface Report {
  type: "pid" | "status";
  step: number;
  value: number;
}

/** A running program: its first process's pid and the report pipe. */
export class Spawned {
  private buf = Buffer.alloc(12 * 64);
  private done = false;
  constructor(
    readonly program: Program,
    readonly pid: number,
    private fd: number,
  ) {}

  /** Next report: a pid/status record, or null at EOF (every process exec'd or exited).
   * Throws ExecError when a step failed. */
  next(timeoutMs = 10_000): Report | null {
    if (this.done) return null;
    const n = nativeExec();
    let got = 0;
    while (got < 12) {
      const r = n.bv_read(this.fd, ptr(this.buf, got), 12 - got, Math.round(timeoutMs) | 0);
      if (r === -11) {
        this.close();
        throw new ExecError(`executor: no report within ${timeoutMs} ms`, 110);
      }
      if (r < 0) {
        this.close();
        throw new ExecError(`executor: reading the report pipe failed: ${errnoText(-r)}`, -r);
      }
      if (r === 0) {
        this.close();
        if (got) throw new ExecError("executor: truncated report", 5);
        return null;
      }
      got += r;
    }
    const type = this.buf.readUInt32LE(0), step = this.buf.readUInt32LE(4), value = this.buf.readInt32LE(8);
    if (type === 2) {
      this.close();
      const st = this.program.steps[step];
      const name = st?.name ?? "?";
      const msg = `step ${step} (${name}) failed: ${errnoText(value)}`;
      throw new ExecError(st?.where ? `${st.where}: ${msg}` : msg, value, step, name, st?.where);
    }
    return { type: type === 1 ? "pid" : "status", step, value };
  }

  /** Like next() without blocking the event loop: polls the pipe between short sleeps. */
  async nextAsync(timeoutMs = 10_000): Promise<Report | null> {
    const deadline = Date.now() + timeoutMs;
    for (let wait = 1; ; wait = Math.min(wait * 2, 20)) {
      if (this.done) return null;
      const ready = nativeExec().bv_poll_in(this.fd | 0, 0);
      if (ready !== 0) return this.next(1000);
      if (Date.now() > deadline) {
        this.close();
        throw new ExecError(`executor: no report within ${timeoutMs} ms`, 110);
      }
      await Bun.sleep(wait);
    }
  }

  /** Read reports until EOF; returns them (throws on a failed step). */
  drain(timeoutMs = 10_000): Report[] {
    const out: Report[] = [];
    for (let r = this.next(timeoutMs); r; r = this.next(timeoutMs)) out.push(r);
    return out;
  }

  close(): void {
    if (!this.done) {
      this.done = true;
      nativeExec().bv_close(this.fd);
    }
  }
}

/** Fork a child that runs `program`. The caller reaps `pid` (waitpid) and reads reports. */
export function spawnProgram(program: Program): Spawned {
  const n = nativeExec();
  const enc = program.encode();
  const fds = new Int32Array(2);
  check(n.bv_pipe(ptr(fds)), "pipe2");
  const pid = n.bv_spawn(ptr(enc), enc.length, fds[1]!);
  n.bv_close(fds[1]!);
  if (pid < 0) {
    n.bv_close(fds[0]!);
    throw new ExecError(`clone failed: ${errnoText(-pid)}`, -pid);
  }
  return new Spawned(program, pid, fds[0]!);
}

/** Wait status decoding, as the shell does: exit code, or 128+signal. */
export function decodeWaitStatus(st: number): { code?: number; signal?: number; shellStatus: number } {
  const sig = st & 0x7f;
  if (sig === 0) return { code: (st >> 8) & 0xff, shellStatus: (st >> 8) & 0xff };
  return { signal: sig, shellStatus: 128 + sig };
}

/** Blocking waitpid (returns the raw status); nohang returns null if still running. */
export function waitPid(pid: number, nohang = false): number | null {
  const r = nativeExec().bv_waitpid(pid | 0, nohang ? 1 : 0);
  if (r === -11) return null;
  return check(r, `waitpid(${pid})`);
}

/** Run a program whose processes all exit or exec quickly (e.g. the enter-namespace relay). */
export function runProgram(program: Program, timeoutMs = 10_000): { reports: Report[]; status: number } {
  const sp = spawnProgram(program);
  try {
    const reports = sp.drain(timeoutMs);
    return { reports, status: waitPid(sp.pid)! };
  } catch (e) {
    nativeExec().bv_kill(sp.pid, 9);
    waitPid(sp.pid);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// small helpers the drivers need around the executor

export function pipe(): [number, number] {
  const fds = new Int32Array(2);
  check(nativeExec().bv_pipe(ptr(fds)), "pipe2");
  return [fds[0]!, fds[1]!];
}
export function closeFd(fd: number): void {
  nativeExec().bv_close(fd);
}
export function writeFd(fd: number, data: Uint8Array | string): number {
  const b = typeof data === "string" ? Buffer.from(data) : data;
  return check(nativeExec().bv_write(fd, ptr(b), b.length), "write");
}
/** Read with a poll timeout; "" on EOF; null on timeout. */
export function readFd(fd: number, max: number, timeoutMs: number): Buffer | null {
  const b = Buffer.alloc(max);
  // `| 0`: bun:ffi reads a double-typed JS number (e.g. from Date arithmetic) as 0 for an i32
  const r = nativeExec().bv_read(fd | 0, ptr(b), max | 0, Math.max(0, Math.round(timeoutMs)) | 0);
  if (r === -11) return null;
  check(r, "read");
  return b.subarray(0, r);
}
export function killPid(pid: number, sig: number): boolean {
  return nativeExec().bv_kill(pid | 0, sig | 0) === 0;
}
export function memfdWith(bytes: Uint8Array): number {
  return check(nativeExec().bv_memfd(ptr(bytes), bytes.length), "memfd_create");
}
export function openPty(): { master: number; slave: string } {
  const name = Buffer.alloc(128);
  const fd = check(nativeExec().bv_openpty(ptr(name), name.length), "open /dev/ptmx");
  return { master: fd, slave: name.toString("utf8", 0, name.indexOf(0)) };
}
export function unixListen(path: string): number {
  return check(nativeExec().bv_unix_listen(ptr(cs(path))), `listen on ${path}`);
}
/** Connect to a unix socket; null when nobody listens (ENOENT/ECONNREFUSED). */
export function unixConnect(path: string): number | null {
  const r = nativeExec().bv_unix_connect(ptr(cs(path)));
  if (r === -2 || r === -111) return null;
  return check(r, `connect to ${path}`);
}
export function openFd(path: string, flags = 0): number {
  return check(nativeExec().bv_open(ptr(cs(path)), flags), `open ${path}`);
}
/** Bytes not yet read on a socket/pipe (FIONREAD); -1 if the fd is gone. */
export function pendingBytes(fd: number): number {
  const r = nativeExec().bv_pending(fd);
  return r < 0 ? -1 : r;
}
export function pidfdOpen(pid: number): number | null {
  const r = nativeExec().bv_pidfd_open(pid);
  return r < 0 ? null : r;
}

/** Wait until `pid` (not necessarily our child) has exited; false on timeout. */
export function waitGone(pid: number, timeoutMs: number): boolean {
  const fd = pidfdOpen(pid);
  if (fd === null) return true; // already gone (ESRCH)
  try {
    return nativeExec().bv_poll_in(fd | 0, Math.max(0, Math.round(timeoutMs)) | 0) > 0;
  } finally {
    closeFd(fd);
  }
}
