// The real FdSource: opens taps, macvtaps, vhost-net, sockets and files for one QEMU start and
// lays them out as child fds 3, 4, … for Bun.spawn's stdio array.
import { openSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { errors, ErrorDomain, VirError } from "../../core/errors.ts";
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM, O_RDWR, O_CLOEXEC, bindUnix, closeQuiet, listen, open, socket } from "../../ffi/libc.ts";
import { openTap, createMacvtap, rtnl } from "../netdev/index.ts";
import type { FdSource } from "./command/index.ts";
import { El } from "./xml.ts";
import { configureEthernet } from "./hostnet.ts";

export interface NetRecord {
  name: string;
  kind: "tap" | "macvtap";
  managed: boolean;
}

export class HostFds implements FdSource {
  /** Parent fds in child order: child fd = 3 + index. */
  readonly passed: number[] = [];
  readonly nets: NetRecord[] = [];
  private teardowns: (() => void)[] = [];

  constructor(private readonly monitorFd: number, private readonly domName: string) {}

  private pass(fd: number): number {
    this.passed.push(fd);
    return 2 + this.passed.length;
  }

  monitor(): number {
    return this.pass(this.monitorFd);
  }

  tap(net: El, i: number, queues: number, _kind: "ethernet" | "bridge"): number[] {
    try {
      return this.openNet(net, queues);
    } catch (e) {
      // netdev names the device; say which domain and interface wanted it.
      if (e instanceof VirError) throw new VirError(e.code, ErrorDomain.QEMU, `domain '${this.domName}' interface ${i} (type '${net.attrs.type}'): ${e.message}`);
      throw e;
    }
  }

  private openNet(net: El, queues: number): number[] {
    const type = net.attrs.type;
    const mac = net.kids.find((k) => k.name === "mac")?.attrs.address;
    if (!mac) throw errors.internal("interface without a MAC address", ErrorDomain.QEMU);
    const target = net.kids.find((k) => k.name === "target");
    const src = net.kids.find((k) => k.name === "source");
    const vnetHdr = net.kids.find((k) => k.name === "model")?.attrs.type === "virtio";
    const unmanaged = target?.attrs.managed === "no";
    // libvirt's auto-generated names are not requests for a specific device.
    const wanted = target?.attrs.dev && !/^(vnet|macvtap)\d+$/.test(target.attrs.dev) ? target.attrs.dev : undefined;
    let dev: { fds: number[]; name: string; teardown(): void; closeFds(): void; managed: boolean };
    let kind: NetRecord["kind"] = "tap";
    if (type === "direct") {
      dev = createMacvtap({ source: src?.attrs.dev, mode: (src?.attrs.mode ?? "vepa") as "vepa", mac, vnetHdr, queues, name: wanted });
      kind = "macvtap";
    } else if (unmanaged && rtnl().getLink(target!.attrs.dev!)?.kind === "macvtap") {
      dev = createMacvtap({ name: target!.attrs.dev, managed: false, mac, vnetHdr, queues });
      kind = "macvtap";
    } else {
      // <mtu size> sets the tap's MTU too (a managed tap otherwise takes the bridge's).
      const mtu = net.kids.find((k) => k.name === "mtu")?.attrs.size;
      dev = openTap({ name: unmanaged ? target?.attrs.dev : wanted, managed: !unmanaged, mac, vnetHdr, queues, bridge: type === "bridge" ? src?.attrs.bridge : undefined, ...(mtu && !unmanaged ? { mtu: Number(mtu) } : {}) });
    }
    this.nets.push({ name: dev.name, kind, managed: dev.managed });
    this.teardowns.push(() => dev.teardown());
    if (type === "ethernet" && dev.managed) configureEthernet(net, dev.name);
    // Our copies are closed once QEMU has its own (closeAll), the device stays with QEMU's.
    this.closers.push(() => dev.closeFds());
    // The live definition names the device we made, as libvirt's does.
    if (!unmanaged) (target ?? net.insert(new El("target"), ["model", "driver", "alias", "address"])).set("dev", dev.name);
    return dev.fds.map((fd) => this.pass(fd));
  }

  private closers: (() => void)[] = [];

  vhost(_net: El, _i: number, queues: number): number[] | undefined {
    if (!existsSync("/dev/vhost-net")) return undefined;
    const out: number[] = [];
    for (let q = 0; q < queues; q++) {
      const fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
      this.closers.push(() => closeQuiet(fd));
      out.push(this.pass(fd));
    }
    return out;
  }

  /** Socket files we bound: removed when the domain stops. */
  readonly files: string[] = [];

  listenSocket(_alias: string, path: string): number {
    const fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    this.closers.push(() => closeQuiet(fd));
    mkdirSync(dirname(path), { recursive: true, mode: 0o750 });
    rmSync(path, { force: true }); // a stale socket from an earlier run
    bindUnix(fd, path);
    this.files.push(path);
    listen(fd, 1);
    return this.pass(fd);
  }

  outputFile(_alias: string, path: string, append: boolean): number {
    const fd = openSync(path, append ? "a" : "w", 0o600);
    this.closers.push(() => closeQuiet(fd));
    return this.pass(fd);
  }

  /** After spawn: drop our copies. */
  closeAll(): void {
    for (const c of this.closers) c();
    this.closers = [];
  }

  /** On failure: also delete what we created. */
  teardown(): void {
    this.closeAll();
    for (const f of this.files) rmSync(f, { force: true });
    for (const t of this.teardowns) {
      try {
        t();
      } catch {}
    }
  }
}
