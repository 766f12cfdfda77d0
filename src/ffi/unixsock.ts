// Event-driven AF_UNIX stream sockets that can carry fds (owner: rpc; used by the daemon and
// the RPC client). Bun's socket reader drops SCM_RIGHTS data, so these sockets are read with
// recvmsg (fdpass.ts). To learn *when* to read without polling from JS, one native thread
// (TinyCC, compiled at first use) blocks in epoll_wait and hands each ready fd to the JS thread
// through a threadsafe JSCallback. Fds are registered EPOLLONESHOT: JS re-arms after draining,
// so the thread never spins on an fd JS has not read yet.

import { cc, dlopen, JSCallback } from "bun:ffi";
import { mkdtempSync, rmSync, writeFileSync, unlinkSync, chmodSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Errno, SysError, errno, AF_UNIX, SOCK_STREAM, SOCK_CLOEXEC, SOCK_NONBLOCK, socket, bindUnix, listen as libcListen, connectUnix, accept as libcAccept, setNonblock, closeQuiet, read as libcRead, write as libcWrite, poll as libcPoll, POLLIN } from "./libc.ts";
import { recvFds, sendFds } from "./fdpass.ts";

export const EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLONESHOT = 0x40000000;
const EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3, EPOLL_CLOEXEC = 0o2000000;

// struct epoll_event is packed on x86_64 (12 bytes), naturally aligned elsewhere (16 bytes).
const EV_SIZE = process.arch === "x64" ? 12 : 16;
const EV_DATA = process.arch === "x64" ? 4 : 8;

const WATCHER_C = `
typedef unsigned long pthread_t;
struct ev { unsigned int events; unsigned long long data; }${process.arch === "x64" ? " __attribute__((packed))" : ""};
int epoll_wait(int epfd, struct ev *evs, int max, int timeout);
int pthread_create(pthread_t *t, void *attr, void *(*fn)(void *), void *arg);
int pthread_detach(pthread_t t);
int *__errno_location(void);
typedef void (*notify_fn)(int fd, int events);
static int g_epfd; static notify_fn g_cb;
static void *loop(void *arg) {
  struct ev evs[64];
  for (;;) {
    int n = epoll_wait(g_epfd, evs, 64, -1);
    if (n < 0) { if (*__errno_location() == 4) continue; return 0; }
    for (int i = 0; i < n; i++) g_cb((int)evs[i].data, (int)evs[i].events);
  }
}
int watcher_start(int epfd, void *cb) {
  pthread_t t; g_epfd = epfd; g_cb = (notify_fn)cb;
  int r = pthread_create(&t, 0, loop, 0);
  if (r == 0) pthread_detach(t);
  return r;
}
`;

const ep = dlopen("libc.so.6", {
  epoll_create1: { args: ["i32"], returns: "i32" },
  epoll_ctl: { args: ["i32", "i32", "i32", "ptr"], returns: "i32" },
  fchmod: { args: ["i32", "u32"], returns: "i32" },
}).symbols;

type Handler = (events: number) => void;

/** The process-wide epoll set and its watcher thread. */
class Watcher {
  private epfd = -1;
  private handlers = new Map<number, Handler>();
  private cb: JSCallback | null = null;
  private lib: { close(): void } | null = null;
  /** Keeps the event loop alive while sockets are registered (the native thread does not). */
  private keepAlive: ReturnType<typeof setInterval> | null = null;

  private start() {
    if (this.epfd >= 0) return;
    this.epfd = ep.epoll_create1(EPOLL_CLOEXEC);
    if (this.epfd < 0) throw new SysError("epoll_create1", errno());
    // bun:ffi cc cannot read sources from a compiled executable's $bunfs: write a private copy.
    const dir = mkdtempSync(join(tmpdir(), "bunvirt-cc-"));
    const src = join(dir, "watcher.c");
    try {
      writeFileSync(src, WATCHER_C, { mode: 0o600 });
      const lib = cc({ source: src, library: ["c"], symbols: { watcher_start: { args: ["i32", "ptr"], returns: "i32" } } });
      this.lib = lib;
      this.cb = new JSCallback((fd: number, events: number) => this.dispatch(fd, events), {
        args: ["i32", "i32"],
        returns: "void",
        threadsafe: true,
      });
      const r = lib.symbols.watcher_start(this.epfd, this.cb.ptr);
      if (r !== 0) throw new SysError("pthread_create", r);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private dispatch(fd: number, events: number) {
    const h = this.handlers.get(fd);
    if (h) h(events);
  }

  private ctl(op: number, fd: number, events: number) {
    const ev = new Uint8Array(EV_SIZE);
    const dv = new DataView(ev.buffer);
    dv.setUint32(0, events, true);
    dv.setBigUint64(EV_DATA, BigInt(fd), true);
    if (ep.epoll_ctl(this.epfd, op, fd, ev) < 0) throw new SysError("epoll_ctl", errno(), `fd ${fd}`);
  }

  add(fd: number, events: number, h: Handler) {
    this.start();
    this.handlers.set(fd, h);
    this.ctl(EPOLL_CTL_ADD, fd, events | EPOLLONESHOT);
    if (!this.keepAlive) this.keepAlive = setInterval(() => {}, 1 << 30);
  }

  /** Re-arm a oneshot registration after its handler ran. */
  rearm(fd: number, events: number) {
    if (!this.handlers.has(fd)) return;
    this.ctl(EPOLL_CTL_MOD, fd, events | EPOLLONESHOT);
  }

  remove(fd: number) {
    if (!this.handlers.delete(fd)) return;
    if (ep.epoll_ctl(this.epfd, EPOLL_CTL_DEL, fd, null) < 0) {
      /* already closed or never armed: nothing to undo */
    }
    if (this.handlers.size === 0 && this.keepAlive) {
      clearInterval(this.keepAlive);
      this.keepAlive = null;
    }
  }
}

export const watcher = new Watcher();

/** A connected stream socket: delivers data+fds, queues writes (with fds) until writable. */
export class FdStream {
  private out: { data: Uint8Array; fds: number[]; close: boolean }[] = [];
  private closed = false;
  private wantWrite = false;
  onData: (data: Uint8Array, fds: number[]) => void = () => {};
  onClose: (err?: Error) => void = () => {};

  constructor(readonly fd: number) {
    setNonblock(fd, true);
    watcher.add(fd, EPOLLIN | EPOLLRDHUP, (ev) => this.ready(ev));
  }

  get isClosed() {
    return this.closed;
  }

  private ready(events: number) {
    if (this.closed) return;
    try {
      if (events & EPOLLOUT) this.flush();
      if (events & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        // drain what is queued now; stop at EAGAIN
        for (let i = 0; i < 64 && !this.closed; i++) {
          const r = recvFds(this.fd, { nonblock: true, maxData: 65536, maxFds: 32 });
          if (!r) break;
          if (r.data.length === 0 && r.fds.length === 0) return this.close();
          if (r.fds.length || r.data.length) this.onData(r.data, r.fds);
        }
      }
      if (!this.closed) watcher.rearm(this.fd, EPOLLIN | EPOLLRDHUP | (this.wantWrite ? EPOLLOUT : 0));
    } catch (e) {
      this.close(e as Error);
    }
  }

  /**
   * Queue `data` (and fds, each sent after it with one dummy byte, as libvirt does).
   * With `closeFds`, the fds are closed once sent (or when the stream dies unsent).
   */
  write(data: Uint8Array, fds: number[] = [], closeFds = false) {
    if (this.closed) {
      if (closeFds) for (const fd of fds) closeQuiet(fd);
      return;
    }
    this.out.push({ data, fds: [], close: false });
    for (const fd of fds) this.out.push({ data: new Uint8Array(1), fds: [fd], close: closeFds });
    try {
      this.flush();
    } catch (e) {
      this.close(e as Error);
    }
  }

  private flush() {
    while (this.out.length) {
      const head = this.out[0]!;
      let n: number;
      try {
        n = sendFds(this.fd, head.fds, head.data);
      } catch (e) {
        if (e instanceof SysError && (e.errno === Errno.EAGAIN || e.errno === Errno.EINTR)) break;
        throw e;
      }
      if (head.close) for (const fd of head.fds) closeQuiet(fd);
      if (n < head.data.length) {
        // a partial write: fds (if any) went with the first byte
        head.data = head.data.subarray(n);
        head.fds = [];
        break;
      }
      this.out.shift();
    }
    const want = this.out.length > 0;
    if (want !== this.wantWrite) {
      this.wantWrite = want;
      watcher.rearm(this.fd, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0));
    }
  }

  close(err?: Error) {
    if (this.closed) return;
    this.closed = true;
    watcher.remove(this.fd);
    closeQuiet(this.fd);
    for (const m of this.out) if (m.close) for (const fd of m.fds) closeQuiet(fd);
    this.out = [];
    this.onClose(err);
  }
}

/** A listening AF_UNIX socket at `path` (an existing stale socket file is replaced). */
export class UnixListener {
  readonly fd: number;
  private closed = false;
  constructor(
    readonly path: string,
    mode: number,
    onConn: (s: FdStream) => void,
  ) {
    try {
      unlinkSync(path);
    } catch {}
    this.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK);
    try {
      bindUnix(this.fd, path);
      chmodSync(path, mode);
      libcListen(this.fd, 512);
    } catch (e) {
      closeQuiet(this.fd);
      throw e;
    }
    watcher.add(this.fd, EPOLLIN, () => {
      if (this.closed) return;
      for (;;) {
        let c: number;
        try {
          c = libcAccept(this.fd);
        } catch (e) {
          // EMFILE and friends: log and retry on the next readiness
          console.error(`bunvirt: accept on ${path}: ${(e as Error).message}`);
          break;
        }
        if (c < 0) break;
        try {
          onConn(new FdStream(c));
        } catch (e) {
          console.error(`bunvirt: connection setup on ${path}: ${(e as Error).message}`);
          closeQuiet(c);
        }
      }
      watcher.rearm(this.fd, EPOLLIN);
    });
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    watcher.remove(this.fd);
    closeQuiet(this.fd);
    try {
      unlinkSync(this.path);
    } catch {}
  }
}

/** Connect to a listening AF_UNIX socket. */
/** Whether something listens on a UNIX socket path (a daemon killed with -9 leaves the file). */
export function unixListening(path: string): boolean {
  if (!existsSync(path)) return false;
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    connectUnix(fd, path);
    return true;
  } catch {
    return false;
  } finally {
    closeQuiet(fd);
  }
}

export function connectStream(path: string): FdStream {
  const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  try {
    connectUnix(fd, path);
  } catch (e) {
    closeQuiet(fd);
    throw e;
  }
  return new FdStream(fd);
}

/**
 * Event-driven reads from any fd (pty master, pipe, socket without fds): one read per
 * readiness, so the fd may stay blocking (its O_NONBLOCK flag is shared with whoever else
 * holds it). EOF and EIO (a pty whose other side went away) end the stream.
 */
export class FdReader {
  private closed = false;
  private buf = new Uint8Array(65536);
  constructor(
    readonly fd: number,
    private readonly onData: (data: Uint8Array) => void,
    private readonly onEnd: (err?: Error) => void,
  ) {
    watcher.add(fd, EPOLLIN | EPOLLRDHUP, () => this.ready());
  }

  private ready() {
    if (this.closed) return;
    // the fd may be blocking: confirm readiness (an event queued for a closed fd whose number
    // was reused must not block the JS thread in read)
    const pf = [{ fd: this.fd, events: POLLIN }];
    if (libcPoll(pf, 0) === 0) return watcher.rearm(this.fd, EPOLLIN | EPOLLRDHUP);
    let n: number;
    try {
      n = libcRead(this.fd, this.buf);
    } catch (e) {
      if (e instanceof SysError && e.errno === Errno.EAGAIN) return watcher.rearm(this.fd, EPOLLIN | EPOLLRDHUP);
      return this.end(e instanceof SysError && e.errno === Errno.EIO ? undefined : (e as Error));
    }
    if (n <= 0) return this.end();
    this.onData(this.buf.slice(0, n));
    if (!this.closed) watcher.rearm(this.fd, EPOLLIN | EPOLLRDHUP);
  }

  /** Write all of `data` (console input is small; a full pty buffer blocks briefly). */
  write(data: Uint8Array) {
    let off = 0;
    while (off < data.length && !this.closed) {
      try {
        off += libcWrite(this.fd, data.subarray(off));
      } catch (e) {
        if (e instanceof SysError && e.errno === Errno.EAGAIN) continue;
        return this.end(e as Error);
      }
    }
  }

  private end(err?: Error) {
    if (this.closed) return;
    this.close();
    this.onEnd(err);
  }

  /** Stop watching; the fd itself stays open (its owner closes it). */
  close() {
    if (this.closed) return;
    this.closed = true;
    watcher.remove(this.fd);
  }
}
