// Runs inside `unshare -n`: every libvirt lxcxml2xml input that describes a runnable container,
// started for real. Host-specific paths are mapped onto what this test made: rootfs directories
// → a busybox rootfs, /dev/sdf1 and /dev/tty0 → device nodes of our own, eth0 and bri0 → links in
// this private netns; init → /bin/sh printing a marker (the cases' /sbin/init would boot a distro).
import { appendFileSync, mkdirSync, readFileSync, readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { rtnl } from "../../src/plugins/netdev/index.ts";
import { makeBusyboxRoot, openEmbed, readConsole } from "./rootfs.ts";

const [dir, dataDir] = process.argv.slice(2) as [string, string];
const root = makeBusyboxRoot(dir);
mkdirSync(`${root}/path/to/pwd`, { recursive: true });
appendFileSync(`${root}/etc/passwd`, "tester:x:1000:1000:tester:/:/bin/sh\n");
mkdirSync(`${dir}/dev`);
spawnSync("mknod", ["-m", "0660", `${dir}/dev/sdf1`, "b", "7", "201"]);
spawnSync("mknod", ["-m", "0620", `${dir}/dev/tty0`, "c", "4", "0"]);
const r = rtnl();
r.setUp("lo");
r.createBridge("bri0");
r.createVeth("eth0", "eth0peer");
const conn = await openEmbed(`${dir}/state`);

const PID_MAX = readFileSync("/proc/sys/kernel/pid_max", "utf8").trim();
const script = (name: string) => `echo ok ${name} $(id -u):$(id -g) $(pwd) FOO=$FOO; ls /sys/class/net | tr '\\n' ' '; echo; grep CapBnd /proc/self/status; ip -4 -o addr show scope global | cut -d' ' -f2,7 | tr '\\n' ' '; ip route | grep default; [ $(hostname) = container1 ] && echo uts-shared; true`;
const results: Record<string, unknown> = {};
const cases = readdirSync(dataDir).filter((x) => x.endsWith(".xml")).sort().map((f) => f.replace(/\.xml$/, ""));
// The cases whose only obstacle is a route via an unreachable gateway, once more without it.
cases.push("lxc-ethernet~reachable", "lxc-idmap~reachable", "lxc-ethernet-hostip~reachable");
// lxc-sharenet's sources exist here: netns 'red' (this private mount ns), pid 12345 → a process of
// ours, domain 'container1' → a container of ours
cases.push("lxc-sharenet~present");
spawnSync("ip", ["netns", "add", "red"]);
const other = Bun.spawn(["sleep", "30"]);
const c1 = await conn.createXML(`<domain type='lxc'><name>container1</name><memory>65536</memory><os><type>exe</type><init>/bin/sleep</init><initarg>30</initarg></os>
  <devices><filesystem type='mount'><source dir='${root}'/><target dir='/'/></filesystem><console type='pty'/></devices></domain>`);
for (const name of cases) {
  const [base, variant] = name.split("~") as [string, string | undefined];
  let xml = readFileSync(`${dataDir}/${base}.xml`, "utf8");
  if (variant === "reachable") xml = xml.replace(/<route [^>]*address='192\.168\.124\.0'[^>]*\/>/g, "");
  if (variant === "present") xml = xml.replace("value='12345'", `value='${other.pid}'`);
  // the plain case needs pid 12345 absent, but on a busy host it may exist: pid_max never does
  else if (base === "lxc-sharenet") xml = xml.replace("value='12345'", `value='${PID_MAX}'`);
  xml = xml
    .replace(/<source dir='(\/mach\/[^']+|\/root\/container)'\/>/g, `<source dir='${root}'/>`)
    .replace(/<init>[^<]*<\/init>/, `<init>/bin/sh</init><initarg>-c</initarg><initarg>${script(name)}</initarg>`)
    .replace(/<initarg>(--unit|emergency\.service)<\/initarg>/g, "")
    .replace("<block>/dev/sdf1</block>", `<block>${dir}/dev/sdf1</block>`)
    .replace("<char>/dev/tty0</char>", `<char>${dir}/dev/tty0</char>`);
  try {
    const dom = await conn.createXML(xml);
    const cs = await conn.openConsole!(dom);
    const out = readConsole(cs.fd, 5000).replace(/\r\n/g, "\n");
    cs.close();
    const st = await conn.waitForStop!(dom);
    results[name] = { out, status: st.exitStatus };
  } catch (e) {
    results[name] = { error: (e as Error).message };
  }
}
await conn.destroy(c1);
other.kill();
spawnSync("ip", ["netns", "delete", "red"]);
results.links = r.listLinks().map((l) => l.name).sort();
console.log(JSON.stringify(results));
