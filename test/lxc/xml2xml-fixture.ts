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

const script = (name: string) => `echo ok ${name} $(id -u):$(id -g) $(pwd) FOO=$FOO; ls /sys/class/net | tr '\\n' ' '; echo; grep CapBnd /proc/self/status; ip -4 -o addr show scope global | cut -d' ' -f2,7 | tr '\\n' ' '; ip route | grep default; true`;
const results: Record<string, unknown> = {};
const cases = readdirSync(dataDir).filter((x) => x.endsWith(".xml")).sort().map((f) => f.replace(/\.xml$/, ""));
// The cases whose only obstacle is a route via an unreachable gateway, once more without it.
cases.push("lxc-ethernet~reachable", "lxc-idmap~reachable", "lxc-ethernet-hostip~reachable");
for (const name of cases) {
  const [base, variant] = name.split("~") as [string, string | undefined];
  let xml = readFileSync(`${dataDir}/${base}.xml`, "utf8");
  if (variant) xml = xml.replace(/<route [^>]*address='192\.168\.124\.0'[^>]*\/>/g, "");
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
results.links = r.listLinks().map((l) => l.name).sort();
console.log(JSON.stringify(results));
