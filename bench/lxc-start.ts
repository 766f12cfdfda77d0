// bench: `dist/bunvirt run` of /bin/true in a fresh container vs `crun run` of the same
// (same busybox rootfs), in one run. crun 1.8 fails on hybrid cgroup hosts, so both run inside a
// private mount namespace where /sys/fs/cgroup/unified is unmounted — the same way for both.
// With --libvirt, libvirt 9.0's LXC driver joins in the same namespace: libvirtd is started there
// (or an existing one used) and `virsh -c lxc:///system create` is timed until it returns.
//   sudo node_modules/.bin/bun bench/lxc-start.ts [iterations] [--libvirt]
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { makeBusyboxRoot, removeDir, tempDir } from "../test/lxc/rootfs.ts";

const REPO = join(import.meta.dir, "..");
const BIN = join(REPO, "dist/bunvirt");
const N = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 30);
const WITH_LIBVIRT = process.argv.includes("--libvirt");

if (!process.env.BUNVIRT_BENCH_INNER) {
  if (!existsSync(BIN)) {
    const { build } = await import("../scripts/build-binary.ts");
    build();
  }
  const r = spawnSync("unshare", ["-m", "--propagation", "private", process.execPath, import.meta.path, ...process.argv.slice(2)], { stdio: "inherit", env: { ...process.env, BUNVIRT_BENCH_INNER: "1" } });
  process.exit(r.status ?? 1);
}

// inside the private mount namespace
if (existsSync("/sys/fs/cgroup/unified/cgroup.procs")) spawnSync("umount", ["/sys/fs/cgroup/unified"]);
const dir = tempDir("bunvirt-bench-");
try {
  const rootfs = makeBusyboxRoot(dir);
  const xml = join(dir, "true.xml");
  writeFileSync(xml, `<domain type='lxc'><name>benchtrue</name><memory>65536</memory><os><type>exe</type><init>/bin/true</init></os>
  <devices><filesystem type='mount'><source dir='${rootfs}'/><target dir='/'/></filesystem><console type='pty'/></devices></domain>`);
  const bundle = join(dir, "bundle");
  mkdirSync(bundle);
  spawnSync("crun", ["spec"], { cwd: bundle });
  const spec = JSON.parse(readFileSync(join(bundle, "config.json"), "utf8"));
  spec.process.args = ["/bin/true"];
  spec.process.terminal = false;
  spec.root = { path: rootfs, readonly: false };
  writeFileSync(join(bundle, "config.json"), JSON.stringify(spec));

  const uri = `lxc:///embed?root=${dir}/state`;
  const bunvirt = () => spawnSync(BIN, ["-c", uri, "run", xml], { stdio: ["ignore", "ignore", "inherit"] }).status;
  let k = 0;
  const crun = () => spawnSync("crun", ["--cgroup-manager=cgroupfs", "run", "--bundle", bundle, `bench${process.pid}-${k++}`], { stdio: ["ignore", "ignore", "inherit"] }).status;

  const time = (f: () => number | null) => {
    const t0 = performance.now();
    const st = f();
    if (st !== 0) throw new Error(`exit status ${st}`);
    return performance.now() - t0;
  };
  // warm-up (page cache, executor compile cache)
  time(bunvirt);
  time(crun);
  const median = (x: number[]) => {
    const s = [...x].sort((p, q) => p - q);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  if (WITH_LIBVIRT) await libvirtRuns(xml);
  // Two regimes, because moving a task into a v1 cgroup waits for an RCU grace period (~12-20 ms
  // here) unless another migration happened within the last grace period:
  //   back-to-back: runs alternate with no pause (each may ride on the previous one's grace period)
  //   cold:         300 ms idle before every run (each pays the grace period)
  for (const [mode, pause] of [["back-to-back", 0], ["cold (300 ms idle before each run)", 300]] as const) {
    const a: number[] = [], b: number[] = [];
    for (let i = 0; i < N; i++) {
      if (pause) Bun.sleepSync(pause);
      a.push(time(bunvirt));
      if (pause) Bun.sleepSync(pause);
      b.push(time(crun));
    }
    const ma = median(a), mb = median(b);
    console.log(`lxc start+run /bin/true, ${mode}, ${N} runs each (medians):`);
    console.log(`  dist/bunvirt run : ${ma.toFixed(1)} ms`);
    console.log(`  crun run         : ${mb.toFixed(1)} ms`);
    console.log(`  ratio bunvirt/crun: ${(ma / mb).toFixed(2)}x`);
  }
} finally {
  removeDir(dir);
}

/** libvirt's LXC driver on the same XML, measured like `run`: from `virsh create` until /bin/true
 * has exited and libvirt's per-container controller (libvirt_lxc, pid in /run/libvirt/lxc) is gone. */
async function libvirtRuns(xml: string) {
  const { startPeer } = await import("../test/rpc/peer.ts");
  const peer = await startPeer();
  const gone = (pid: number) => {
    try {
      process.kill(pid, 0);
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
    } catch {
      return true;
    }
  };
  try {
    const create: number[] = [], total: number[] = [];
    for (let i = 0; i < N; i++) {
      const t0 = performance.now();
      const r = spawnSync("virsh", ["-q", "-c", "lxc:///system", "create", xml], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`virsh create: ${r.stderr}`);
      create.push(performance.now() - t0);
      let pid = 0;
      try {
        pid = Number(readFileSync("/run/libvirt/lxc/benchtrue.pid", "utf8"));
      } catch {}
      while (pid && !gone(pid) && performance.now() - t0 < 10_000) Bun.sleepSync(1);
      total.push(performance.now() - t0);
      Bun.sleepSync(50); // let libvirtd finish its own cleanup before the next create
    }
    const med = (x: number[]) => [...x].sort((p, q) => p - q)[Math.floor(x.length / 2)]!.toFixed(1);
    console.log(`libvirt 9.0 LXC, ${N} runs (medians): virsh create returns ${med(create)} ms; until /bin/true exited and libvirt_lxc gone ${med(total)} ms`);
  } finally {
    await peer.stop();
  }
}
