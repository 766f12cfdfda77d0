// `list --all` against bunvirt's daemon and libvirtd on the same host, in one run.
//
//   bun bench/rpc.ts [--seconds N] [--start-libvirtd]
//
// Both daemons serve test:///default (same fixture, no privileges), so the difference is the
// daemon: socket handling, XDR, dispatch. Two measures per daemon:
//   virsh     — `virsh -c test+unix:///default?socket=S list --all` processes (what a script pays)
//   protocol  — CONNECT_LIST_ALL_DOMAINS over one connection with our client: sequential
//               round trips, and 32 calls in flight
// libvirtd is used when its socket answers (/var/run/libvirt/libvirt-sock); --start-libvirtd
// starts one (as DESIGN.md describes) when none runs, and stops it by pid at the end.

import { existsSync, mkdtempSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RpcClient } from "../src/core/rpc/client.ts";
import { remoteProcs, RemoteProc } from "../src/core/rpc/procedures/remote.ts";

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1] ?? 0) || 3;
const LIBVIRTD_SOCK = "/var/run/libvirt/libvirt-sock";

async function virshLoop(sock: string, workers: number): Promise<number> {
  const uri = `test+unix:///default?socket=${sock}`;
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const p = Bun.spawn(["virsh", "-c", uri, "list", "--all"], { stdio: ["ignore", "ignore", "inherit"], env: { PATH: process.env.PATH, HOME: "/nonexistent" } });
        if ((await p.exited) !== 0) throw new Error(`virsh failed against ${sock}`);
        n++;
      }
    }),
  );
  return n / SECONDS;
}

async function protocolLoop(sock: string, inflight: number): Promise<number> {
  const rpc = RpcClient.connect(sock);
  await rpc.call(RemoteProc.AUTH_LIST);
  await rpc.call(RemoteProc.CONNECT_OPEN, { name: "test:///default", flags: 0 });
  const def = remoteProcs.get(RemoteProc.CONNECT_LIST_ALL_DOMAINS)!;
  const end = performance.now() + SECONDS * 1000;
  let n = 0;
  await Promise.all(
    Array.from({ length: inflight }, async () => {
      while (performance.now() < end) {
        const r = await rpc.callFds(def, { need_results: 1, flags: 3 });
        if (r.ret.domains.length < 1) throw new Error("no domains listed");
        n++;
      }
    }),
  );
  await rpc.call(RemoteProc.CONNECT_CLOSE);
  rpc.close();
  return n / SECONDS;
}

function answers(sock: string): boolean {
  if (!existsSync(sock)) return false;
  try {
    RpcClient.connect(sock).close();
    return true;
  } catch {
    return false;
  }
}

async function startLibvirtd(): Promise<number> {
  for (const d of ["/var/log/libvirt", "/var/run/libvirt", "/var/lib/libvirt/qemu"]) mkdirSync(d, { recursive: true });
  const pidFile = join(tmpdir(), `bench-rpc-libvirtd-${process.pid}.pid`);
  // libvirt 9.0's cgroup code trips over the hybrid layout's empty v2 mount: hide it in a private mount ns
  const p = Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", `umount /sys/fs/cgroup/unified 2>/dev/null; exec libvirtd -d -p ${pidFile}`]);
  await p.exited;
  for (let i = 0; i < 100 && !answers(LIBVIRTD_SOCK); i++) await Bun.sleep(50);
  return Number(await Bun.file(pidFile).text());
}

const root = mkdtempSync(join(tmpdir(), "bench-rpc-"));
const daemon = Bun.spawn([process.execPath, join(import.meta.dir, "../src/main.ts"), "daemon", "--root", root], { stdio: ["ignore", "ignore", "ignore"] });
const ours = join(root, "bunvirt-sock");
for (let i = 0; i < 200 && !answers(ours); i++) await Bun.sleep(25);

let startedLibvirtd = 0;
if (!answers(LIBVIRTD_SOCK) && args.includes("--start-libvirtd")) startedLibvirtd = await startLibvirtd();
const targets: [string, string][] = [["bunvirt daemon", ours]];
if (answers(LIBVIRTD_SOCK)) targets.push(["libvirtd 9.0", LIBVIRTD_SOCK]);
else console.log("libvirtd: not running (pass --start-libvirtd to start one); measuring bunvirt only");

try {
  console.log(`list --all calls per second (${SECONDS} s each, ${navigator.hardwareConcurrency} cores)`);
  console.log(`${"daemon".padEnd(16)} ${"virsh x1".padStart(10)} ${"virsh x2".padStart(10)} ${"rpc seq".padStart(10)} ${"rpc x32".padStart(10)}`);
  for (const [name, sock] of targets) {
    const v1 = await virshLoop(sock, 1);
    const v2 = await virshLoop(sock, 2);
    const r1 = await protocolLoop(sock, 1);
    const r32 = await protocolLoop(sock, 32);
    console.log(`${name.padEnd(16)} ${v1.toFixed(0).padStart(10)} ${v2.toFixed(0).padStart(10)} ${r1.toFixed(0).padStart(10)} ${r32.toFixed(0).padStart(10)}`);
  }
} finally {
  daemon.kill("SIGTERM");
  await daemon.exited;
  rmSync(root, { recursive: true, force: true });
  if (startedLibvirtd > 0) process.kill(startedLibvirtd, "SIGTERM");
}
