// Runs a netdev test file inside a private network namespace it makes, so no test ever touches
// the host's interfaces. The outer `bun test` registers one test per file that re-executes the
// file under `unshare -n -m` (with /sys remounted so /sys/class/net shows the new netns) and
// checks that the host's link list and /dev/tap* nodes are unchanged afterwards.

import { expect, test } from "bun:test";
import { readdirSync } from "node:fs";
import { getuid } from "../../src/ffi/libc.ts";
import { Rtnl } from "../../src/ffi/netlink/rtnl.ts";
import { VirError } from "../../src/core/errors.ts";

export const IN_PRIVATE_NETNS = process.env.BUNVIRT_TEST_PRIVATE_NETNS === "1";
export const isRoot = getuid() === 0;
const hasUnshare = Bun.which("unshare") !== null;

function hostState(): { links: string[]; taps: string[] } {
  const r = Rtnl.open();
  try {
    const links = r.listLinks().map((l) => `${l.index}:${l.name}:${l.mac}`);
    const taps = readdirSync("/dev").filter((n) => /^tap\d+$/.test(n) || n.startsWith(".bunvirt-")).sort();
    return { links, taps };
  } finally {
    r.close();
  }
}

/**
 * In the outer run: one test that runs `file` inside a fresh netns and fails if it fails or if
 * anything leaked onto the host. Returns true when the caller should define its real tests
 * (i.e. we are already inside the private netns).
 */
export function privateNetns(file: string): boolean {
  if (IN_PRIVATE_NETNS) return true;
  test.skipIf(!isRoot || !hasUnshare)(`${file.split("/").pop()} in a private network namespace (needs root + unshare)`, () => {
    const before = hostState();
    const p = Bun.spawnSync(
      ["unshare", "-n", "-m", "--propagation", "private", "sh", "-c",
        'mount -t sysfs sysfs /sys && exec "$0" test --timeout 60000 "$1"', process.execPath, file],
      { env: { ...process.env, BUNVIRT_TEST_PRIVATE_NETNS: "1" }, stdout: "pipe", stderr: "pipe" },
    );
    const out = p.stdout.toString() + p.stderr.toString();
    if (p.exitCode !== 0) console.error(out);
    expect(p.exitCode).toBe(0);
    // The inner run must have executed tests, not silently skipped everything.
    expect(out).toMatch(/\b[1-9]\d* pass\b/);
    expect(out).toMatch(/\b0 fail\b/);
    expect(hostState()).toEqual(before);
  }, 120_000);
  return false;
}

/** A "container": a process in its own netns (nested inside the test's). Kill it when done. */
export async function spawnNetnsHolder(): Promise<{ pid: number; kill(): Promise<void> }> {
  const self = (await import("node:fs")).readlinkSync("/proc/self/ns/net");
  const p = Bun.spawn(["unshare", "-n", "sleep", "600"], { stdout: "ignore", stderr: "inherit" });
  const { readlinkSync } = await import("node:fs");
  for (let i = 0; i < 500; i++) {
    try {
      if (readlinkSync(`/proc/${p.pid}/ns/net`) !== self) break;
    } catch { /* not yet */ }
    await Bun.sleep(2);
  }
  return {
    pid: p.pid,
    async kill() {
      p.kill("SIGKILL");
      await p.exited;
    },
  };
}

/** Run f and return the VirError it must throw (the netdev tests assert exact messages). */
export function virErr(f: () => unknown): VirError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(VirError);
    return e as VirError;
  }
  throw new Error("expected a VirError");
}
