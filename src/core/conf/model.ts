// The typed model of libvirt domain XML (the subset LXC and QEMU guests use). Memory sizes are
// KiB, as libvirt stores them. Elements the model does not cover yet are kept as raw XML
// (`RawXml`) so a define/dumpxml round trip loses nothing the user wrote.
import type { XmlEl } from "./xml.ts";

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
  vcpu: Vcpu;
  os: OsDef;
  onPoweroff?: LifecycleAction;
  onReboot?: LifecycleAction;
  onCrash?: LifecycleAction;
  devices: Device[];
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

export interface OsDef {
  type: string;
  arch?: string;
  machine?: string;
  init?: string;
  initargs: string[];
  initenv: { name: string; value: string }[];
  initdir?: string;
  inituser?: string;
  initgroup?: string;
  kernel?: string;
  initrd?: string;
  cmdline?: string;
  boot: string[];
  bootmenu?: { enable: string; timeout?: string };
}

export const LIFECYCLE_ACTIONS = ["destroy", "restart", "rename-restart", "preserve", "coredump-destroy", "coredump-restart"] as const;
export type LifecycleAction = (typeof LIFECYCLE_ACTIONS)[number];

export type Device = EmulatorDev | RawDevice;
export interface EmulatorDev {
  kind: "emulator";
  path: string;
}
/** A device element the model does not cover yet (kept verbatim). */
export interface RawDevice {
  kind: "raw";
  xml: RawXml;
}
