// Runs inside `unshare -n` (a network namespace the test made): container networking scenarios,
// printed as JSON for net.test.ts. Never touches the host's interfaces.
import { Rtnl, rtnl } from "../../src/plugins/netdev/index.ts";
import { domXml, makeBusyboxRoot, openEmbed, readConsole } from "./rootfs.ts";
import { readFileSync } from "node:fs";

const dir = process.argv[2]!;
const root = makeBusyboxRoot(dir);
const conn = await openEmbed(`${dir}/state`);
const r = rtnl();
r.setUp("lo");
r.createBridge("br0");
r.createVeth("dum0", "dum0peer"); // macvlan parent (no dummy driver on every kernel)
r.setUp("dum0");
r.createVeth("hd0", "hd0peer");
const out: Record<string, unknown> = {};
const links = () => r.listLinks().map((l) => l.name).sort();
out.linksBefore = links();

async function inContainer(name: string, devices: string, script: string, whileRunning?: () => void) {
  const dom = await conn.createXML(domXml({ name, root, devices, args: ["-c", `${script}; sleep 30`] }));
  const cs = await conn.openConsole!(dom);
  const text = readConsole(cs.fd, 400).replace(/\r\n/g, "\n");
  cs.close();
  const live = await conn.getXMLDesc(dom);
  whileRunning?.();
  await conn.destroy(dom);
  return { text, live };
}

// ethernet: veth, host side named by <target dev>, ip and route inside
{
  const devices = `<interface type='ethernet'><mac address='52:54:00:12:34:56'/><target dev='vhost0'/><ip address='192.168.77.2' prefix='24'/><route address='10.9.0.0' prefix='16' gateway='192.168.77.1'/></interface>`;
  let hostUp = false;
  const res = await inContainer("eth1", devices, "cat /sys/class/net/eth0/address; ip -4 -o addr show eth0 | cut -d' ' -f7; ip route | grep 10.9", () => {
    hostUp = !!r.getLink("vhost0");
  });
  out.ethernet = { text: res.text, hostUp, liveTarget: /<target dev='vhost0'\/>/.test(res.live), liveAlias: res.live.includes("<alias name='net0'/>"), liveGuest: res.live.includes("<guest actual='eth0'/>"), after: !!r.getLink("vhost0") };
}
// bridge: host end enslaved to br0, default name vnetN
{
  let master = "";
  const res = await inContainer("br1", `<interface type='bridge'><source bridge='br0'/></interface>`, "ls /sys/class/net | tr '\\n' ' '", () => {
    const m = /<target dev='(vnet\d+)'\/>/.exec(readFileSync(`${dir}/state/run/br1.json`, "utf8").replace(/\\"/g, "'"));
    master = m ? `${m[1]}:${r.getLink(m[1]!)?.master ? r.getLink(r.getLink(m[1]!)!.master!)?.name : ""}` : "no-target";
  });
  out.bridge = { text: res.text, master };
}
// direct: macvlan on dum0 moved in as eth0 (its kind read through a netlink socket in that netns)
{
  let kind = "";
  const res = await inContainer("dir1", `<interface type='direct'><source dev='dum0' mode='bridge'/></interface>`, "ls /sys/class/net | tr '\\n' ' '", () => {
    const { initPid } = JSON.parse(readFileSync(`${dir}/state/run/dir1.json`, "utf8")).runtime;
    const inside = Rtnl.open({ pid: initPid });
    kind = inside.getLink("eth0")?.kind ?? "none";
    inside.close();
  });
  out.direct = { text: res.text, kind };
}
// hostdev net: hd0 moved in, back under its name at stop
{
  let hostSeen = true;
  const res = await inContainer("hd1", `<hostdev mode='capabilities' type='net'><source><interface>hd0</interface></source></hostdev>`, "ls /sys/class/net | tr '\\n' ' '", () => {
    hostSeen = !!r.getLink("hd0");
  });
  out.hostdevNet = { text: res.text, hostSeenWhileRunning: hostSeen, back: !!r.getLink("hd0") };
}
// <features><privnet/>: only lo
{
  const dom = await conn.createXML(domXml({ name: "priv1", root, extra: "<features><privnet/></features>", args: ["-c", "ls /sys/class/net | tr '\\n' ' '"] }));
  const cs = await conn.openConsole!(dom);
  out.privnet = readConsole(cs.fd).replace(/\r\n/g, "\n");
  cs.close();
  await conn.waitForStop!(dom);
}
// 200 start/destroy cycles of a container with a veth: no netdev left behind
{
  const before = links();
  const dom = await conn.defineXML(domXml({ name: "cyc1", root, init: "/bin/sleep", args: ["30"], devices: "<interface type='bridge'><source bridge='br0'/><ip address='10.1.1.2' prefix='24'/></interface>" }));
  for (let i = 0; i < 200; i++) {
    await conn.create(dom);
    await conn.destroy(dom);
  }
  await conn.undefine(dom);
  out.cycles = { same: JSON.stringify(links()) === JSON.stringify(before), bridgePorts: r.listLinks().filter((l) => l.master === r.getLink("br0")!.index).length };
}
out.linksAfter = links();
console.log(JSON.stringify(out));
