// Device formatters, in virDomainDefFormatInternal's device order.
import { el, type XmlEl } from "../xml.ts";
import type { ChardevDev, ControllerDev, Device, DiskDev, FilesystemDev, GraphicsDev, HostdevDev, InputDev, MemballoonDev, VideoDev } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { INFO_ORDER, infoEls, ipEl, ordered, routeEl, sortChildren, sourceAddressEl, type Fmt } from "./common.ts";
import { interfaceEl } from "./interface.ts";

// Order in which libvirt prints device kinds (it stores each kind in its own array).
export const DEVICE_ORDER = [
  "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel",
  "console", "channel", "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev",
  "redirfilter", "hub", "watchdog", "memballoon", "rng", "nvram", "panic", "shmem", "memory", "iommu",
  "vsock", "crypto", "pstore",
];
const DEV_RANK = new Map(DEVICE_ORDER.map((n, i) => [n, i]));

export function devicesEl(devs: Device[], f: Fmt): XmlEl {
  const els = devs.map((d) => deviceEl(d, f));
  const rank = (e: XmlEl) => DEV_RANK.get(e.name) ?? DEVICE_ORDER.length;
  const sorted = els.map((e, i) => [e, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]);
  // libvirt prints <devices> and </devices> unconditionally, even with nothing between.
  return { ...el("devices", {}, sorted.map((p) => p[0])), open: true };
}

export function deviceEl(d: Device, f: Fmt): XmlEl {
  switch (d.kind) {
    case "emulator":
      return el("emulator", {}, d.path);
    case "disk":
      return diskEl(d, f);
    case "filesystem":
      return filesystemEl(d, f);
    case "interface":
      return interfaceEl(d, f);
    case "hostdev":
      return hostdevEl(d, f);
    case "serial":
    case "console":
    case "channel":
    case "parallel":
      return chardevEl(d, f);
    case "controller":
      return controllerEl(d, f);
    case "input":
      return inputEl(d, f);
    case "graphics":
      return graphicsEl(d);
    case "memballoon":
      return memballoonEl(d, f);
    case "video":
      return videoEl(d, f);
    case "audio":
      return el("audio", { id: d.id, type: d.type, ...d.attrs }, d.children);
    case "watchdog":
      return el("watchdog", { model: d.model, action: d.action }, sortChildren([...(d.extra ?? []), ...infoEls(d, f)], INFO_ORDER));
    case "sound":
      return el(
        "sound",
        { model: d.model },
        sortChildren([...d.codecs.map((t) => el("codec", { type: t })), d.audioId !== undefined && el("audio", { id: d.audioId }), ...(d.extra ?? []), ...infoEls(d, f)], ["codec", "audio", ...INFO_ORDER]),
      );
    case "raw":
      return d.xml;
  }
}

const DISK_ORDER = [
  "driver", "source", "backingStore", "backenddomain", "geometry", "blockio", "target", "iotune",
  "throttlefilters", "readonly", "shareable", "transient", "serial", "wwn", "vendor", "product",
  "encryption", ...INFO_ORDER,
];
function diskEl(d: DiskDev, f: Fmt): XmlEl {
  const s = d.source;
  const src = s
    ? el("source", ordered(s.attrs, K.DISK_SOURCE), [
        ...s.hosts.map((h) => el("host", ordered(h, K.DISK_HOST))),
        ...(s.extra ?? []),
        s.auth && el("auth", { username: s.auth.username }, [el("secret", ordered(s.auth.secret, K.SECRET))]),
      ])
    : undefined;
  return el(
    "disk",
    { type: d.type, device: d.device, ...ordered(d.top, K.DISK_TOP) },
    sortChildren(
      [
        d.driver && el("driver", ordered(d.driver, K.DISK_DRIVER)),
        src,
        d.target && el("target", ordered(d.target, K.DISK_TARGET)),
        d.readonly && el("readonly"),
        d.shareable && el("shareable"),
        d.transient && el("transient"),
        d.serial !== undefined && el("serial", {}, d.serial),
        d.wwn !== undefined && el("wwn", {}, d.wwn),
        d.vendor !== undefined && el("vendor", {}, d.vendor),
        d.product !== undefined && el("product", {}, d.product),
        ...(d.extra ?? []),
        ...infoEls(d, f),
      ],
      DISK_ORDER,
    ),
  );
}

const FS_ORDER = ["driver", "binary", "idmap", "source", "target", "readonly", "space_hard_limit", "space_soft_limit", ...INFO_ORDER];
function filesystemEl(d: FilesystemDev, f: Fmt): XmlEl {
  const s = d.source;
  const src =
    d.type === "ram"
      ? el("source", { usage: s.usage, units: "KiB" })
      : s.dir ?? s.file ?? s.dev ?? s.name ?? s.socket
        ? el("source", { dir: s.dir, file: s.file, dev: s.dev, name: s.name, socket: s.socket })
        : undefined;
  return el(
    "filesystem",
    { type: d.type, accessmode: d.accessmode, model: d.model, multidevs: d.multidevs, fmode: d.fmode, dmode: d.dmode },
    sortChildren(
      [
        d.driver && el("driver", ordered(d.driver, K.FS_DRIVER)),
        src,
        el("target", { dir: d.target }),
        d.readonly && el("readonly"),
        d.spaceHardLimit !== undefined && el("space_hard_limit", { unit: "KiB" }, String(d.spaceHardLimit)),
        d.spaceSoftLimit !== undefined && el("space_soft_limit", { unit: "KiB" }, String(d.spaceSoftLimit)),
        ...(d.extra ?? []),
        ...infoEls(d, f),
      ],
      FS_ORDER,
    ),
  );
}

const HOSTDEV_ORDER = ["driver", "source", "origstates", "ip", "route", "readonly", "shareable", ...INFO_ORDER];
function hostdevEl(d: HostdevDev, f: Fmt): XmlEl {
  const s = d.source;
  const srcKids: XmlEl[] = [];
  if (s.vendor !== undefined) srcKids.push(el("vendor", { id: s.vendor }));
  if (s.product !== undefined) srcKids.push(el("product", { id: s.product }));
  if (s.address) srcKids.push(sourceAddressEl(s.address));
  if (s.block !== undefined) srcKids.push(el("block", {}, s.block));
  if (s.char !== undefined) srcKids.push(el("char", {}, s.char));
  if (s.interface !== undefined) srcKids.push(el("interface", {}, s.interface));
  srcKids.push(...(s.extra ?? []));
  return el(
    "hostdev",
    // libvirt always prints managed= on subsystem hostdevs (false unless "yes").
    { mode: d.mode, type: d.type, managed: d.mode === "subsystem" ? (d.managed === "yes" ? "yes" : "no") : d.managed, model: d.model },
    sortChildren(
      [
        d.driver && el("driver", { name: d.driver.name }),
        el("source", { startupPolicy: s.startupPolicy, guestReset: s.guestReset }, srcKids),
        ...d.ips.map(ipEl),
        ...d.routes.map(routeEl),
        d.readonly && el("readonly"),
        d.shareable && el("shareable"),
        ...(d.extra ?? []),
        ...infoEls(d, f),
      ],
      HOSTDEV_ORDER,
    ),
  );
}

const CHR_ORDER = ["source", "protocol", "log", "target", ...INFO_ORDER];
function chardevEl(d: ChardevDev, f: Fmt): XmlEl {
  // The pty path is runtime state: printed only in live XML, as libvirt does.
  const live = !f.inactive;
  const sources = d.type === "pty" && !live ? [] : d.sources;
  return el(
    d.kind,
    { type: d.type, tty: live && d.type === "pty" ? d.tty : undefined },
    sortChildren(
      [
        ...sources.map((s) => el("source", ordered(s, K.CHR_SOURCE))),
        d.protocol !== undefined && el("protocol", { type: d.protocol }),
        d.log && el("log", { file: d.log.file, append: d.log.append }),
        d.target && el("target", ordered(d.target.attrs, K.CHR_TARGET), d.target.model !== undefined ? [el("model", { name: d.target.model })] : []),
        ...(d.extra ?? []),
        ...infoEls(d, f),
      ],
      CHR_ORDER,
    ),
  );
}

const CONTROLLER_ORDER = ["model", "driver", "target", "pcihole64", ...INFO_ORDER];
function controllerEl(d: ControllerDev, f: Fmt): XmlEl {
  return el(
    "controller",
    { type: d.type, index: d.index, ...ordered(d.attrs, K.CONTROLLER) },
    sortChildren(
      [
        d.modelName !== undefined && el("model", { name: d.modelName }),
        d.driver && el("driver", ordered(d.driver, K.CONTROLLER_DRIVER)),
        d.target && el("target", ordered(d.target, K.CONTROLLER_TARGET)),
        ...(d.extra ?? []),
        ...infoEls(d, f),
      ],
      CONTROLLER_ORDER,
    ),
  );
}

function inputEl(d: InputDev, f: Fmt): XmlEl {
  return el("input", { type: d.type, bus: d.bus, model: d.model }, sortChildren([d.source && el("source", d.source), ...(d.extra ?? []), ...infoEls(d, f)], ["source", "driver", ...INFO_ORDER]));
}

function graphicsEl(d: GraphicsDev): XmlEl {
  return el("graphics", { type: d.attrs.type, ...ordered(d.attrs, K.GRAPHICS) }, [...d.listens.map((l) => el("listen", ordered(l, K.GRAPHICS_LISTEN))), ...(d.extra ?? [])]);
}

function memballoonEl(d: MemballoonDev, f: Fmt): XmlEl {
  return el(
    "memballoon",
    { model: d.model, autodeflate: d.autodeflate, freePageReporting: d.freePageReporting },
    sortChildren([d.statsPeriod !== undefined && el("stats", { period: d.statsPeriod }), ...(d.extra ?? []), ...infoEls(d, f), d.driver && el("driver", d.driver)], ["stats", ...INFO_ORDER, "driver"]),
  );
}

function videoEl(d: VideoDev, f: Fmt): XmlEl {
  return el(
    "video",
    {},
    sortChildren([d.driver && el("driver", d.driver), d.model && el("model", ordered(d.model, K.VIDEO_MODEL), d.modelExtra ?? []), ...(d.extra ?? []), ...infoEls(d, f)], ["driver", "model", ...INFO_ORDER]),
  );
}
