// Device types of the domain model. Attribute groups that libvirt prints verbatim in a fixed
// order are typed as `Partial<Record<Key, string>>` over a key list (see attr-keys.ts) — the
// list is both the type and the print order.
import type { RawXml } from "../model.ts";
import type * as K from "./attr-keys.ts";

type Attrs<T extends readonly string[]> = Partial<Record<T[number], string>>;

/** Device `<address>`: `type` plus that type's fields, PCI fields normalised to libvirt's hex. */
export type Address = { type: string } & Attrs<typeof K.ADDRESS>;

/** What every device may carry (virDomainDeviceInfo). */
export interface DeviceInfo {
  /** `<alias name>`; printed inactive only for user aliases ("ua-…"), like libvirt. */
  alias?: string;
  boot?: { order: number; loadparm?: string };
  acpiIndex?: number;
  rom?: Attrs<typeof K.ROM>;
  address?: Address;
  /** Child elements the model does not cover yet, printed before the device info. */
  extra?: RawXml[];
}

export interface IpAddr {
  address: string;
  family?: "ipv4" | "ipv6";
  prefix?: number;
  peer?: string;
}
export interface Route {
  family?: "ipv4" | "ipv6";
  address: string;
  netmask?: string;
  prefix?: number;
  gateway: string;
  metric?: number;
}

export interface EmulatorDev {
  kind: "emulator";
  path: string;
}

export interface DiskDev extends DeviceInfo {
  kind: "disk";
  type: string;
  device: string;
  top: Attrs<typeof K.DISK_TOP>;
  driver?: Attrs<typeof K.DISK_DRIVER>;
  source?: DiskSource;
  target?: Attrs<typeof K.DISK_TARGET>;
  readonly?: boolean;
  shareable?: boolean;
  transient?: boolean;
  serial?: string;
  wwn?: string;
  vendor?: string;
  product?: string;
}
export interface DiskSource {
  attrs: Attrs<typeof K.DISK_SOURCE>;
  hosts: Attrs<typeof K.DISK_HOST>[];
  auth?: { username: string; secret: Attrs<typeof K.SECRET> };
  extra?: RawXml[];
}

export interface FilesystemDev extends DeviceInfo {
  kind: "filesystem";
  type: "mount" | "block" | "file" | "template" | "ram" | "bind" | "volume";
  accessmode?: "passthrough" | "mapped" | "squash";
  model?: string;
  multidevs?: string;
  fmode?: string;
  dmode?: string;
  driver?: Attrs<typeof K.FS_DRIVER>;
  /** dir/file/dev/name/socket as written; `usage` (type ram) in KiB. */
  source: { dir?: string; file?: string; dev?: string; name?: string; socket?: string; usage?: number };
  target: string;
  readonly?: boolean;
  /** KiB */
  spaceHardLimit?: number;
  spaceSoftLimit?: number;
}

export interface InterfaceDev extends DeviceInfo {
  kind: "interface";
  type: string;
  managed?: string;
  trustGuestRxFilters?: string;
  mac?: { address: string; type?: string; check?: string };
  source?: Attrs<typeof K.NET_SOURCE>;
  /** ethernet: host-side addresses/routes (`<source><ip/><route/>`). */
  sourceIps: IpAddr[];
  sourceRoutes: Route[];
  /** udp: `<source><local address port/>` */
  sourceLocal?: { address?: string; port?: string };
  /** hostdev-backed interfaces: PCI address of the VF. */
  sourceAddress?: Address;
  /** Guest-side addresses and routes (LXC applies them inside the container). */
  ips: IpAddr[];
  routes: Route[];
  script?: string;
  downscript?: string;
  target?: { dev: string; managed?: string };
  guest?: { dev?: string; actual?: string };
  model?: string;
  driver?: { attrs: Attrs<typeof K.NET_DRIVER>; host?: Attrs<typeof K.NET_DRIVER_HOST>; guest?: Attrs<typeof K.NET_DRIVER_GUEST> };
  backend?: { tap?: string; vhost?: string; type?: string; logFile?: string };
  linkState?: "up" | "down";
  mtu?: number;
  virtualport?: { type?: string; parameters?: Attrs<typeof K.VPORT_PARAMS> };
  vlan?: { trunk?: string; tags: { id: number; nativeMode?: string }[] };
  /** Raw sub-elements printed at their libvirt slots. */
  bandwidth?: RawXml;
  portForward?: RawXml[];
  filterref?: RawXml;
}

export interface HostdevDev extends DeviceInfo {
  kind: "hostdev";
  mode: "subsystem" | "capabilities";
  type: string;
  managed?: string;
  model?: string;
  source: {
    startupPolicy?: string;
    guestReset?: string;
    /** usb: bus/device; pci: domain/bus/slot/function (no type attribute when printed) */
    address?: Address;
    vendor?: string;
    product?: string;
    /** capabilities storage/misc/net */
    block?: string;
    char?: string;
    interface?: string;
    extra?: RawXml[];
  };
  driver?: { name?: string };
  readonly?: boolean;
  shareable?: boolean;
  ips: IpAddr[];
  routes: Route[];
}

export type ChardevKind = "serial" | "console" | "channel" | "parallel";
export interface ChardevDev extends DeviceInfo {
  kind: ChardevKind;
  type: string;
  /** Live pty path (`tty` attribute, printed only on live XML). */
  tty?: string;
  sources: Attrs<typeof K.CHR_SOURCE>[];
  protocol?: string;
  log?: { file: string; append?: string };
  target?: { attrs: Attrs<typeof K.CHR_TARGET>; model?: string };
}

export interface ControllerDev extends DeviceInfo {
  kind: "controller";
  type: string;
  index: number;
  attrs: Attrs<typeof K.CONTROLLER>;
  modelName?: string;
  driver?: Attrs<typeof K.CONTROLLER_DRIVER>;
  target?: Attrs<typeof K.CONTROLLER_TARGET>;
}

export interface InputDev extends DeviceInfo {
  kind: "input";
  type: string;
  bus?: string;
  model?: string;
  source?: Record<string, string>;
}

export interface GraphicsDev {
  kind: "graphics";
  attrs: { type: string } & Attrs<typeof K.GRAPHICS>;
  listens: Attrs<typeof K.GRAPHICS_LISTEN>[];
  extra?: RawXml[];
}

export interface MemballoonDev extends DeviceInfo {
  kind: "memballoon";
  model: string;
  autodeflate?: string;
  freePageReporting?: string;
  statsPeriod?: number;
  driver?: Record<string, string>;
}

export interface VideoDev extends DeviceInfo {
  kind: "video";
  model?: Attrs<typeof K.VIDEO_MODEL>;
  modelExtra?: RawXml[];
  driver?: Record<string, string>;
}

/** `<audio id type>` backend (attributes beyond id/type and children kept as written). */
export interface AudioDev {
  kind: "audio";
  id: number;
  type: string;
  attrs: Record<string, string>;
  children: RawXml[];
}

export interface WatchdogDev extends DeviceInfo {
  kind: "watchdog";
  model: string;
  action?: string;
}

export interface SoundDev extends DeviceInfo {
  kind: "sound";
  model: string;
  codecs: string[];
  audioId?: number;
}

/** A device element the model does not cover yet (kept verbatim in its libvirt slot). */
export interface RawDevice {
  kind: "raw";
  xml: RawXml;
}

export type Device =
  | EmulatorDev
  | DiskDev
  | FilesystemDev
  | InterfaceDev
  | HostdevDev
  | ChardevDev
  | ControllerDev
  | InputDev
  | GraphicsDev
  | MemballoonDev
  | VideoDev
  | AudioDev
  | WatchdogDev
  | SoundDev
  | RawDevice;
