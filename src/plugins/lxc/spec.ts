// DomainDef → ContainerSpec: libvirt's LXC semantics (lxc_container.c / lxc_process.c) decided
// in one place, before anything is created on the host.

import { readFileSync, statSync } from "node:fs";
import type { DomainDef, FilesystemDev, HostdevDev } from "../../core/conf/index.ts";
import { errors, ErrorDomain } from "../../core/errors.ts";
import { strerror } from "../../ffi/libc.ts";
import { NS, type ContainerSpec, type SpecDevice, type SpecMount } from "./container.ts";
import { defaultDeviceRules, detectLayout, type CgroupLimits, type DeviceRule } from "./cgroup/index.ts";

const D = ErrorDomain.LXC;

/** Linux capability names (capability.h order = number). */
export const CAP_NAMES = [
  "chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid", "setuid", "setpcap",
  "linux_immutable", "net_bind_service", "net_broadcast", "net_admin", "net_raw", "ipc_lock", "ipc_owner",
  "sys_module", "sys_rawio", "sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
  "sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write", "audit_control", "setfcap",
  "mac_override", "mac_admin", "syslog", "wake_alarm", "block_suspend", "audit_read", "perfmon", "bpf",
  "checkpoint_restore",
];
const CAP = (n: string) => CAP_NAMES.indexOf(n);

/** libvirt's default policy (lxcContainerDropCapabilities): drop these, keep the rest. */
export const DEFAULT_DROPPED_CAPS = ["sys_boot", "sys_module", "sys_time", "audit_control", "mac_admin"];

export function keptCaps(def: DomainDef): number[] {
  const all = CAP_NAMES.map((_, i) => i);
  const c = def.features?.capabilities;
  const policy = c?.policy ?? "default";
  let keep: Set<number>;
  if (policy === "allow") keep = new Set(all);
  else if (policy === "deny") keep = new Set();
  else keep = new Set(all.filter((i) => !DEFAULT_DROPPED_CAPS.includes(CAP_NAMES[i]!)));
  for (const { name, state } of c?.caps ?? []) {
    const i = CAP(name);
    if (i < 0) continue;
    if (state === "on") keep.add(i);
    else keep.delete(i);
  }
  return [...keep].sort((a, b) => a - b);
}

export function hasFeature(def: DomainDef, name: string): boolean {
  return !!def.features?.items.some((f) => f.name === name);
}

const fsOf = (def: DomainDef) => def.devices.filter((d): d is FilesystemDev => d.kind === "filesystem");
const hostdevsOf = (def: DomainDef) => def.devices.filter((d): d is HostdevDev => d.kind === "hostdev");

/** The host directory of `<filesystem target='/'>`, if any. */
export function rootOf(def: DomainDef): FilesystemDev | undefined {
  return fsOf(def).find((f) => f.target === "/");
}

/** The element path of a device: /domain/devices/KIND[n] (n counts that kind, from 1). */
function devPath(def: DomainDef, dev: object): string {
  const kind = (dev as { kind: string }).kind;
  const n = def.devices.filter((d) => d.kind === kind).indexOf(dev as never) + 1;
  return `/domain/devices/${kind}[${n}]`;
}

function mountOf(f: FilesystemDev, where: string): SpecMount {
  // libvirt's LXC driver binds type 'bind' exactly like 'mount'
  if (f.type === "mount" || f.type === "bind") {
    if (!f.source.dir) throw errors.configUnsupported(`filesystem target ${f.target}: type 'mount' needs <source dir>`, D);
    return { kind: "bind", source: f.source.dir, target: f.target, readonly: !!f.readonly, where };
  }
  if (f.type === "ram") return { kind: "tmpfs", target: f.target, sizeKiB: f.source.usage ?? 65536, where };
  throw errors.configUnsupported(`filesystem type '${f.type}' (target ${f.target}) is not supported by the LXC driver; use 'mount' or 'ram'`, D);
}

/** A hostdev mode='capabilities' storage/misc node: the host's device numbers and mode. */
export function hostdevNode(h: HostdevDev, where = "/domain/devices/hostdev"): SpecDevice {
  const path = h.type === "storage" ? h.source.block : h.source.char;
  const want = h.type === "storage" ? "block" : "char";
  if (!path) throw errors.configUnsupported(`hostdev type '${h.type}' needs <source><${want}>`, D);
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "";
    throw errors.operationFailed(`${where}/source/${want}: hostdev ${h.type}: cannot stat ${path}: ${code} (${(e as NodeJS.ErrnoException).errno ? strerror(-(e as NodeJS.ErrnoException).errno!) : code})`, D);
  }
  const isBlk = st.isBlockDevice(), isChr = st.isCharacterDevice();
  if ((want === "block" && !isBlk) || (want === "char" && !isChr)) {
    throw errors.configUnsupported(`${where}/source/${want}: hostdev ${h.type}: ${path} is not a ${want} device`, D);
  }
  const rdev = st.rdev;
  return {
    path,
    type: isBlk ? "b" : "c",
    major: Math.floor(rdev / 256) & 0xfff,
    minor: (rdev & 0xff) | ((Math.floor(rdev / 4096) & 0xfff00)),
    mode: st.mode & 0o7777,
    where,
  };
}

function lookupId(file: string, name: string | undefined, field: number, what: string): number | undefined {
  if (name === undefined) return undefined;
  if (/^\+?\d+$/.test(name)) return Number(name.replace("+", ""));
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {}
  for (const line of text.split("\n")) {
    const parts = line.split(":");
    if (parts[0] === name) return Number(parts[field]);
  }
  throw errors.configUnsupported(`${what} '${name}' not found in the container's ${file}`, D);
}

/** The host's cgroup hierarchies as the container should see them under /sys/fs/cgroup. */
function cgroupfsOf(): ContainerSpec["cgroupfs"] {
  const l = detectLayout();
  const v1 = l.v1Mounts.map((m) => ({ name: m.mnt.slice(m.mnt.lastIndexOf("/") + 1), opts: m.opts }));
  if (!l.v2) return { v1 };
  return { v1, v2: v1.length ? "unified" : "root" };
}

/** A namespace to join instead of creating: <lxc:sharenet|shareipc|shareuts type value>. */
export interface ShareNs {
  ns: "net" | "ipc" | "uts";
  type: "name" | "pid" | "netns";
  value: string;
}

export interface SpecResult {
  spec: ContainerSpec;
  share: ShareNs[];
  limits: CgroupLimits;
  /** network interfaces need a netns of the container's own */
  privnet: boolean;
}

/** Build the container spec; `consoleSlave` and `fds` come from the driver at start. */
export function specFromDef(def: DomainDef, consoleSlave: string, nfds = 0): SpecResult {
  const root = rootOf(def);
  const mounts = fsOf(def).filter((f) => f !== root).map((f) => mountOf(f, devPath(def, f)));
  if (root && root.type !== "mount" && root.type !== "bind") throw errors.configUnsupported(`root filesystem of type '${root.type}' is not supported; use type 'mount'`, D);
  if (root && !root.source.dir) throw errors.configUnsupported("root filesystem needs <source dir>", D);
  // <source dir='/'>: the host's root, which cannot be pivoted into in place (a mount over '/'
  // is not what a path walk of '/' reaches); it goes through the staging bind like no root at all.
  const rootfs = root?.source.dir === "/" ? undefined : root?.source.dir;

  // <lxc:namespace>: join another netns/process/container's net, ipc or uts namespace
  const share: ShareNs[] = [];
  const lns = def.lxcNamespace;
  for (const [key, ns] of [["sharenet", "net"], ["shareipc", "ipc"], ["shareuts", "uts"]] as const) {
    const v = lns?.[key];
    if (v) share.push({ ns, type: v.type, value: v.value });
  }
  if (share.length && def.idmap && (def.idmap.uid.length || def.idmap.gid.length)) {
    throw errors.configUnsupported("<lxc:namespace> sharing cannot be combined with <idmap>", D);
  }
  const hostdevs = hostdevsOf(def);
  for (const h of hostdevs) {
    if (h.mode !== "capabilities") throw errors.configUnsupported(`hostdev mode '${h.mode}' is not supported by the LXC driver`, D);
    if (!["storage", "misc", "net"].includes(h.type)) throw errors.configUnsupported(`hostdev type '${h.type}' is not supported`, D);
  }
  const devices = hostdevs.filter((h) => h.type !== "net").map((h) => hostdevNode(h, devPath(def, h)));

  const interfaces = def.devices.filter((d) => d.kind === "interface");
  const sharesNet = share.some((x) => x.ns === "net");
  if (sharesNet && (interfaces.length || hostdevs.some((h) => h.type === "net"))) {
    throw errors.configUnsupported("<lxc:sharenet> cannot be combined with network interfaces", D);
  }
  const privnet = !sharesNet && (interfaces.length > 0 || hostdevs.some((h) => h.type === "net") || hasFeature(def, "privnet"));
  let ns = NS.NEWPID | NS.NEWNS | NS.NEWCGROUP;
  if (!share.some((x) => x.ns === "uts")) ns |= NS.NEWUTS;
  if (!share.some((x) => x.ns === "ipc")) ns |= NS.NEWIPC;
  if (privnet) ns |= NS.NEWNET;
  if (def.idmap && (def.idmap.uid.length || def.idmap.gid.length)) ns |= NS.NEWUSER;

  const init = def.os.init ?? "/sbin/init";
  if (!init.startsWith("/")) throw errors.configUnsupported(`init '${init}' must be an absolute path`, D);
  const env = [
    "PATH=/bin:/usr/bin:/sbin:/usr/sbin",
    "TERM=linux",
    "container=lxc-libvirt",
    "HOME=/",
    `container_uuid=${def.uuid}`,
    `LIBVIRT_LXC_UUID=${def.uuid}`,
    `LIBVIRT_LXC_NAME=${def.name}`,
  ];
  if (nfds > 0) env.push(`LISTEN_FDS=${nfds}`, "LISTEN_PID=1");
  for (const e of def.os.initenv) env.push(`${e.name}=${e.value}`);

  const etc = (f: string) => `${rootfs ?? ""}/etc/${f}`;
  const uid = lookupId(etc("passwd"), def.os.inituser, 2, "user");
  let gid = lookupId(etc("group"), def.os.initgroup, 2, "group");
  if (gid === undefined && def.os.inituser !== undefined && !/^\+?\d+$/.test(def.os.inituser)) gid = lookupId(etc("passwd"), def.os.inituser, 3, "user");

  const rules: DeviceRule[] = [...defaultDeviceRules(), ...devices.map((d) => ({ type: d.type, major: d.major, minor: d.minor, access: "rwm" }))];
  const spec: ContainerSpec = {
    name: def.name,
    uuid: def.uuid,
    rootfs,
    rootReadonly: !!root?.readonly,
    rootWhere: root && `${devPath(def, root)}/source/@dir`,
    mounts,
    namespaces: ns,
    idmap: ns & NS.NEWUSER ? def.idmap : undefined,
    hostname: def.name,
    argv: [init, ...def.os.initargs],
    env,
    cwd: def.os.initdir ?? "/",
    uid,
    gid,
    keepCaps: keptCaps(def),
    devices,
    consoleSlave,
    cgroupfs: cgroupfsOf(),
  };
  const shares = def.cputune?.shares;
  return { spec, share, limits: { memoryKiB: def.memory || undefined, cpuShares: shares, devices: rules }, privnet };
}
