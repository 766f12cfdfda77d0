// The one small interface every hypervisor driver implements. The core (CLI, daemon,
// TypeScript API) talks only to these types; it never names a driver. Method names follow
// libvirt's public API (virConnect*/virDomain*) so the wire protocol maps onto them 1:1.

import type { ParsedUri } from "./uri.ts";

/** libvirt's virDomainState. */
export const DomainState = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

/** A handle to a domain, as virDomainPtr: id is -1 when the domain is not running. */
export interface DomainRef {
  name: string;
  uuid: string; // canonical 8-4-4-4-12 lower-case
  id: number;
}

export interface DomainInfo {
  state: number;
  maxMem: number; // KiB
  memory: number; // KiB
  nrVirtCpu: number;
  cpuTime: bigint; // ns
}

export interface DomainStateInfo {
  state: number;
  reason: number; // virDomain<State>Reason
}

/** Flags with libvirt's values; drivers honour the ones they understand. */
export const ConnectListFlags = { ACTIVE: 1, INACTIVE: 2, PERSISTENT: 4, TRANSIENT: 8, AUTOSTART: 64, NO_AUTOSTART: 128 } as const;
export const DefineFlags = { VALIDATE: 1 } as const;
export const CreateFlags = { NONE: 0, START_PAUSED: 1, START_AUTODESTROY: 2, START_BYPASS_CACHE: 4, START_FORCE_BOOT: 8, START_VALIDATE: 16 } as const;
export const XmlFlags = { SECURE: 1, INACTIVE: 2, UPDATE_CPU: 4, MIGRATABLE: 8 } as const;
export const UndefineFlags = { MANAGED_SAVE: 1, SNAPSHOTS_METADATA: 2, NVRAM: 4, KEEP_NVRAM: 8 } as const;
export const DestroyFlags = { DEFAULT: 0, GRACEFUL: 1 } as const;

/** libvirt's virDomainEventType and a detail code, delivered to lifecycle listeners. */
export interface LifecycleEvent {
  dom: DomainRef;
  event: number;
  detail: number;
}
export const LifecycleEventType = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

/** A byte stream to a domain's console (pty), used by `console` and the daemon. */
export interface ConsoleStream {
  /** File descriptor of the console (pty master or a socket); the caller owns nothing. */
  fd: number;
  close(): void;
}

/** One open connection to a driver (virConnectPtr). Optional methods a driver lacks are
 * reported by the core as VIR_ERR_NO_SUPPORT ("not supported by this driver"). */
export interface Connection {
  readonly uri: string;
  /** virConnectGetType: "LXC", "QEMU", "Test". */
  getType(): string;
  /** Hypervisor version as libvirt encodes it: major*1e6 + minor*1e3 + micro. */
  getVersion(): Promise<number>;
  getHostname(): Promise<string>;
  getCapabilities(): Promise<string>;

  listAllDomains(flags?: number): Promise<DomainRef[]>;
  lookupByName(name: string): Promise<DomainRef>;
  lookupByUUID(uuid: string): Promise<DomainRef>;
  lookupByID(id: number): Promise<DomainRef>;

  defineXML(xml: string, flags?: number): Promise<DomainRef>;
  undefine(dom: DomainRef, flags?: number): Promise<void>;
  /** Start a defined domain; fds (host fds, caller keeps ownership) reach init as 3.. */
  create(dom: DomainRef, flags?: number, fds?: number[]): Promise<DomainRef>;
  /** Create and start a transient domain. */
  createXML(xml: string, flags?: number, fds?: number[]): Promise<DomainRef>;
  destroy(dom: DomainRef, flags?: number): Promise<void>;
  shutdown(dom: DomainRef, flags?: number): Promise<void>;
  reboot(dom: DomainRef, flags?: number): Promise<void>;
  suspend(dom: DomainRef): Promise<void>;
  resume(dom: DomainRef): Promise<void>;

  getInfo(dom: DomainRef): Promise<DomainInfo>;
  getState(dom: DomainRef): Promise<DomainStateInfo>;
  getXMLDesc(dom: DomainRef, flags?: number): Promise<string>;
  getAutostart(dom: DomainRef): Promise<boolean>;
  setAutostart(dom: DomainRef, on: boolean): Promise<void>;
  isActive(dom: DomainRef): Promise<boolean>;
  isPersistent(dom: DomainRef): Promise<boolean>;

  // Optional capabilities
  domainXMLToNative?(format: string, xml: string): Promise<string>;
  openConsole?(dom: DomainRef, devName?: string): Promise<ConsoleStream>;
  /** Wait for a running domain to stop; resolves with init's exit status when known. */
  waitForStop?(dom: DomainRef): Promise<{ exitStatus?: number }>;
  /** libvirt-lxc: fds of the init's namespaces (caller owns them). */
  lxcOpenNamespace?(dom: DomainRef): Promise<number[]>;
  /** Run argv inside the domain's namespaces/root/cgroup; resolves with its exit status. */
  lxcEnterNamespace?(dom: DomainRef, argv: string[], opts?: { noSecLabel?: boolean }): Promise<number>;
  onLifecycle?(cb: (ev: LifecycleEvent) => void): () => void;
  /** virDomainGetOSType ("exe", "hvm"; the test driver says "linux"). Default: the def's os type. */
  getOSType?(dom: DomainRef): Promise<string>;
  /** virNodeGetSecurityModel: the host's first security driver ("none", doi "0"). */
  getSecurityModel?(): Promise<{ model: string; doi: string }>;
  /** virDomainGetSecurityLabel: label "" when the domain has none. */
  getSecurityLabel?(dom: DomainRef): Promise<{ label: string; enforcing: boolean }>;
  hasManagedSaveImage?(dom: DomainRef): Promise<boolean>;
  close(): Promise<void>;
}

/** What the host gives every plugin's factory. External plugins get this object rather than
 * importing the core's modules (a compiled executable cannot resolve those for a loose file). */
export interface HostApi {
  version: string;
  errors: typeof import("./errors.ts").errors;
  VirError: typeof import("./errors.ts").VirError;
  ErrorCode: typeof import("./errors.ts").ErrorCode;
  ErrorDomain: typeof import("./errors.ts").ErrorDomain;
  DomainState: typeof DomainState;
  conf: typeof import("./conf/index.ts");
}

/** A guest kind a driver offers, for the capabilities XML (<guest> element). */
export interface GuestCaps {
  osType: string; // "exe" for containers, "hvm" for VMs
  arch: string;
  wordsize: number;
  emulator?: string;
  machines?: { name: string; canonical?: string; maxCpus?: number }[];
  domains: { type: string; emulator?: string }[];
  /** "pae", or { name: "acpi", default: "on", toggle: "yes" } for <acpi default='on' toggle='yes'/>. */
  features?: (string | { name: string; default?: string; toggle?: string })[];
}

/** A driver plugin: what the registry holds. */
export interface DriverPlugin {
  name: string;
  /** URI schemes this driver serves, e.g. ["lxc"]. */
  schemes: string[];
  /** Domain types it runs (<domain type='...'>). */
  domainTypes: string[];
  /** Per-driver validation of a parsed definition (e.g. QEMU: emulator must exist). */
  validate?(def: import("./conf/index.ts").DomainDef): Promise<void> | void;
  guests?(): Promise<GuestCaps[]> | GuestCaps[];
  open(uri: ParsedUri): Promise<Connection>;
}

/** What an external plugin module exports (default or named `plugin`). */
export type PluginFactory = (host: HostApi) => DriverPlugin | Promise<DriverPlugin>;
