import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { ErrorCode, VirError } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { runRaw, spawnRaw, waitExit } from "../../src/ffi/process.ts";
import { fdGrowth, fdKinds } from "./fdleak.ts";

test("exit status and signal death, reaped", async () => {
  expect(await runRaw(["sh", "-c", "exit 7"])).toMatchObject({ code: L.CLD_EXITED, status: 7 });
  const pid = spawnRaw(["sleep", "30"]);
  const fd = L.pidfdOpen(pid);
  try {
    L.pidfdSendSignal(fd, L.SIGKILL);
    expect(await waitExit(fd)).toEqual({ pid, code: L.CLD_KILLED, status: L.SIGKILL });
    expect(existsSync(`/proc/${pid}`)).toBe(false); // no zombie
  } finally {
    L.close(fd);
  }
});

test("environment is passed explicitly", async () => {
  const [r, w] = L.pipe2(0); // the child must inherit w: no CLOEXEC
  try {
    const res = await runRaw(["sh", "-c", `printf %s "$BUNVIRT_X" > /proc/self/fd/${w}`], { env: { BUNVIRT_X: "yes", PATH: process.env.PATH } });
    expect(res.status).toBe(0);
    const b = new Uint8Array(8);
    expect(Buffer.from(b.subarray(0, L.read(r, b))).toString()).toBe("yes");
  } finally {
    L.close(r);
    L.close(w);
  }
});

test("errors: missing program, wait timeout", async () => {
  expect(() => spawnRaw(["/nonexistent/prog"])).toThrow('posix_spawnp("/nonexistent/prog") failed: ENOENT (No such file or directory)');
  const pid = spawnRaw(["sleep", "30"]);
  const fd = L.pidfdOpen(pid);
  try {
    let err: any;
    try { await waitExit(fd, { timeoutMs: 20 }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(VirError);
    expect(err.code).toBe(ErrorCode.OPERATION_TIMEOUT);
  } finally {
    L.pidfdSendSignal(fd, L.SIGKILL);
    await waitExit(fd);
    L.close(fd);
  }
});

test("200 spawn+wait cycles: no zombie, no fd leak", async () => {
  const before = fdKinds();
  const pids: number[] = [];
  for (let i = 0; i < 200; i++) {
    const r = await runRaw(["true"]);
    expect(r.code).toBe(L.CLD_EXITED);
    expect(r.status).toBe(0);
    pids.push(r.pid);
  }
  expect(pids.filter((p) => existsSync(`/proc/${p}`))).toEqual([]);
  expect(fdGrowth(before)).toEqual({});
});
