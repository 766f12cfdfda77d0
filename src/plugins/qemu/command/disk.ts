// Disks: -blockdev storage (and format) nodes plus the frontend -device.
import { json } from "./argv.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import { diskIndex } from "../defaults.ts";
import type { El } from "../xml.ts";
import { hasFlag } from "../caps.ts";
import { statSync } from "node:fs";

/** SCSI CD-ROM block devices (sr, major 11): how the host tells a CD-ROM drive. */
function hostIsCdrom(path: string): boolean {
  try {
    const st = statSync(path);
    return st.isBlockDevice() && Math.floor(st.rdev / 256) % 4096 === 11;
  } catch {
    return false;
  }
}

/** libvirt's cache modes as QEMU's cache.direct / cache.no-flush / write-cache. */
const CACHE: Record<string, { direct: boolean; noFlush: boolean; wc: "on" | "off" }> = {
  none: { direct: true, noFlush: false, wc: "on" },
  writeback: { direct: false, noFlush: false, wc: "on" },
  writethrough: { direct: false, noFlush: false, wc: "off" },
  directsync: { direct: true, noFlush: false, wc: "off" },
  unsafe: { direct: false, noFlush: true, wc: "on" },
};

/** Model of the SCSI controller a disk sits on. */
function scsiModel(d: El): string | undefined {
  const c = d.kids.find((k) => k.name === "address")?.attrs.controller ?? "0";
  return d.parent?.kids.find((k) => k.name === "controller" && k.attrs.type === "scsi" && (k.attrs.index ?? "0") === c)?.attrs.model;
}

export function diskAlias(d: El): string {
  const t = d.kids.find((k) => k.name === "target")!;
  const bus = t.attrs.bus!;
  const a = d.kids.find((k) => k.name === "address")?.attrs ?? {};
  const idx = diskIndex(t.attrs.dev!);
  switch (bus) {
    case "scsi":
      // lsilogic addresses by unit only; other SCSI controllers by bus, target and unit.
      return scsiModel(d) === "lsilogic"
        ? `scsi${a.controller ?? 0}-${a.bus ?? 0}-${a.unit ?? 0}`
        : `scsi${a.controller ?? 0}-${a.bus ?? 0}-${a.target ?? 0}-${a.unit ?? 0}`;
    case "ide":
      return `ide${a.controller ?? 0}-${a.bus ?? 0}-${a.unit ?? 0}`;
    case "sata":
      return `sata${a.controller ?? 0}-0-${a.unit ?? 0}`;
    case "fdc":
      return `fdc0-0-${a.unit ?? 0}`;
    case "virtio":
      return `virtio-disk${idx}`;
    case "usb":
      return `usb-disk${idx}`;
  }
  throw unsupported(`disk bus '${bus}'`);
}

interface Source {
  node: Record<string, unknown>;
  local: boolean;
}

function storageNode(d: El, src: El, type: string, device: string, isCdrom: (path: string) => boolean): Source {
  switch (type) {
    case "file":
      return { node: { driver: "file", filename: src.a("file") }, local: true };
    case "block":
      // host_cdrom only for a real CD-ROM drive on the host (libvirt's virFileIsCDROM).
      return { node: { driver: device === "cdrom" && isCdrom(src.attrs.dev!) ? "host_cdrom" : "host_device", filename: src.a("dev") }, local: true };
    case "network": {
      const proto = src.a("protocol")!;
      const name = src.a("name") ?? "";
      const hosts = src.all("host");
      const h = hosts[0];
      if (src.child("auth") || d.child("auth")) throw unsupported(`${src.path()}/auth`);
      if (proto === "nbd") {
        const server = { type: "inet", host: h?.a("name"), port: h?.a("port") ?? "10809" };
        return { node: { driver: "nbd", server, ...(name ? { export: name } : {}) }, local: false };
      }
      if (["http", "https", "ftp", "ftps"].includes(proto)) {
        const port = h?.a("port") ?? { http: "80", https: "443", ftp: "21", ftps: "990" }[proto];
        const q = src.a("query");
        return { node: { driver: proto, url: `${proto}://${h?.a("name")}:${port}${name.startsWith("/") ? "" : "/"}${name}${q ? "?" + q : ""}` }, local: false };
      }
      throw unsupported(`disk protocol '${proto}'`);
    }
  }
  throw unsupported(`disk type '${type}'`);
}

export function buildFloppyGlobals(ctx: Ctx): void {
  for (const d of ctx.devs.kids.filter((k) => k.name === "disk" && k.attrs.device === "floppy")) {
    const b = ctx.bootIndex.get(d);
    if (b === undefined) continue;
    const unit = d.kids.find((k) => k.name === "address")?.attrs.unit ?? "0";
    push(ctx, "-global", `isa-fdc.bootindex${unit === "0" ? "A" : "B"}=${b}`);
  }
}

export function buildDisks(ctx: Ctx): void {
  const disks = ctx.devs.all("disk");
  // Node names count down over all disks, empty drives included, as libvirt numbers them.
  let remaining = disks.length + 1;
  for (const d of disks) {
    const n = --remaining;
    const type = d.a("type") ?? "file";
    const device = d.a("device") ?? "disk";
    const target = d.child("target")!;
    const bus = target.a("bus")!;
    target.a("dev");
    target.a("tray");
    const src = d.child("source");
    const drv = d.child("driver");
    drv?.a("name");
    const format = drv?.a("type") ?? "raw";
    const cacheMode = drv?.a("cache");
    const cache = cacheMode ? CACHE[cacheMode] : undefined;
    if (cacheMode && !cache) throw unsupported(`disk cache mode '${cacheMode}'`);
    const readonly = !!d.child("readonly");
    const addr = d.child("address");
    if (addr) for (const k of Object.keys(addr.attrs)) addr.a(k);
    if (bus === "usb" && !src && device === "cdrom") throw unsupported("'usb' disk must not be empty");
    let drive: string | undefined;
    if (src) {
      const storage = `libvirt-${n}-storage`;
      const { node } = storageNode(d, src, type, device, ctx.opts.isCdrom ?? hostIsCdrom);
      for (const k of src.kids) if (!k.used) throw unsupported(k.path());
      for (const k of ["startupPolicy", "index"]) src.a(k);
      const cacheObj = cache ? { cache: { direct: cache.direct, "no-flush": cache.noFlush } } : {};
      if (format !== "raw" && format !== "qcow2") throw unsupported(`disk format '${format}'`);
      // A raw image needs no format node once block jobs can mask the protocol layer (QEMU ≥ 8.1).
      if (format === "raw" && hasFlag(ctx.opts.caps, "blockjob.backing-mask-protocol")) {
        push(ctx, "-blockdev", json({ ...node, "node-name": storage, ...cacheObj, "read-only": readonly }));
        drive = storage;
      } else {
        const fmt = `libvirt-${n}-format`;
        push(ctx, "-blockdev", json({ ...node, "node-name": storage, "auto-read-only": true, discard: "unmap", ...cacheObj }));
        push(ctx, "-blockdev", json({ "node-name": fmt, "read-only": readonly, ...cacheObj, driver: format, file: storage }));
        drive = fmt;
      }
    }
    const alias = diskAlias(d);
    const a = addr?.attrs ?? {};
    const boot = ctx.bootIndex.get(d);
    let dev: Record<string, unknown>;
    switch (bus) {
      case "ide":
      case "sata":
        // q35's built-in AHCI (sata0) names its buses 'ide.N'; an added AHCI controller 'sataN.U'.
        dev = {
          driver: device === "cdrom" ? "ide-cd" : "ide-hd",
          bus: bus === "ide" ? `ide.${a.bus ?? 0}` : `${ctx.q35 && (a.controller ?? "0") === "0" ? "ide" : `sata${a.controller ?? 0}`}.${a.unit ?? 0}`,
          ...(bus === "ide" ? { unit: Number(a.unit ?? 0) } : {}),
        };
        break;
      case "fdc":
        dev = { driver: "floppy", unit: Number(a.unit ?? 0) };
        break;
      case "scsi":
        dev = scsiModel(d) === "lsilogic"
          ? { driver: device === "cdrom" ? "scsi-cd" : "scsi-hd", bus: `scsi${a.controller ?? 0}.${a.bus ?? 0}`, "scsi-id": Number(a.unit ?? 0), device_id: `drive-${alias}` }
          : {
            driver: device === "cdrom" ? "scsi-cd" : "scsi-hd", bus: `scsi${a.controller ?? 0}.0`, channel: Number(a.bus ?? 0),
            "scsi-id": Number(a.target ?? 0), lun: Number(a.unit ?? 0), device_id: `drive-${alias}`,
          };
        break;
      case "virtio": {
        dev = { driver: "virtio-blk-pci" };
        const ev = drv?.a("event_idx");
        if (ev) dev.event_idx = ev === "on";
        const q = drv?.a("queues");
        if (q) dev["num-queues"] = Number(q);
        const qs = drv?.a("queue_size");
        if (qs) dev["queue-size"] = Number(qs);
        Object.assign(dev, ctx.pciProps(d));
        break;
      }
      case "usb":
        dev = { driver: "usb-storage", ...ctx.usbProps(d) };
        break;
      default:
        throw unsupported(`disk bus '${bus}'`);
    }
    if (drive) dev.drive = drive;
    dev.id = alias;
    if (boot !== undefined && bus !== "fdc") dev.bootindex = boot;
    if (bus === "usb") dev.removable = target.attrs.removable === "on";
    target.a("removable");
    if (cache) dev["write-cache"] = cache.wc;
    for (const k of d.kids) if (!k.used) throw unsupported(k.path());
    if (drv) for (const k of Object.keys(drv.attrs)) if (!drv.usedAttrs.has(k)) throw unsupported(`${drv.path()}/@${k}`);
    push(ctx, "-device", json(dev));
  }
}
