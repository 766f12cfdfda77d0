// Network interfaces: -netdev backends (fds come from the caller) and NIC frontends.
import { json } from "./argv.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import type { El } from "../xml.ts";
import { hasFlag } from "../caps.ts";

const VIRTIO_OFFLOADS: [string, string, string][] = [
  ["host", "csum", "csum"], ["host", "gso", "gso"], ["host", "tso4", "host_tso4"], ["host", "tso6", "host_tso6"],
  ["host", "ecn", "host_ecn"], ["host", "ufo", "host_ufo"], ["host", "mrg_rxbuf", "mrg_rxbuf"],
  ["guest", "csum", "guest_csum"], ["guest", "tso4", "guest_tso4"], ["guest", "tso6", "guest_tso6"],
  ["guest", "ecn", "guest_ecn"], ["guest", "ufo", "guest_ufo"],
];

const isPow2 = (n: number) => n > 0 && (n & (n - 1)) === 0;

export const netModel = (n: El) => n.kids.find((k) => k.name === "model")?.attrs.type ?? "rtl8139";

function netdev(ctx: Ctx, n: El, i: number, type: string, virtio: boolean, queues: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  const drvName = n.kids.find((k) => k.name === "driver")?.attrs.name;
  const tapLike = (kind: "ethernet" | "bridge") => {
    const fds = ctx.opts.fds.tap(n, i, queues, kind);
    o.type = "tap";
    if (queues > 1) o.fds = fds.join(":");
    else o.fd = String(fds[0]);
    const vhost = virtio && drvName !== "qemu" ? ctx.opts.fds.vhost(n, i, queues) : undefined;
    if (vhost) {
      o.vhost = true;
      if (queues > 1) o.vhostfds = vhost.join(":");
      else o.vhostfd = String(vhost[0]);
    }
    const sndbuf = n.child("tune")?.t("sndbuf");
    if (sndbuf !== undefined) o.sndbuf = Number(sndbuf);
  };
  switch (type) {
    case "user": {
      const backend = n.child("backend");
      const btype = backend?.a("type");
      if (n.kids.some((k) => k.name === "portForward") && btype !== "passt") {
        throw unsupported("The <portForward> element can only be used with <interface type='user'> and its 'passt' backend");
      }
      if (btype === "passt") {
        o.type = "stream";
        o.addr = { type: "unix", path: `${ctx.opts.runDir}/passt/${ctx.opts.id}-${ctx.name.slice(0, 20)}-net${i}.socket` };
        o.server = false;
        if (hasFlag(ctx.opts.caps, "netdev.stream.reconnect")) o.reconnect = 5;
        break;
      }
      if (btype) throw unsupported(`interface backend '${btype}'`);
      o.type = "user";
      for (const ip of n.all("ip")) {
        const fam = ip.a("family") ?? "ipv4";
        if (fam === "ipv4") o.net = `${ip.a("address")}/${ip.a("prefix") ?? 24}`;
        else {
          o["ipv6-prefix"] = ip.a("address");
          o["ipv6-prefixlen"] = Number(ip.a("prefix") ?? 64);
        }
      }
      break;
    }
    case "ethernet": {
      const target = n.child("target");
      target?.a("dev");
      target?.a("managed");
      n.child("script")?.a("path");
      const src = n.child("source");
      if (src) src.consume(); // host-side IPs/routes: put on the tap at start (hostnet.ts)
      for (const ip of n.kids.filter((k) => k.name === "ip" || k.name === "route")) ip.consume();
      tapLike("ethernet");
      break;
    }
    case "bridge":
    case "direct": {
      const src = n.child("source")!;
      src.a(type === "bridge" ? "bridge" : "dev");
      if (type === "direct") src.a("mode");
      n.child("target")?.a("dev");
      tapLike("bridge");
      break;
    }
    case "server":
    case "client":
    case "mcast":
    case "udp": {
      const src = n.child("source")!;
      const hp = `${src.a("address")}:${src.a("port")}`;
      o.type = "socket";
      o[{ server: "listen", client: "connect", mcast: "mcast", udp: "udp" }[type]!] = hp;
      if (type === "udp") {
        const l = src.child("local")!;
        o.localaddr = `${l.a("address")}:${l.a("port")}`;
      }
      break;
    }
    default:
      throw unsupported(`interface type '${type}'`);
  }
  o.id = `hostnet${i}`;
  return o;
}

export function buildNets(ctx: Ctx): void {
  ctx.devs.all("interface").forEach((n, i) => {
    const type = n.a("type")!;
    if (type === "hostdev") return; // emitted with the hostdevs, as libvirt does
    const model = netModel(n);
    n.child("model")?.a("type");
    const virtio = model === "virtio";
    const drv = n.child("driver");
    const queues = Number(drv?.a("queues") ?? 1);
    const dev: Record<string, unknown> = { driver: virtio ? "virtio-net-pci" : model };
    if (virtio) {
      drv?.a("name");
      const tx = drv?.a("txmode");
      if (tx) dev.tx = tx === "iothread" ? "bh" : "timer";
      const ioev = drv?.a("ioeventfd");
      if (ioev) dev.ioeventfd = ioev === "on";
      const ev = drv?.a("event_idx");
      if (ev) dev.event_idx = ev === "on";
      for (const [side, attr, prop] of VIRTIO_OFFLOADS) {
        const v = drv?.child(side)?.a(attr);
        if (v) dev[prop] = v === "on";
      }
      if (queues > 1) {
        dev.mq = true;
        dev.vectors = 2 * queues + 2;
      }
      for (const q of ["rx_queue_size", "tx_queue_size"]) {
        const v = drv?.a(q);
        if (v === undefined) continue;
        if (!isPow2(Number(v))) throw unsupported(`${q} has to be a power of two`);
        dev[q] = Number(v);
      }
      const mtu = n.child("mtu")?.a("size");
      if (mtu) dev.host_mtu = Number(mtu);
    } else if (drv) {
      // <driver name='vhost'> on a non-virtio NIC: libvirt ignores it.
      drv.a("name");
      if (drv.kids.length || Object.keys(drv.attrs).some((k) => k !== "name")) throw unsupported(drv.path());
    }
    const nd = netdev(ctx, n, i, type, virtio, queues);
    push(ctx, "-netdev", json(nd));
    n.child("link")?.a("state"); // applied over QMP (set_link) once QEMU runs
    dev.netdev = `hostnet${i}`;
    dev.id = `net${i}`;
    dev.mac = n.child("mac")?.a("address");
    const boot = ctx.bootIndex.get(n);
    if (boot !== undefined) dev.bootindex = boot;
    Object.assign(dev, ctx.pciProps(n));
    const u = n.firstUnused();
    if (u) throw unsupported(u);
    push(ctx, "-device", json(dev));
  });
}
