import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, readlinkSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { ErrorCode, VirError } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { errnoName } from "../../src/ffi/errno.ts";
import { fdGrowth, fdKinds } from "./fdleak.ts";

const isRoot = L.getuid() === 0;

function thrown(f: () => unknown): L.SysError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(L.SysError);
    return e as L.SysError;
  }
  throw new Error("expected a SysError");
}

describe("errno names", () => {
  test("table", () => {
    expect(errnoName(1)).toBe("EPERM");
    expect(errnoName(2)).toBe("ENOENT");
    expect(errnoName(17)).toBe("EEXIST");
    expect(errnoName(19)).toBe("ENODEV");
    expect(errnoName(95)).toBe("EOPNOTSUPP");
    expect(errnoName(9999)).toBe("E9999");
    expect(L.Errno.EAGAIN).toBe(11);
    expect(L.Errno.EWOULDBLOCK).toBe(11);
  });
  test("strerror comes from libc", () => {
    expect(L.strerror(2)).toBe("No such file or directory");
    expect(L.strerror(1)).toBe("Operation not permitted");
  });
});

describe("SysError", () => {
  test("open names the path, flags and errno", () => {
    const e = thrown(() => L.open("/nonexistent/net/tun", L.O_RDWR));
    expect(e.message).toBe('open("/nonexistent/net/tun", O_RDWR) failed: ENOENT (No such file or directory)');
    expect(e.call).toBe("open");
    expect(e.errno).toBe(2);
    expect(e.errnoName).toBe("ENOENT");
    expect(e.code).toBe(ErrorCode.SYSTEM_ERROR);
    expect(e).toBeInstanceOf(VirError);
  });
  test("open flags are spelled out", () => {
    expect(L.openFlagsName(L.O_RDWR | L.O_CLOEXEC | L.O_NONBLOCK)).toBe("O_RDWR|O_NONBLOCK|O_CLOEXEC");
    const dir = mkdtempSync(`${tmpdir()}/bunvirt-libc-`);
    try {
      const fd = L.open(`${dir}/f`, L.O_WRONLY | L.O_CREAT | L.O_EXCL | L.O_CLOEXEC, 0o600);
      L.close(fd);
      const e = thrown(() => L.open(`${dir}/f`, L.O_WRONLY | L.O_CREAT | L.O_EXCL | L.O_CLOEXEC, 0o600));
      expect(e.message).toBe(`open("${dir}/f", O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC) failed: EEXIST (File exists)`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  test("close of a bad fd is EBADF", () => {
    const e = thrown(() => L.close(987654));
    expect(e.message).toBe("close(987654) failed: EBADF (Bad file descriptor)");
  });
  test("mknod reports mode and device numbers", () => {
    // a directory that surely does not exist: inside a fresh temp dir
    const dir = mkdtempSync(`${tmpdir()}/bunvirt-ffi-`);
    try {
      const e = thrown(() => L.mknod(`${dir}/missing/tap9`, L.S_IFCHR | 0o600, L.makedev(246, 3)));
      expect(e.message).toBe(`mknod("${dir}/missing/tap9", 020600, 246:3) failed: ENOENT (No such file or directory)`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  test("ioctl names the request", () => {
    const [r, w] = L.pipe2();
    try {
      const e = thrown(() => L.ioctl(r, 0x400454ca, new Uint8Array(40), "TUNSETIFF", '"x"'));
      expect(e.message).toBe(`ioctl(fd ${r}, TUNSETIFF, "x") failed: ENOTTY (Inappropriate ioctl for device)`);
    } finally {
      L.close(r);
      L.close(w);
    }
  });
  test("setns into a non-namespace fd is EINVAL", () => {
    const [r, w] = L.pipe2();
    try {
      expect(thrown(() => L.setns(r, L.CLONE_NEWNET)).errnoName).toBe("EINVAL");
    } finally {
      L.close(r);
      L.close(w);
    }
  });
  test("umount2 / pivot_root / mount failures", () => {
    expect(thrown(() => L.umount2("/nonexistent-mnt")).errnoName).toBe("ENOENT");
    expect(thrown(() => L.pivotRoot("/nonexistent-a", "/nonexistent-b")).message).toMatch(/^pivot_root\("\/nonexistent-a", "\/nonexistent-b"\) failed: (ENOENT|EINVAL|EPERM) /);
    expect(thrown(() => L.mount("none", "/nonexistent-mnt", "tmpfs", 0)).message).toMatch(/^mount\("none", "\/nonexistent-mnt", "tmpfs", 0x0\) failed: /);
  });
  test("kill / pidfd_open of a pid that does not exist is ESRCH", () => {
    // pid_max is at most 2^22: this pid cannot exist.
    expect(thrown(() => L.kill(4194305, 0)).message).toBe("kill(4194305, 0) failed: ESRCH (No such process)");
    expect(thrown(() => L.pidfdOpen(4194305)).errnoName).toBe("ESRCH");
  });
  test("waitid on a non-child is ECHILD", () => {
    expect(thrown(() => L.waitid(L.P_PID, 1, L.WEXITED | L.WNOHANG)).errnoName).toBe("ECHILD");
  });
  test("unshare with an invalid flag is EINVAL", () => {
    expect(thrown(() => L.unshare(0x1)).message).toBe("unshare(0x1) failed: EINVAL (Invalid argument)");
  });
  test("prctl with an unknown option is EINVAL", () => {
    expect(thrown(() => L.prctl(0x7fff_0000)).errnoName).toBe("EINVAL");
  });
});

describe("calls", () => {
  test("pipe2 + write + read + poll", () => {
    const [r, w] = L.pipe2(L.O_CLOEXEC);
    try {
      const p: L.PollFd = { fd: r, events: L.POLLIN };
      expect(L.poll([p], 0)).toBe(0);
      expect(L.write(w, "hello")).toBe(5);
      expect(L.poll([p], 0)).toBe(1);
      expect(p.revents).toBe(L.POLLIN);
      const buf = new Uint8Array(16);
      expect(L.read(r, buf)).toBe(5);
      expect(Buffer.from(buf.subarray(0, 5)).toString()).toBe("hello");
      // Close-on-exec was set by pipe2.
      expect(L.fcntl(r, L.F_GETFD) & L.FD_CLOEXEC).toBe(L.FD_CLOEXEC);
      L.setCloexec(r, false);
      expect(L.fcntl(r, L.F_GETFD) & L.FD_CLOEXEC).toBe(0);
      L.close(w);
      expect(L.read(r, buf)).toBe(0); // EOF
      const ph: L.PollFd = { fd: r, events: L.POLLIN };
      L.poll([ph], 0);
      expect(ph.revents! & L.POLLHUP).toBe(L.POLLHUP);
    } finally {
      L.closeQuiet(r);
    }
  });
  test("memfd_create, dup, dup3, close_range", () => {
    const m = L.memfdCreate("bunvirt-test");
    expect(readlinkSync(`/proc/self/fd/${m}`)).toBe("/memfd:bunvirt-test (deleted)");
    L.writeAll(m, "abc");
    const d = L.dup(m);
    const target = d + 10;
    expect(L.dup3(m, target, L.O_CLOEXEC)).toBe(target);
    L.closeRange(d, d);
    expect(thrown(() => L.close(d)).errnoName).toBe("EBADF");
    L.close(target);
    L.close(m);
  });
  test("sockaddr_un: path and abstract", () => {
    const sa = L.sockaddrUn("/run/x.sock");
    expect(sa.byteLength).toBe(2 + 11 + 1);
    expect(sa[0]).toBe(L.AF_UNIX);
    const ab = L.sockaddrUn("@bunvirt");
    expect(ab.byteLength).toBe(2 + 1 + 7);
    expect(ab[2]).toBe(0);
    expect(thrown(() => L.sockaddrUn("/" + "x".repeat(200))).errnoName).toBe("ENAMETOOLONG");
  });
  test("unix socket bind/listen/connect/accept", () => {
    const dir = mkdtempSync(`${tmpdir()}/bunvirt-sock-`);
    const path = `${dir}/s`;
    const srv = L.socket(L.AF_UNIX, L.SOCK_STREAM | L.SOCK_CLOEXEC | L.SOCK_NONBLOCK);
    try {
      L.bindUnix(srv, path);
      L.listen(srv);
      expect(L.accept(srv)).toBe(-1); // nobody yet, nonblocking
      const c = L.socket(L.AF_UNIX, L.SOCK_STREAM | L.SOCK_CLOEXEC);
      L.connectUnix(c, path);
      const a = L.accept(srv);
      expect(a).toBeGreaterThan(2);
      L.write(c, "x");
      const b = new Uint8Array(1);
      expect(L.read(a, b)).toBe(1);
      L.close(a);
      L.close(c);
      const c2 = L.socket(L.AF_UNIX, L.SOCK_STREAM | L.SOCK_CLOEXEC);
      expect(thrown(() => L.connectUnix(c2, `${dir}/missing`)).message)
        .toBe(`connect(fd ${c2}, "${dir}/missing") failed: ENOENT (No such file or directory)`);
      L.close(c2);
    } finally {
      L.close(srv);
      rmSync(dir, { recursive: true });
    }
  });
  test("openPty gives a master and a /dev/pts slave", () => {
    const { master, slave } = L.openPty();
    try {
      expect(slave).toMatch(/^\/dev\/pts\/\d+$/);
      expect(statSync(slave).isCharacterDevice()).toBe(true);
      const s = L.open(slave, L.O_RDWR | L.O_NOCTTY | L.O_CLOEXEC);
      L.write(s, "ping\n");
      const b = new Uint8Array(64);
      const n = L.read(master, b);
      expect(Buffer.from(b.subarray(0, n)).toString()).toContain("ping");
      L.close(s);
    } finally {
      L.close(master);
    }
  });
  test("pidfd_open + pidfd_send_signal + poll for exit", async () => {
    const child = Bun.spawn(["sleep", "30"]);
    const pfd = L.pidfdOpen(child.pid);
    try {
      expect(L.poll([{ fd: pfd, events: L.POLLIN }], 0)).toBe(0);
      L.pidfdSendSignal(pfd, L.SIGTERM);
      expect(await child.exited).toBe(143);
      expect(child.signalCode).toBe("SIGTERM");
      expect(L.poll([{ fd: pfd, events: L.POLLIN }], 1000)).toBe(1);
    } finally {
      L.close(pfd);
    }
  });
  test("makedev matches glibc's encoding", () => {
    expect(L.makedev(10, 200)).toBe(2760n);
    expect(L.makedev(1, 3)).toBe(BigInt(statSync("/dev/null").rdev));
    // Large numbers use the split encoding: major bits 12+ at 44, minor bits 8+ at 20.
    expect(L.makedev(0x1234, 0x56789)).toBe(0x100056723489n);
  });
  test("ids", () => {
    expect(L.getpid()).toBe(process.pid);
    expect(L.getuid()).toBe(process.getuid!());
    expect(L.geteuid()).toBe(process.geteuid!());
    expect(L.getgid()).toBe(process.getgid!());
  });
  test.skipIf(!isRoot)("mknod creates a char device (root)", () => {
    const dir = mkdtempSync(`${tmpdir()}/bunvirt-mknod-`);
    try {
      L.mknod(`${dir}/null`, L.S_IFCHR | 0o600, L.makedev(1, 3));
      const st = statSync(`${dir}/null`);
      expect(st.isCharacterDevice()).toBe(true);
      expect(BigInt(st.rdev)).toBe(L.makedev(1, 3));
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
  test("1000 open/close loops leak no fd", () => {
    const before = fdKinds();
    for (let i = 0; i < 1000; i++) {
      const fd = L.open("/dev/null", L.O_RDONLY | L.O_CLOEXEC);
      L.close(fd);
      const [a, b] = L.pipe2();
      L.close(a);
      L.close(b);
    }
    expect(fdGrowth(before)).toEqual({});
  });
});
