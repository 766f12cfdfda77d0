// Runs inside `unshare -n -m --propagation private` (network and mount namespaces the test
// made): every kind of failed container start, each followed by a look at what it may have left
// behind. Prints JSON for failed-start.test.ts. Never touches the host's interfaces.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { rtnl } from "../../src/plugins/netdev/index.ts";
import { ContainerCgroup } from "../../src/plugins/lxc/cgroup/index.ts";
import { domXml, makeBusyboxRoot, openEmbed } from "./rootfs.ts";

const dir = process.argv[2]!;
const rootfs = makeBusyboxRoot(dir);
const state = join(dir, "state");
const conn = await openEmbed(state);
const r = rtnl();
r.setUp("lo");

/** Every file under `d` with its content (directories as "DIR"). */
function tree(d: string, out: Record<string, string> = {}, rel = ""): Record<string, string> {
  for (const n of readdirSync(d).sort()) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) {
      out[rel + n + "/"] = "DIR";
      tree(p, out, rel + n + "/");
    } else out[rel + n] = readFileSync(p, "utf8");
  }
  return out;
}
const myCmdline = readFileSync("/proc/self/cmdline", "utf8");
/** Processes of ours: forks of this process (same command line) and supervisors under `dir`. */
function processes(): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p) || Number(p) === process.pid) continue;
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (cmd === myCmdline || cmd.includes(dir)) out.push(`${p} ${cmd.replace(/\0/g, " ")}`);
  }
  return out;
}
const fds = () => readdirSync("/proc/self/fd").length;
function snapshot(uuid: string) {
  return {
    root: tree(state),
    cgroups: new ContainerCgroup(`bunvirt/lxc-${uuid}`).dirs.filter((d) => existsSync(d)),
    mounts: readFileSync("/proc/self/mounts", "utf8"),
    links: r.listLinks().map((l) => l.name).sort(),
    processes: processes(),
    fds: fds(),
  };
}

/** What changed between two snapshots. run/next-id is a counter: a start that fails consumes
 * an id, as libvirt's nextvmid does. */
function diff(s0: ReturnType<typeof snapshot>, s1: ReturnType<typeof snapshot>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const s of [s0, s1]) if ("run/next-id" in s.root) s.root["run/next-id"] = "N";
  for (const k of Object.keys(s0) as (keyof typeof s0)[]) {
    if (JSON.stringify(s0[k]) !== JSON.stringify(s1[k])) out[k] = { before: s0[k], after: s1[k] };
  }
  if (s1.cgroups.length) out.cgroups = s1.cgroups;
  return out;
}

let n = 0;
const out: Record<string, unknown> = {};
async function failing(label: string, o: Parameters<typeof domXml>[0], before?: () => void, after?: () => void) {
  const uuid = `0bad0000-0000-4000-8000-${String(++n).padStart(12, "0")}`;
  const xml = domXml({ ...o, name: label }).replace("<name>", `<uuid>${uuid}</uuid><name>`);
  await conn.listAllDomains(0); // the table is loaded, the run dir exists
  const s0 = snapshot(uuid);
  before?.();
  let error = "";
  try {
    await conn.createXML(xml);
    error = "started";
  } catch (e) {
    error = (e as Error).message;
  } finally {
    after?.();
  }
  out[label] = { error, leftovers: diff(s0, snapshot(uuid)) };
}

// A good start first (it also makes the per-process caches: executor, supervisor memfd), and
// it leaves nothing behind either
{
  const uuid = "0bad0000-0000-4000-8000-0000000000ff";
  const s0 = snapshot(uuid);
  const dom = await conn.createXML(domXml({ name: "f-ok", root: rootfs, args: ["-c", "exit 0"] }).replace("<name>", `<uuid>${uuid}</uuid><name>`));
  const st = await conn.waitForStop!(dom);
  const s1 = snapshot(uuid);
  // (the first start makes run/next-id and the per-process cached fds: not compared here)
  const { fds: _f, root: _r, ...rest } = diff(s0, s1);
  out["f-ok"] = { status: st.exitStatus, leftovers: rest };
}
// executor step failure: an init that does not exist (application container: host root)
await failing("f-init", { init: "/no/such/init" });
// the same in a container with its own root
await failing("f-init-root", { root: rootfs, init: "/no/such/init" });
// a bind source that does not exist (the second filesystem: the first is the root)
await failing("f-bind", { root: rootfs, devices: `<filesystem type='mount'><source dir='${dir}/no-such-dir'/><target dir='/mnt'/></filesystem>`, args: ["-c", "true"] });
// a hostdev whose node does not exist, and one that is not a char device
await failing("f-hostdev", { root: rootfs, devices: `<hostdev mode='capabilities' type='misc'><source><char>${dir}/no-such-dev</char></source></hostdev>`, args: ["-c", "true"] });
await failing("f-hostdev-kind", { root: rootfs, devices: `<hostdev mode='capabilities' type='misc'><source><char>${rootfs}/bin/busybox</char></source></hostdev>`, args: ["-c", "true"] });
// netdev failure after the veth exists: a route via a gateway no address reaches
await failing("f-route", { root: rootfs, devices: `<interface type='ethernet'><target dev='vfail0'/><route address='10.9.0.0' prefix='16' gateway='192.168.77.1'/></interface>`, args: ["-c", "true"] });
// netdev failure creating the device: a bridge that does not exist
await failing("f-bridge", { root: rootfs, devices: `<interface type='bridge'><source bridge='nobr0'/><target dev='vfail1'/></interface>`, args: ["-c", "true"] });
// cgroup failure after the cgroups exist (the kernel refusing to move init in)
const addPid = ContainerCgroup.prototype.addPid;
await failing("f-cgroup", { root: rootfs, args: ["-c", "true"] }, () => {
  ContainerCgroup.prototype.addPid = () => {
    throw new Error("cannot write to cgroup.procs: ENOSPC (injected)");
  };
}, () => {
  ContainerCgroup.prototype.addPid = addPid;
});
process.stdout.write(JSON.stringify(out));
process.exit(0);
