/* bunvirt post-clone executor.
 *
 * TypeScript (program.ts) encodes a program of steps; this file runs it in a child created by
 * clone, where no JavaScript may run (JSC's threads do not exist after fork) and where setns into
 * mount/user namespaces works because the child is single-threaded. Policy lives in TypeScript;
 * this file is only mechanism.
 *
 * Compiled at run time by bun:ffi `cc` (TinyCC) from a private copy of this text, so it must not
 * include any system header: the few prototypes and constants it needs are declared here.
 *
 * Program layout (little endian):
 *   u32 magic 'BVX1', u32 nsteps, then nsteps records of 48 bytes:
 *   u32 op, u32 pad, i64 a, i64 b, i64 c, u32 s0, u32 s1, u32 s2, u32 s3
 *   s* are byte offsets of NUL-terminated strings (0 = NULL). A string list is at an offset:
 *   u32 count, then count u32 string offsets.
 *
 * Report records written to the report pipe (O_CLOEXEC, so a successful execve closes it):
 *   u32 type (1 = pid, 2 = error, 3 = exit status), u32 step, i32 value
 * The parent learns success from EOF after all writers exec'd or exited.
 */

typedef unsigned long size_t;
typedef long ssize_t;
typedef unsigned int u32;
typedef int i32;
typedef long long i64;
typedef unsigned long long u64;

extern long syscall(long number, ...);
extern int *__errno_location(void);
extern ssize_t read(int fd, void *buf, size_t n);
extern ssize_t write(int fd, const void *buf, size_t n);
extern int close(int fd);
extern int open(const char *path, int flags, ...);
extern int dup2(int a, int b);
extern int dup3(int a, int b, int flags);
extern int fcntl(int fd, int cmd, ...);
extern int mount(const char *src, const char *tgt, const char *fstype, unsigned long flags, const void *data);
extern int umount2(const char *tgt, int flags);
extern int mkdir(const char *path, unsigned int mode);
extern int mknod(const char *path, unsigned int mode, u64 dev);
extern int symlink(const char *target, const char *link);
extern int chdir(const char *path);
extern int chroot(const char *path);
extern int chown(const char *path, unsigned int uid, unsigned int gid);
extern int sethostname(const char *name, size_t len);
extern int setns(int fd, int nstype);
extern int unshare(int flags);
extern int setsid(void);
extern int ioctl(int fd, unsigned long req, ...);
extern int setgroups(size_t n, const unsigned int *list);
extern int setresgid(unsigned int r, unsigned int e, unsigned int s);
extern int setresuid(unsigned int r, unsigned int e, unsigned int s);
extern int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);
extern int execve(const char *path, char *const argv[], char *const envp[]);
extern int poll(void *fds, unsigned long n, int timeout);
extern int waitpid(int pid, int *status, int options);
extern int kill(int pid, int sig);
extern int pipe2(int fds[2], int flags);
extern int getpid(void);
extern int socket(int domain, int type, int proto);
extern int bind(int fd, const void *addr, unsigned int len);
extern int listen(int fd, int backlog);
extern int connect(int fd, const void *addr, unsigned int len);
extern int unlink(const char *path);
extern int umask(int mask);
extern int grantpt(int fd);
extern int unlockpt(int fd);
extern int ptsname_r(int fd, char *buf, size_t len);
extern void _exit(int code);

#if defined(__aarch64__)
#define NR_clone 220
#define NR_pivot_root 41
#define NR_capset 91
#define NR_capget 90
#define NR_bpf 280
#define NR_rt_sigaction 134
#define NR_rt_sigprocmask 135
#define NR_execveat 281
#define NR_memfd_create 279
#else
#define NR_clone 56
#define NR_pivot_root 155
#define NR_capset 126
#define NR_capget 125
#define NR_bpf 321
#define NR_rt_sigaction 13
#define NR_rt_sigprocmask 14
#define NR_execveat 322
#define NR_memfd_create 319
#endif
#define NR_close_range 436
#define NR_pidfd_open 434

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_NONBLOCK 04000
#define O_CLOEXEC 02000000
#define F_GETFD 1
#define F_SETFD 2
#define F_DUPFD_CLOEXEC 1030
#define FD_CLOEXEC 1
#define SIGCHLD 17
#define SIGKILL 9
#define EINTR 4
#define EEXIST 17
#define EAGAIN 11
#define TIOCSCTTY 0x540E
#define PR_SET_PDEATHSIG 1
#define PR_CAPBSET_DROP 24
#define PR_SET_NO_NEW_PRIVS 38
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#define AT_EMPTY_PATH 0x1000
#define POLLIN 1
#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_CLOEXEC 02000000
#define LAST_CAP 40

#define MAGIC 0x31585642u /* "BVX1" */
#define REC 48
#define MAXLIST 1024
#define REPORT_FD 1023 /* report pipe lives here in children, away from fds the program places */

enum {
  OP_EXIT = 1, OP_CLONE, OP_REPORT_PID, OP_WAIT_FD, OP_MOUNT, OP_UMOUNT, OP_MKDIR, OP_MKNOD,
  OP_SYMLINK, OP_CHDIR, OP_CHROOT, OP_PIVOT_ROOT, OP_SETHOSTNAME, OP_DUP2, OP_CLOSE_RANGE,
  OP_CLOSE, OP_OPEN, OP_SETNS, OP_UNSHARE, OP_SETSID, OP_SETCTTY, OP_SETGROUPS, OP_SETGID,
  OP_SETUID, OP_CAPS, OP_NO_NEW_PRIVS, OP_WRITE_FILE, OP_EXECVE, OP_EXECVEAT, OP_SIGRESET,
  OP_PDEATHSIG, OP_WAIT_CHILD, OP_CHOWN, OP_UMASK, OP_SETDOMAINNAME, OP_WRITE_FD,
  OP_OPEN_TREE, OP_MOVE_MOUNT
};

struct step {
  u32 op, pad;
  i64 a, b, c;
  u32 s[4];
};

struct pollfd { int fd; short events; short revents; };

static void report(int type, int step, int value) {
  i32 r[3];
  r[0] = type; r[1] = step; r[2] = value;
  while (write(REPORT_FD, r, sizeof r) < 0 && *__errno_location() == EINTR) {}
}

static void fail(int step) {
  report(2, step, *__errno_location());
  _exit(127);
}

static const char *str(const unsigned char *prog, u32 off) {
  return off ? (const char *)(prog + off) : (const char *)0;
}

static char pidbuf[16];

/* Build a NULL-terminated pointer array from a string list. An element that is exactly
 * "\001PID" stands for the pid of the last cloned child (known only at run time). */
static int list(const unsigned char *prog, u32 off, char **out, int child) {
  u32 n = 0, i;
  if (off) {
    n = *(const u32 *)(prog + off);
    if (n >= MAXLIST) n = MAXLIST - 1;
    for (i = 0; i < n; i++) {
      char *s = (char *)(prog + ((const u32 *)(prog + off + 4))[i]);
      if (s[0] == 1 && s[1] == 'P' && s[2] == 'I' && s[3] == 'D' && s[4] == 0) {
        char t[16];
        int k = 0, j = 0;
        unsigned int v = (unsigned int)child;
        do t[k++] = (char)('0' + v % 10); while (v /= 10);
        while (k) pidbuf[j++] = t[--k];
        pidbuf[j] = 0;
        s = pidbuf;
      }
      out[i] = s;
    }
  }
  out[n] = (char *)0;
  return (int)n;
}

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }

static void sigreset(void) {
  /* Bun ignores SIGPIPE and blocks signals on some threads; ignored dispositions and the mask
   * survive execve, so reset both. kernel sigaction: handler, flags, restorer, mask. */
  u64 sa[4];
  u64 empty = 0;
  int sig;
  sa[0] = 0; sa[1] = 0; sa[2] = 0; sa[3] = 0;
  for (sig = 1; sig < 65; sig++) {
    if (sig == 9 || sig == 19 || sig == 32 || sig == 33) continue;
    syscall(NR_rt_sigaction, sig, sa, (void *)0, 8);
  }
  syscall(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &empty, (void *)0, 8);
}

static int close_range_except(unsigned int first, unsigned int last, unsigned int keep) {
  if (keep >= first && keep <= last) {
    if (keep > first && syscall(NR_close_range, first, keep - 1, 0) < 0) return -1;
    if (keep < last && syscall(NR_close_range, keep + 1, last, 0) < 0) return -1;
    return 0;
  }
  return (int)syscall(NR_close_range, first, last, 0);
}

/* Run the program from step pc; never returns. */
static void run(const unsigned char *prog, u32 n, u32 pc) {
  const struct step *st;
  char *argv[MAXLIST];
  char *envp[MAXLIST];
  int child = 0;
  for (; pc < n; pc++) {
    st = (const struct step *)(prog + 8 + (u64)pc * REC);
    switch (st->op) {
    case OP_EXIT:
      _exit((int)st->a);
    case OP_CLONE: {
      /* fork semantics (no CLONE_VM): the child continues at step b on a copy of this stack */
      long r = syscall(NR_clone, (unsigned long)st->a | SIGCHLD, 0, 0, 0, 0);
      if (r < 0) fail(pc);
      if (r == 0) { pc = (u32)st->b - 1; child = 0; continue; }
      child = (int)r;
      break;
    }
    case OP_REPORT_PID:
      report(1, pc, st->a ? getpid() : child);
      break;
    case OP_WAIT_FD: {
      char c;
      ssize_t r;
      do r = read((int)st->a, &c, 1); while (r < 0 && *__errno_location() == EINTR);
      if (r < 0) fail(pc);
      if (r == 0) _exit(125); /* the parent gave up: leave quietly */
      break;
    }
    case OP_WRITE_FD: {
      char c = 'g';
      if (write((int)st->a, &c, 1) != 1) fail(pc);
      break;
    }
    case OP_MOUNT:
      if (mount(str(prog, st->s[0]), str(prog, st->s[1]), str(prog, st->s[2]), (unsigned long)st->a, str(prog, st->s[3])) < 0) fail(pc);
      break;
    case OP_UMOUNT:
      if (umount2(str(prog, st->s[0]), (int)st->a) < 0) fail(pc);
      break;
    case OP_MKDIR:
      if (mkdir(str(prog, st->s[0]), (unsigned int)st->a) < 0 && *__errno_location() != EEXIST) fail(pc);
      break;
    case OP_MKNOD:
      if (mknod(str(prog, st->s[0]), (unsigned int)st->a, (u64)st->b) < 0 && !(st->c && *__errno_location() == EEXIST)) fail(pc);
      break;
    case OP_SYMLINK:
      if (symlink(str(prog, st->s[0]), str(prog, st->s[1])) < 0 && *__errno_location() != EEXIST) fail(pc);
      break;
    case OP_CHDIR:
      if (chdir(str(prog, st->s[0])) < 0) fail(pc);
      break;
    case OP_CHROOT:
      if (chroot(str(prog, st->s[0])) < 0) fail(pc);
      break;
    case OP_PIVOT_ROOT:
      if (syscall(NR_pivot_root, str(prog, st->s[0]), str(prog, st->s[1])) < 0) fail(pc);
      break;
    case OP_SETHOSTNAME:
      if (sethostname(str(prog, st->s[0]), slen(str(prog, st->s[0]))) < 0) fail(pc);
      break;
    case OP_SETDOMAINNAME:
      break;
    case OP_DUP2:
      if (st->a == st->b) {
        int fl = fcntl((int)st->a, F_GETFD);
        if (fl < 0 || fcntl((int)st->a, F_SETFD, st->c ? (fl | FD_CLOEXEC) : (fl & ~FD_CLOEXEC)) < 0) fail(pc);
      } else if (dup3((int)st->a, (int)st->b, st->c ? O_CLOEXEC : 0) < 0) fail(pc);
      break;
    case OP_CLOSE_RANGE:
      if (close_range_except((unsigned int)st->a, (unsigned int)st->b, REPORT_FD) < 0) fail(pc);
      break;
    case OP_CLOSE:
      close((int)st->a);
      break;
    case OP_OPEN: {
      int fd = open(str(prog, st->s[0]), (int)st->a, (int)st->b);
      if (fd < 0) fail(pc);
      if (st->c == -2) close(fd);
      else if (st->c >= 0 && fd != st->c) {
        if (dup2(fd, (int)st->c) < 0) fail(pc);
        close(fd);
      }
      break;
    }
    case OP_SETNS:
      if (setns((int)st->a, (int)st->b) < 0) fail(pc);
      break;
    case OP_UNSHARE:
      if (unshare((int)st->a) < 0) fail(pc);
      break;
    case OP_SETSID:
      if (setsid() < 0) fail(pc);
      break;
    case OP_SETCTTY:
      if (ioctl((int)st->a, TIOCSCTTY, 0) < 0) fail(pc);
      break;
    case OP_SETGROUPS: {
      if (setgroups((size_t)st->a, st->a ? (const unsigned int *)(prog + st->s[0]) : (const unsigned int *)0) < 0) fail(pc);
      break;
    }
    case OP_SETGID:
      if (setresgid((unsigned int)st->a, (unsigned int)st->a, (unsigned int)st->a) < 0) fail(pc);
      break;
    case OP_SETUID:
      if (setresuid((unsigned int)st->a, (unsigned int)st->a, (unsigned int)st->a) < 0) fail(pc);
      break;
    case OP_CAPS: {
      /* a = capabilities to keep (bit per cap). Drop the rest from the bounding set, clear
       * ambient, then set permitted = effective = inheritable = keep. */
      u64 keep = (u64)st->a;
      u32 hdr[2];
      u32 data[6];
      int cap;
      for (cap = 0; cap <= LAST_CAP; cap++) {
        if (keep & (1ULL << cap)) continue;
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && *__errno_location() != 22 /* EINVAL: unknown cap */) fail(pc);
      }
      prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
      hdr[0] = 0x20080522; /* _LINUX_CAPABILITY_VERSION_3 */
      hdr[1] = 0;
      /* never ask for more than we hold (capset would refuse with EPERM) */
      if (syscall(NR_capget, hdr, data) < 0) fail(pc);
      keep &= ((u64)data[4] << 32) | data[1];
      data[0] = (u32)keep; data[1] = (u32)keep; data[2] = (u32)keep;
      data[3] = (u32)(keep >> 32); data[4] = (u32)(keep >> 32); data[5] = (u32)(keep >> 32);
      if (syscall(NR_capset, hdr, data) < 0) fail(pc);
      break;
    }
    case OP_NO_NEW_PRIVS:
      if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) fail(pc);
      break;
    case OP_WRITE_FILE: {
      const char *data = str(prog, st->s[1]);
      int fd = open(str(prog, st->s[0]), O_WRONLY | O_CLOEXEC | (int)st->a, 0644);
      if (fd < 0) fail(pc);
      if (write(fd, data, slen(data)) < 0) fail(pc);
      close(fd);
      break;
    }
    case OP_EXECVE:
      list(prog, st->s[1], argv, child);
      list(prog, st->s[2], envp, child);
      execve(str(prog, st->s[0]), argv, envp);
      if (st->c && (*__errno_location() == 2 /* ENOENT */ || *__errno_location() == 20 /* ENOTDIR */)) break; /* try the next PATH entry */
      fail(pc);
    case OP_EXECVEAT:
      list(prog, st->s[1], argv, child);
      list(prog, st->s[2], envp, child);
      syscall(NR_execveat, (int)st->a, "", argv, envp, AT_EMPTY_PATH);
      fail(pc);
    case OP_SIGRESET:
      sigreset();
      break;
    case OP_PDEATHSIG:
      if (prctl(PR_SET_PDEATHSIG, (unsigned long)st->a, 0, 0, 0) < 0) fail(pc);
      break;
    case OP_WAIT_CHILD: {
      /* Relay the last child's fate: report its raw wait status, then exit. */
      int status = 0;
      int r;
      do r = waitpid(child, &status, 0); while (r < 0 && *__errno_location() == EINTR);
      if (r < 0) fail(pc);
      report(3, pc, status);
      _exit(0);
    }
    case OP_CHOWN:
      if (chown(str(prog, st->s[0]), (unsigned int)st->a, (unsigned int)st->b) < 0) fail(pc);
      break;
    case OP_UMASK:
      umask((int)st->a);
      break;
    case OP_OPEN_TREE: {
      /* a detached copy of the mount at s0 (OPEN_TREE_CLONE|O_CLOEXEC), placed at fd a */
      long fd = syscall(428 /* open_tree */, -100 /* AT_FDCWD */, str(prog, st->s[0]), 1 | O_CLOEXEC);
      if (fd < 0) fail(pc);
      if (fd != st->a) {
        if (dup3((int)fd, (int)st->a, O_CLOEXEC) < 0) fail(pc);
        close((int)fd);
      }
      break;
    }
    case OP_MOVE_MOUNT:
      /* attach the detached mount at fd a onto s0 (MOVE_MOUNT_F_EMPTY_PATH) */
      if (syscall(429 /* move_mount */, (int)st->a, "", -100, str(prog, st->s[0]), 4) < 0) fail(pc);
      close((int)st->a);
      break;
    default:
      *__errno_location() = 22;
      fail(pc);
    }
  }
  _exit(0);
}

/* Entry point called from JavaScript: fork, run the program in the child, return its pid.
 * report_w is the write end of the caller's O_CLOEXEC report pipe; it is moved to REPORT_FD in
 * the child. Returns the child pid or -errno. */
int bv_spawn(const unsigned char *prog, int len, int report_w) {
  long r;
  u32 n;
  if (len < 8 || *(const u32 *)prog != MAGIC) return -22;
  n = *(const u32 *)(prog + 4);
  if (8 + (u64)n * REC > (u64)len) return -22;
  /* exit signal 0: a "clone child" that Bun's own SIGCHLD reaper (waitpid(-1) without
   * __WALL) cannot steal; we wait for it with __WALL. */
  r = syscall(NR_clone, 0, 0, 0, 0, 0);
  if (r < 0) return -*__errno_location();
  if (r == 0) {
    if (dup3(report_w, REPORT_FD, O_CLOEXEC) < 0) _exit(126);
    sigreset();
    run(prog, n, 0);
  }
  return (int)r;
}

/* --- small helpers for the parent side (JavaScript thread) --- */

int bv_errno(void) { return *__errno_location(); }

/* pipe2 with O_CLOEXEC; fds[0] = read end. Returns 0 or -errno. */
int bv_pipe(int *fds) {
  if (pipe2(fds, O_CLOEXEC) < 0) return -*__errno_location();
  return 0;
}

int bv_close(int fd) { return close(fd) < 0 ? -*__errno_location() : 0; }

int bv_write(int fd, const unsigned char *buf, int len) {
  ssize_t r;
  do r = write(fd, buf, (size_t)len); while (r < 0 && *__errno_location() == EINTR);
  return r < 0 ? -*__errno_location() : (int)r;
}

/* Read up to len bytes, waiting at most timeout_ms for data. 0 = EOF, -11 = timeout. */
int bv_read(int fd, unsigned char *buf, int len, int timeout_ms) {
  struct pollfd p;
  ssize_t r;
  int pr;
  p.fd = fd; p.events = POLLIN; p.revents = 0;
  do pr = poll(&p, 1, timeout_ms); while (pr < 0 && *__errno_location() == EINTR);
  if (pr < 0) return -*__errno_location();
  if (pr == 0) return -EAGAIN;
  do r = read(fd, buf, (size_t)len); while (r < 0 && *__errno_location() == EINTR);
  return r < 0 ? -*__errno_location() : (int)r;
}

/* waitpid; returns the raw status (>= 0), -errno, or -11 if WNOHANG and not exited. */
int bv_waitpid(int pid, int nohang) {
  int status = 0, r;
  do r = waitpid(pid, &status, (nohang ? 1 : 0) | 0x40000000 /* __WALL */); while (r < 0 && *__errno_location() == EINTR);
  if (r < 0) return -*__errno_location();
  if (r == 0) return -EAGAIN;
  return status & 0xffff;
}

int bv_kill(int pid, int sig) { return kill(pid, sig) < 0 ? -*__errno_location() : 0; }

/* A memfd holding bytes (for execveat of the supervisor). Returns fd or -errno. */
int bv_memfd(const unsigned char *buf, int len) {
  int fd = (int)syscall(NR_memfd_create, "bunvirt-supervisor", 1 /* MFD_CLOEXEC */);
  int off = 0;
  if (fd < 0) return -*__errno_location();
  while (off < len) {
    ssize_t w = write(fd, buf + off, (size_t)(len - off));
    if (w < 0) { int e = *__errno_location(); close(fd); return -e; }
    off += (int)w;
  }
  return fd;
}

/* Open a new pty master (O_CLOEXEC, O_NOCTTY); slave path into name. Returns fd or -errno. */
int bv_openpty(char *name, int namelen) {
  int fd = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return -*__errno_location();
  if (grantpt(fd) < 0 || unlockpt(fd) < 0 || ptsname_r(fd, name, (size_t)namelen) != 0) {
    int e = *__errno_location();
    close(fd);
    return -e;
  }
  return fd;
}

struct sockaddr_un { unsigned short family; char path[108]; };

static int sun_fill(struct sockaddr_un *a, const char *path) {
  size_t n = slen(path), i;
  if (n >= sizeof a->path) return -1;
  a->family = AF_UNIX;
  for (i = 0; i <= n; i++) a->path[i] = path[i];
  return (int)(2 + n + 1);
}

/* Listening unix stream socket at path (replacing a stale one). Returns fd or -errno. */
int bv_unix_listen(const char *path) {
  struct sockaddr_un a;
  int len = sun_fill(&a, path), fd;
  if (len < 0) return -36; /* ENAMETOOLONG */
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -*__errno_location();
  unlink(path);
  if (bind(fd, &a, (unsigned int)len) < 0 || listen(fd, 16) < 0) {
    int e = *__errno_location();
    close(fd);
    return -e;
  }
  return fd;
}

/* Connected unix stream socket (blocking, O_CLOEXEC). Returns fd or -errno. */
int bv_unix_connect(const char *path) {
  struct sockaddr_un a;
  int len = sun_fill(&a, path), fd;
  if (len < 0) return -36;
  fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -*__errno_location();
  if (connect(fd, &a, (unsigned int)len) < 0) {
    int e = *__errno_location();
    close(fd);
    return -e;
  }
  return fd;
}

int bv_pidfd_open(int pid) {
  long r = syscall(NR_pidfd_open, pid, 0);
  return r < 0 ? -*__errno_location() : (int)r;
}

/* Open a file (e.g. /proc/PID/ns/net) with O_CLOEXEC. Returns fd or -errno. */
int bv_open(const char *path, int flags) {
  int fd = open(path, flags | O_CLOEXEC, 0600);
  return fd < 0 ? -*__errno_location() : fd;
}

/* Bytes waiting to be read on a socket or pipe (FIONREAD), or -errno. */
int bv_pending(int fd) {
  int n = 0;
  if (ioctl(fd, 0x541B /* FIONREAD */, &n) < 0) return -*__errno_location();
  return n;
}

/* 1 if fd is readable (or hung up) within timeout_ms, 0 if not, -errno on error. */
int bv_poll_in(int fd, int timeout_ms) {
  struct pollfd p;
  int r;
  p.fd = fd; p.events = POLLIN; p.revents = 0;
  do r = poll(&p, 1, timeout_ms); while (r < 0 && *__errno_location() == EINTR);
  if (r < 0) return -*__errno_location();
  return r > 0 ? 1 : 0;
}

/* Load a BPF_PROG_TYPE_CGROUP_DEVICE program (n instructions of 8 bytes) and attach it to the
 * cgroup v2 directory open at cgfd. Returns 0 or -errno. The attachment keeps the program. */
int bv_bpf_devices(const void *insns, int n, int cgfd) {
  unsigned char attr[128];
  unsigned char a2[128];
  static const char license[] = "GPL";
  int i, prog;
  long r;
  for (i = 0; i < 128; i++) { attr[i] = 0; a2[i] = 0; }
  *(u32 *)(attr + 0) = 15;            /* prog_type = BPF_PROG_TYPE_CGROUP_DEVICE */
  *(u32 *)(attr + 4) = (u32)n;        /* insn_cnt */
  *(u64 *)(attr + 8) = (u64)(unsigned long)insns;
  *(u64 *)(attr + 16) = (u64)(unsigned long)license;
  *(u32 *)(attr + 68) = 6;            /* expected_attach_type = BPF_CGROUP_DEVICE */
  r = syscall(NR_bpf, 5 /* BPF_PROG_LOAD */, attr, 128);
  if (r < 0) return -*__errno_location();
  prog = (int)r;
  *(u32 *)(a2 + 0) = (u32)cgfd;       /* target_fd */
  *(u32 *)(a2 + 4) = (u32)prog;       /* attach_bpf_fd */
  *(u32 *)(a2 + 8) = 6;               /* attach_type = BPF_CGROUP_DEVICE */
  r = syscall(NR_bpf, 8 /* BPF_PROG_ATTACH */, a2, 128);
  i = r < 0 ? -*__errno_location() : 0;
  close(prog);
  return i;
}

/* One entry point for the parent-side helpers: bun:ffi builds a trampoline per bound symbol
 * (about 0.4 ms each at start-up), so the helpers share one. */
int bv_call(int op, void *p, int a, int b, int c) {
  switch (op) {
  case 1: return bv_pipe((int *)p);
  case 2: return bv_close(a);
  case 3: return bv_write(a, (const unsigned char *)p, b);
  case 4: return bv_read(a, (unsigned char *)p, b, c);
  case 5: return bv_waitpid(a, b);
  case 6: return bv_kill(a, b);
  case 7: return bv_memfd((const unsigned char *)p, a);
  case 8: return bv_openpty((char *)p, a);
  case 9: return bv_unix_listen((const char *)p);
  case 10: return bv_unix_connect((const char *)p);
  case 11: return bv_pidfd_open(a);
  case 12: return bv_open((const char *)p, a);
  case 13: return bv_pending(a);
  case 14: return bv_poll_in(a, b);
  case 15: return bv_bpf_devices(p, a, b);
  }
  return -38; /* ENOSYS */
}
