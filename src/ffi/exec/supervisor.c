/* bunvirt per-container supervisor.
 *
 * One per running container, instead of a Bun process (tens of MiB): it is the parent of the
 * container's init, reaps it, records its exit status, holds the console pty master and relays it
 * to console clients, and keeps the container alive when the CLI or the daemon exits. It is built
 * freestanding (no libc: raw syscalls, -nostdlib -static -Os) so a running copy costs a few pages;
 * bunvirt embeds the ELF and starts it with execveat() on a memfd in the process that cloned init,
 * so init is its child.
 *
 * argv: supervisor INIT_PID SOCKET_PATH STATUS_PATH [CGROUP_DIR...]
 * fds:  3 = listening unix socket (at SOCKET_PATH), 4 = console pty master, 5 = its slave (held
 *       so the master never sees a hangup while the container has not opened it yet or has
 *       closed it, which would lose output and make poll spin)
 *
 * Socket protocol: a client sends command bytes:
 *   'S'      reply "run PID\n" or "exit STATUS\n" (STATUS = raw wait status) and close
 *   'W'      wait: when init has exited, reply "exit STATUS\n" and close
 *   'K' SIG  send signal SIG (one byte) to init
 *   'C'      become the console client: receive buffered then live output, input goes to the pty
 * At init's exit the supervisor drains the pty, writes STATUS_PATH ("STATUS\n"), removes the
 * cgroup directories (empty once the pid namespace is gone), answers waiters and exits. Output
 * that no console client has seen yet keeps it around for up to LINGER_MS so `run` can collect it.
 */

typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned long long u64;

#if defined(__x86_64__)
#define SYS_read 0
#define SYS_write 1
#define SYS_close 3
#define SYS_stat 4
#define SYS_fstat 5
#define SYS_poll 7
#define SYS_rt_sigaction 13
#define SYS_rt_sigprocmask 14
#define SYS_accept4 288
#define SYS_shutdown 48
#define SYS_kill 62
#define SYS_wait4 61
#define SYS_fcntl 72
#define SYS_rename 82
#define SYS_rmdir 84
#define SYS_unlink 87
#define SYS_exit_group 231
#define SYS_signalfd4 289
#define SYS_open 2
#define SYS_nanosleep 35
#define SYS_clock_gettime 228
static long sc(long n, long a, long b, long c, long d) {
  long ret;
  register long r10 __asm__("r10") = d;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call cmain\n hlt\n");
#elif defined(__aarch64__)
#define SYS_read 63
#define SYS_write 64
#define SYS_close 57
#define SYS_fstat 80
#define SYS_rt_sigaction 134
#define SYS_rt_sigprocmask 135
#define SYS_accept4 242
#define SYS_shutdown 210
#define SYS_kill 129
#define SYS_wait4 260
#define SYS_fcntl 25
#define SYS_exit_group 94
#define SYS_signalfd4 74
#define SYS_nanosleep 101
#define SYS_clock_gettime 113
#define SYS_ppoll 73
#define SYS_unlinkat 35
#define SYS_renameat 38
#define SYS_openat 56
#define SYS_newfstatat 79
static long sc(long n, long a, long b, long c, long d) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3) : "memory");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x0, sp\n bl cmain\n");
#else
#error "unsupported architecture"
#endif

/* gcc may emit calls to these even when freestanding */
void *memset(void *d, int c, size_t n) { unsigned char *p = d; while (n--) *p++ = (unsigned char)c; return d; }
void *memcpy(void *d, const void *s, size_t n) { unsigned char *p = d; const unsigned char *q = s; while (n--) *p++ = *q++; return d; }

#define EINTR 4
#define EAGAIN 11
#define EBUSY 16
#define O_WRONLY 1
#define O_CREAT 0100
#define O_TRUNC 01000
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define F_GETFL 3
#define F_SETFL 4
#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGKILL 9
#define SIGPIPE 13
#define SIGTERM 15
#define SIGCHLD 17
#define WNOHANG 1
#define MSG_NOSIGNAL 0x4000
#define AT_FDCWD -100

#define LISTEN_FD 3
#define PTY_FD 4
#define MAXCLI 16
#define RING 65536
#define LINGER_MS 3000

struct pollfd { int fd; short events; short revents; };
struct timespec { long sec; long nsec; };

static void sys_exit(int code) { for (;;) sc(SYS_exit_group, code, 0, 0, 0); }
static long xread(int fd, void *b, size_t n) { long r; do r = sc(SYS_read, fd, (long)b, (long)n, 0); while (r == -EINTR); return r; }
static void xclose(int fd) { sc(SYS_close, fd, 0, 0, 0); }
static int xpoll(struct pollfd *p, int n, int ms) {
#if defined(SYS_poll)
  return (int)sc(SYS_poll, (long)p, n, ms, 0);
#else
  struct timespec ts; ts.sec = ms / 1000; ts.nsec = (ms % 1000) * 1000000L;
  return (int)sc(SYS_ppoll, (long)p, n, ms < 0 ? 0 : (long)&ts, 0);
#endif
}
static long xopen(const char *p, int fl, int mode) {
#if defined(SYS_open)
  return sc(SYS_open, (long)p, fl, mode, 0);
#else
  return sc(SYS_openat, AT_FDCWD, (long)p, fl, mode);
#endif
}
static long xunlink(const char *p) {
#if defined(SYS_unlink)
  return sc(SYS_unlink, (long)p, 0, 0, 0);
#else
  return sc(SYS_unlinkat, AT_FDCWD, (long)p, 0, 0);
#endif
}
static long xrmdir(const char *p) {
#if defined(SYS_rmdir)
  return sc(SYS_rmdir, (long)p, 0, 0, 0);
#else
  return sc(SYS_unlinkat, AT_FDCWD, (long)p, 0x200 /* AT_REMOVEDIR */, 0);
#endif
}
static long xrename(const char *a, const char *b) {
#if defined(SYS_rename)
  return sc(SYS_rename, (long)a, (long)b, 0, 0);
#else
  return sc(SYS_renameat, AT_FDCWD, (long)a, AT_FDCWD, (long)b);
#endif
}
static long xstat_ino(const char *p, u64 *dev, u64 *ino) {
  u64 st[18];
#if defined(SYS_stat)
  long r = sc(SYS_stat, (long)p, (long)st, 0, 0);
#else
  long r = sc(SYS_newfstatat, AT_FDCWD, (long)p, (long)st, 0);
#endif
  *dev = st[0]; *ino = st[1];
  return r;
}
static long now_ms(void) {
  struct timespec ts;
  sc(SYS_clock_gettime, 1 /* CLOCK_MONOTONIC */, (long)&ts, 0, 0);
  return ts.sec * 1000 + ts.nsec / 1000000;
}
static void sleep_ms(long ms) {
  struct timespec ts; ts.sec = 0; ts.nsec = ms * 1000000L;
  sc(SYS_nanosleep, (long)&ts, 0, 0, 0);
}

/* write all, blocking; returns 0 or -1 (peer gone) */
static int wall(int fd, const char *b, size_t n, int sock) {
  (void)sock;
  while (n) {
    long r = sc(SYS_write, fd, (long)b, (long)n, 0);
    if (r == -EINTR) continue;
    if (r == -EAGAIN) { struct pollfd p; p.fd = fd; p.events = POLLOUT; p.revents = 0; xpoll(&p, 1, 1000); continue; }
    if (r <= 0) return -1;
    b += r; n -= (size_t)r;
  }
  return 0;
}

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static int atoi_(const char *s) { int n = 0; while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0'); return n; }
static char *utoa(char *p, unsigned long v) {
  char t[24]; int i = 0;
  do t[i++] = (char)('0' + v % 10); while (v /= 10);
  while (i) *p++ = t[--i];
  return p;
}

static char ring[RING];
static size_t ring_start, ring_len; /* undelivered console output */

static void ring_put(const char *b, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    size_t at = (ring_start + ring_len) % RING;
    ring[at] = b[i];
    if (ring_len < RING) ring_len++;
    else ring_start = (ring_start + 1) % RING; /* full: drop the oldest byte */
  }
}

enum { CL_NONE, CL_CMD, CL_WAIT, CL_CONSOLE };
static int cfd[MAXCLI];
static int ckind[MAXCLI];
static int cpend[MAXCLI]; /* 'K' waiting for its signal byte */

static int init_pid;
static int exited = 0;
static int wstatus = 0;
static int console = -1; /* index of the console client */
static int pty = PTY_FD;
static int killed = 0;

static void drop(int i) {
  if (cfd[i] >= 0) xclose(cfd[i]);
  cfd[i] = -1; ckind[i] = CL_NONE; cpend[i] = 0;
  if (console == i) console = -1;
}

static void reply_status(int i) {
  char b[40], *p = b;
  if (exited) {
    const char *w = "exit ";
    while (*w) *p++ = *w++;
    p = utoa(p, (unsigned long)wstatus);
  } else {
    const char *w = "run ";
    while (*w) *p++ = *w++;
    p = utoa(p, (unsigned long)init_pid);
  }
  *p++ = '\n';
  wall(cfd[i], b, (size_t)(p - b), 1);
}

static void flush_ring(void) {
  if (console < 0) return;
  while (ring_len) {
    size_t n = ring_len;
    if (ring_start + n > RING) n = RING - ring_start;
    if (wall(cfd[console], ring + ring_start, n, 1) < 0) { drop(console); return; }
    ring_start = (ring_start + n) % RING;
    ring_len -= n;
  }
}

static void console_out(const char *b, size_t n) {
  if (console >= 0 && ring_len == 0) {
    if (wall(cfd[console], b, n, 1) == 0) return;
    drop(console);
  }
  ring_put(b, n);
  flush_ring();
}

/* Read what the pty has; returns 0 when it would block, -1 at hangup (no slave left). */
static int pump_pty(void) {
  char b[4096];
  for (;;) {
    long r = xread(pty, b, sizeof b);
    if (r == -EAGAIN) return 0;
    if (r <= 0) return -1;
    console_out(b, (size_t)r);
  }
}

static void on_client_bytes(int i) {
  char b[4096];
  long r = xread(cfd[i], b, sizeof b);
  long k;
  if (r == -EAGAIN) return;
  if (r <= 0) { drop(i); return; }
  if (ckind[i] == CL_CONSOLE) {
    if (pty >= 0) wall(pty, b, (size_t)r, 0);
    return;
  }
  for (k = 0; k < r; k++) {
    char c = b[k];
    if (cpend[i]) {
      cpend[i] = 0;
      if (!exited) sc(SYS_kill, init_pid, (unsigned char)c, 0, 0);
      killed = 1; /* stopped on request: nobody will come for leftover output */
      continue;
    }
    if (c == 'S') { reply_status(i); drop(i); return; }
    if (c == 'K') { cpend[i] = 1; continue; }
    if (c == 'W') {
      if (exited) { reply_status(i); drop(i); return; }
      ckind[i] = CL_WAIT;
      continue;
    }
    if (c == 'C') {
      if (console >= 0) drop(console); /* one console session: the newest wins */
      ckind[i] = CL_CONSOLE;
      console = i;
      flush_ring();
      if (console == i && k + 1 < r && pty >= 0) wall(pty, b + k + 1, (size_t)(r - k - 1), 0);
      return;
    }
  }
}

static void accept_clients(void) {
  for (;;) {
    int fd = (int)sc(SYS_accept4, LISTEN_FD, 0, 0, O_CLOEXEC | O_NONBLOCK);
    int i;
    if (fd < 0) return;
    for (i = 0; i < MAXCLI; i++) if (cfd[i] < 0) break;
    if (i == MAXCLI) { xclose(fd); continue; }
    cfd[i] = fd; ckind[i] = CL_CMD; cpend[i] = 0;
  }
}

static void reap(void) {
  for (;;) {
    int st = 0;
    long r = sc(SYS_wait4, -1, (long)&st, WNOHANG, 0);
    if (r <= 0) return;
    if (r == init_pid && !exited) { exited = 1; wstatus = st & 0xffff; }
  }
}

static void write_status(const char *path) {
  char tmp[4200], b[24], *p = b;
  size_t n = slen(path), i;
  long fd;
  if (n + 5 >= sizeof tmp) return;
  for (i = 0; i < n; i++) tmp[i] = path[i];
  tmp[n] = '.'; tmp[n + 1] = 't'; tmp[n + 2] = 'm'; tmp[n + 3] = 'p'; tmp[n + 4] = 0;
  p = utoa(p, (unsigned long)wstatus);
  *p++ = '\n';
  fd = xopen(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  wall((int)fd, b, (size_t)(p - b), 0);
  xclose((int)fd);
  xrename(tmp, path);
}

void cmain(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  u64 mask, sa[4];
  int sfd, i, listen_open = 1, any_console = 0;
  long deadline = 0;
  u64 ldev = 0, lino = 0;

  if (argc < 4) sys_exit(2);
  init_pid = atoi_(argv[1]);
  for (i = 0; i < MAXCLI; i++) { cfd[i] = -1; ckind[i] = CL_NONE; cpend[i] = 0; }

  /* SIGPIPE ignored: a console client may vanish mid-write */
  sa[0] = 1 /* SIG_IGN */; sa[1] = 0; sa[2] = 0; sa[3] = 0;
  sc(SYS_rt_sigaction, SIGPIPE, (long)sa, 0, 8);
  mask = (1ULL << (SIGCHLD - 1)) | (1ULL << (SIGTERM - 1)) | (1ULL << (SIGINT - 1)) | (1ULL << (SIGHUP - 1)) | (1ULL << (SIGQUIT - 1));
  sc(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&mask, 0, 8);
  sfd = (int)sc(SYS_signalfd4, -1, (long)&mask, 8, O_CLOEXEC | O_NONBLOCK);
  if (sfd < 0) sys_exit(3);
  sc(SYS_fcntl, LISTEN_FD, F_SETFL, O_NONBLOCK, 0);
  sc(SYS_fcntl, PTY_FD, F_SETFL, O_NONBLOCK, 0);
  /* remember which file is our socket (fstat of a socket fd gives the sockfs inode, not the
   * path's): the driver bound it just before starting us */
  xstat_ino(argv[2], &ldev, &lino);
  reap(); /* init may have died before we got here */

  for (;;) {
    struct pollfd p[3 + MAXCLI];
    int idx[3 + MAXCLI];
    int np = 0, r, timeout = -1;

    if (exited) {
      if (pty >= 0) { pump_pty(); xclose(pty); pty = -1; }
      if (!deadline) {
        write_status(argv[3]);
        for (i = 4; i < argc; i++) {
          int tries;
          for (tries = 0; tries < 100 && xrmdir(argv[i]) == -EBUSY; tries++) sleep_ms(2);
        }
        /* console first: a client that sees the exit status has all the output already */
        if (console >= 0) { flush_ring(); drop(console); }
        for (i = 0; i < MAXCLI; i++) if (ckind[i] == CL_WAIT) { reply_status(i); drop(i); }
        deadline = now_ms() + (ring_len && !any_console && !killed ? LINGER_MS : 0);
      }
      if (console >= 0) { flush_ring(); drop(console); }
      if (!ring_len || now_ms() >= deadline) break;
      timeout = (int)(deadline - now_ms());
    }

    p[np].fd = sfd; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = -1;
    if (listen_open) { p[np].fd = LISTEN_FD; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = -2; }
    if (pty >= 0) { p[np].fd = pty; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = -3; }
    for (i = 0; i < MAXCLI; i++) if (cfd[i] >= 0) { p[np].fd = cfd[i]; p[np].events = POLLIN; p[np].revents = 0; idx[np++] = i; }

    r = xpoll(p, np, timeout);
    if (r < 0 && r != -EINTR) sys_exit(4);
    for (i = 0; i < np && r > 0; i++) {
      if (!p[i].revents) continue;
      if (idx[i] == -1) {
        char si[128 * 4];
        while (xread(sfd, si, sizeof si) > 0) {}
        reap();
      } else if (idx[i] == -2) {
        accept_clients();
      } else if (idx[i] == -3) {
        if (pump_pty() < 0) { xclose(pty); pty = -1; }
      } else {
        int c = idx[i];
        if (cfd[c] < 0) continue;
        on_client_bytes(c);
        if (console == c) any_console = 1;
      }
    }
  }

  /* Unlink our socket only if the path is still ours (a new start may have replaced it). */
  {
    u64 d = 0, n = 0;
    if (xstat_ino(argv[2], &d, &n) == 0 && d == ldev && n == lino) xunlink(argv[2]);
  }
  sys_exit(0);
}
