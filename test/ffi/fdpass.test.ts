import { describe, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { ErrorCode, VirError } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { fdGrowth, fdKinds } from "./fdleak.ts";
import { FdPassError, MAX_FDS_PER_MESSAGE, recvFds, recvFdsAsync, sendFds, waitReadable } from "../../src/ffi/fdpass.ts";

function pair(type = L.SOCK_STREAM): [number, number] {
  return L.socketpair(L.AF_UNIX, type | L.SOCK_CLOEXEC);
}
const text = (b: Uint8Array) => Buffer.from(b).toString();
const inode = (fd: number) => readlinkSync(`/proc/self/fd/${fd}`);

describe("sendFds / recvFds", () => {
  test("passes fds and data over a stream socket; received fds are the same files, CLOEXEC", () => {
    const [a, b] = pair();
    const [r, w] = L.pipe2();
    const m = L.memfdCreate("passed");
    try {
      expect(sendFds(a, [r, w, m], "hello")).toBe(5);
      const got = recvFds(b)!;
      expect(text(got.data)).toBe("hello");
      expect(got.fds.length).toBe(3);
      expect(got.fds.map(inode)).toEqual([r, w, m].map(inode));
      expect(got.fds.every((fd) => !([r, w, m] as number[]).includes(fd))).toBe(true);
      for (const fd of got.fds) expect(L.fcntl(fd, L.F_GETFD) & L.FD_CLOEXEC).toBe(L.FD_CLOEXEC);
      // The received write end really is the pipe.
      L.write(got.fds[1]!, "via-passed-fd");
      const buf = new Uint8Array(32);
      expect(text(buf.subarray(0, L.read(r, buf)))).toBe("via-passed-fd");
      got.fds.forEach((fd) => L.close(fd));
    } finally {
      [a, b, r, w, m].forEach((fd) => L.close(fd));
    }
  });

  test("default payload is one zero byte; no fds is fine", () => {
    const [a, b] = pair();
    try {
      sendFds(a, []);
      const got = recvFds(b)!;
      expect(Array.from(got.data)).toEqual([0]);
      expect(got.fds).toEqual([]);
    } finally {
      L.close(a);
      L.close(b);
    }
  });

  test("seqpacket and datagram sockets", () => {
    for (const type of [L.SOCK_SEQPACKET, L.SOCK_DGRAM]) {
      const [a, b] = pair(type);
      const m = L.memfdCreate("dg");
      try {
        sendFds(a, [m], "x".repeat(100));
        const got = recvFds(b, { maxData: 10 })!;
        expect(got.dataTruncated).toBe(true); // MSG_TRUNC: datagram longer than the buffer
        expect(got.data.byteLength).toBe(10);
        expect(got.fds.length).toBe(1);
        expect(inode(got.fds[0]!)).toBe(inode(m));
        L.close(got.fds[0]!);
      } finally {
        [a, b, m].forEach((fd) => L.close(fd));
      }
    }
  });

  test("MSG_CTRUNC is reported, and the fds that did fit are closed", () => {
    const [a, b] = pair();
    const fds = Array.from({ length: 5 }, (_, i) => L.memfdCreate(`ctrunc${i}`));
    try {
      const before = fdKinds();
      sendFds(a, fds, "z");
      let err: unknown;
      try {
        recvFds(b, { maxFds: 2 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(FdPassError);
      expect(err).toBeInstanceOf(VirError);
      expect((err as VirError).code).toBe(ErrorCode.SYSTEM_ERROR);
      expect((err as Error).message).toBe(
        `recvmsg(fd ${b}): control data truncated (MSG_CTRUNC): the peer passed more than 2 fds`,
      );
      expect(fdGrowth(before)).toEqual({});
    } finally {
      [a, b, ...fds].forEach((fd) => L.close(fd));
    }
  });

  test("limits: an empty payload and more than SCM_MAX_FD fds are refused", () => {
    const [a, b] = pair();
    try {
      expect(() => sendFds(a, [0], new Uint8Array(0))).toThrow("sendFds: at least one data byte must accompany the fds");
      expect(() => sendFds(a, Array(MAX_FDS_PER_MESSAGE + 1).fill(0))).toThrow(
        `sendFds: 254 fds exceed the kernel limit of 253 per message`,
      );
      // 253 is fine.
      sendFds(a, Array(MAX_FDS_PER_MESSAGE).fill(a));
      const got = recvFds(b, { maxFds: MAX_FDS_PER_MESSAGE })!;
      expect(got.fds.length).toBe(MAX_FDS_PER_MESSAGE);
      got.fds.forEach((fd) => L.close(fd));
    } finally {
      L.close(a);
      L.close(b);
    }
  });

  test("nonblock returns null when nothing is queued; EOF is empty data", () => {
    const [a, b] = pair();
    expect(recvFds(b, { nonblock: true })).toBeNull();
    L.close(a);
    const got = recvFds(b, { nonblock: true })!;
    expect(got.data.byteLength).toBe(0);
    expect(got.fds).toEqual([]);
    L.close(b);
  });

  test("sending to a closed peer is EPIPE, not SIGPIPE", () => {
    const [a, b] = pair();
    L.close(b);
    let err: any;
    try {
      sendFds(a, [a]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(L.SysError);
    expect(err.message).toBe(`sendmsg(fd ${a}) failed: EPIPE (Broken pipe)`);
    L.close(a);
  });
});

describe("async", () => {
  test("recvFdsAsync waits without blocking the event loop", async () => {
    const [a, b] = pair();
    const m = L.memfdCreate("later");
    try {
      let ticks = 0;
      const iv = setInterval(() => ticks++, 1);
      setTimeout(() => sendFds(a, [m], "late"), 40);
      const got = await recvFdsAsync(b, { timeoutMs: 2000 });
      clearInterval(iv);
      expect(text(got.data)).toBe("late");
      expect(inode(got.fds[0]!)).toBe(inode(m));
      expect(ticks).toBeGreaterThan(5); // timers kept running while we waited
      L.close(got.fds[0]!);
    } finally {
      [a, b, m].forEach((fd) => L.close(fd));
    }
  });

  test("waitReadable times out with OPERATION_TIMEOUT", async () => {
    const [a, b] = pair();
    try {
      const t0 = Date.now();
      let err: any;
      try {
        await waitReadable(b, { timeoutMs: 30 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VirError);
      expect(err.code).toBe(ErrorCode.OPERATION_TIMEOUT);
      expect(err.message).toBe(`timed out waiting for fd ${b} to become readable`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(30);
    } finally {
      L.close(a);
      L.close(b);
    }
  });

  test("waitReadable on a closed fd reports POLLNVAL", async () => {
    const [a, b] = pair();
    L.close(a);
    L.close(b);
    await expect(waitReadable(b, { timeoutMs: 100 })).rejects.toThrow(`poll(fd ${b}): not an open file descriptor (POLLNVAL)`);
  });
});

test("1000 fd-passing round trips leak no fd", () => {
  const [a, b] = pair();
  const m = L.memfdCreate("loop");
  const before = fdKinds();
  for (let i = 0; i < 1000; i++) {
    sendFds(a, [m, m], "p");
    const got = recvFds(b, { maxFds: 2 })!;
    expect(got.fds.length).toBe(2);
    got.fds.forEach((fd) => L.close(fd));
  }
  // Truncation path too: the kernel-installed fds must be closed by recvFds.
  for (let i = 0; i < 100; i++) {
    sendFds(a, [m, m, m], "q");
    expect(() => recvFds(b, { maxFds: 1 })).toThrow(FdPassError);
  }
  expect(fdGrowth(before)).toEqual({});
  [a, b, m].forEach((fd) => L.close(fd));
});
