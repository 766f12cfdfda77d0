// The typed model of libvirt domain XML (the parts LXC and QEMU guests use). Memory sizes are
// KiB, as libvirt stores them. Elements the model does not cover yet are kept as raw XML
// (`RawXml`) in their libvirt slot, so a define/dumpxml round trip loses nothing the user wrote.
import type { XmlEl } from "./xml.ts";
import type { Device } from "./model/devices.ts";

export * from "./model/devices.ts";

export type RawXml = XmlEl;
export type DomainType = "lxc" | "qemu" | "kvm" | "test" | (string & {});

export interface DomainDef {
  type: DomainType;
  name: string;
  uuid: string;
  title?: string;
  description?: string;
  /** KiB */
  memory: number;
  /** KiB; absent means "same as memory" */
  currentMemory?: number;
  /** `<maxMemory slots>` in KiB */
  maxMemory?: { size: number; slots?: number };
  vcpu: Vcpu;
  cputune?: Cputune;
  resource?: { partition?: string };
  os: OsDef;
  idmap?: Idmap;
  features?: Features;
  cpu?: CpuDef;
  clock?: ClockDef;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  devices: Device[];
  seclabels: SecLabel[];
  /** `<lxc:namespace>`: share a namespace of another process/netns with the container. */
  lxcNamespace?: LxcNamespace;
  /** xmlns:PREFIX declarations on <domain> (prefix → URI), e.g. lxc, qemu. */
  xmlns: Record<string, string>;
  /** Top-level elements the model does not cover, printed in libvirt's element order. */
  extra: RawXml[];
}

export interface Vcpu {
  count: number;
  placement?: "static" | "auto";
  current?: number;
  cpuset?: string;
}

export interface Cputune {
  shares?: number;
  period?: number;
  quota?: number;
  /** Other children (vcpupin, emulatorpin ...) verbatim. */
  extra: RawXml[];
}

export interface OsDef {
  type: string;
  arch?: string;
  machine?: string;
  /** `<os firmware=...>` */
  firmware?: string;
  loader?: RawXml;
  nvram?: RawXml;
  init?: string;
  initargs: string[];
  initenv: { name: string; value: string }[];
  initdir?: string;
  inituser?: string;
  initgroup?: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  dtb?: string;
  boot: string[];
  bootmenu?: { enable: "yes" | "no"; timeout?: number };
  smbios?: string;
  bios?: { useserial?: string; rebootTimeout?: number };
}

export interface IdmapEntry {
  start: number;
  target: number;
  count: number;
}
export interface Idmap {
  uid: IdmapEntry[];
  gid: IdmapEntry[];
}

/** `<features>`: each child kept with its attributes; `capabilities` (LXC) typed. */
export interface Features {
  items: { name: string; attrs: Record<string, string>; children: RawXml[] }[];
  capabilities?: { policy: "default" | "allow" | "deny"; caps: { name: string; state: "on" | "off" }[] };
}

export interface CpuDef {
  mode?: string;
  match?: string;
  check?: string;
  migratable?: string;
  model?: { name: string; fallback?: string; vendorId?: string };
  vendor?: string;
  topology?: { sockets: number; dies?: number; clusters?: number; cores: number; threads: number };
  features: { policy?: string; name: string }[];
  numa?: NumaCell[];
  /** numa, cache, maxphysaddr ... verbatim */
  extra: RawXml[];
}

export interface NumaCell {
  id?: number;
  cpus?: string;
  /** KiB */
  memory: number;
  memAccess?: string;
  discard?: string;
  /** distances, cache ... verbatim */
  children: RawXml[];
}

export interface ClockDef {
  offset: string;
  adjustment?: string;
  timezone?: string;
  basis?: string;
  timers: Record<string, string>[];
}

export interface SecLabel {
  type?: "none" | "static" | "dynamic";
  model?: string;
  relabel?: "yes" | "no";
  label?: string;
  imagelabel?: string;
  baselabel?: string;
}

export type LxcShareNs = { type: "name" | "pid" | "netns"; value: string };
export interface LxcNamespace {
  sharenet?: LxcShareNs;
  shareipc?: LxcShareNs;
  shareuts?: LxcShareNs;
}

/** Process capabilities of `<features><capabilities>`, in libvirt's enum (print) order. */
export const PROCESS_CAPS = [
  "audit_control", "audit_write", "block_suspend", "chown", "dac_override", "dac_read_search", "fowner",
  "fsetid", "ipc_lock", "ipc_owner", "kill", "lease", "linux_immutable", "mac_admin", "mac_override",
  "mknod", "net_admin", "net_bind_service", "net_broadcast", "net_raw", "setgid", "setfcap", "setpcap",
  "setuid", "sys_admin", "sys_boot", "sys_chroot", "sys_module", "sys_nice", "sys_pacct", "sys_ptrace",
  "sys_rawio", "sys_resource", "sys_time", "sys_tty_config", "syslog", "wake_alarm",
] as const;

export const LIFECYCLE_ACTIONS = ["destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart"] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];
export const LXC_NAMESPACE_URI = "http://libvirt.org/schemas/domain/lxc/1.0";
