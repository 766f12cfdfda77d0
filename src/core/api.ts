// The typed TypeScript API: openConnection(uri) → Connection, like virConnectOpen. It resolves
// the URI (argument, then LIBVIRT_DEFAULT_URI, then the first driver offering a default), picks
// the driver by scheme, and wraps the driver's Connection so that every method exists: an
// optional method the driver lacks throws VIR_ERR_NO_SUPPORT, and anything thrown becomes a
// VirError. Remote URIs (a transport, a host, or a local URI served by a running daemon) go to
// the RPC client through a hook, so this file does not depend on it.

import type { Connection } from "./driver.ts";
import { errors, toVirError } from "./errors.ts";
import { loadHostApi, loadPluginDir, pluginDirs } from "./plugins.ts";
import { Registry, type BuiltinEntry } from "./registry.ts";
import { parseUri, type ParsedUri } from "./uri.ts";

/** A Connection whose optional methods are all present (they throw NO_SUPPORT when absent). */
export type FullConnection = Required<Connection>;

/** How remote URIs are reached; installed by the entry point (src/main.ts) from src/core/rpc. */
export interface RemoteHook {
  /** Socket of a running daemon that serves this local URI (e.g. lxc:///system), if any. */
  daemonSocket?(uri: ParsedUri): string | undefined | Promise<string | undefined>;
  openRemote(uri: ParsedUri, socket?: string): Promise<Connection>;
}
let remoteHook: RemoteHook | undefined;
export function setRemoteHook(h: RemoteHook | undefined): void {
  remoteHook = h;
}

let builtinList: BuiltinEntry[] = [];
/** The entry point hands over the built-in list (src/plugins/builtin.ts). */
export function setBuiltins(list: BuiltinEntry[]): void {
  builtinList = list;
}

let processPluginDirs: string[] = [];
/** Plugin directories for every connection this process opens (the CLI's --plugin-dir, so that
 * `bunvirt --plugin-dir D daemon` serves those drivers too). */
export function setPluginDirs(dirs: string[]): void {
  processPluginDirs = dirs;
}

export interface OpenOptions {
  /** Plugin directories in addition to BUNVIRT_PLUGIN_DIR. */
  pluginDirs?: string[];
  /** Use this registry instead of building one (tests, the daemon). */
  registry?: Registry;
  /** Never route to a daemon (the daemon itself opens drivers in-process). */
  local?: boolean;
  /** virConnectOpenReadOnly: methods that change anything are refused. */
  readOnly?: boolean;
  env?: Record<string, string | undefined>;
}

/** A registry with the built-ins and every plugin directory loaded. */
export async function makeRegistry(dirs: string[] = [], env = process.env): Promise<Registry> {
  const reg = new Registry(await loadHostApi());
  for (const b of builtinList) reg.addBuiltin(b);
  for (const d of pluginDirs(dirs, env)) await loadPluginDir(reg, d);
  return reg;
}

/** The URI a connection will use: explicit, LIBVIRT_DEFAULT_URI, or the registry's default. */
export function resolveUri(uri: string | undefined, reg: Registry, env = process.env): string {
  const u = uri || env.LIBVIRT_DEFAULT_URI || reg.defaultUri();
  if (!u) throw errors.noConnect("<null>");
  return u;
}

const REMOTE_TRANSPORTS = new Set(["unix", "ssh", "tcp", "tls", "libssh", "libssh2", "ext"]);

export async function openConnection(uri?: string, opts: OpenOptions = {}): Promise<FullConnection> {
  const env = opts.env ?? process.env;
  const reg = opts.registry ?? (await makeRegistry(opts.pluginDirs ?? processPluginDirs, env));
  const raw = resolveUri(uri, reg, env);
  const parsed = parseUri(raw);
  if (!opts.local && (parsed.transport || parsed.host)) {
    if (parsed.transport && !REMOTE_TRANSPORTS.has(parsed.transport)) {
      throw errors.invalidArg(`transport in URL not supported: ${parsed.transport}`);
    }
    if (!remoteHook) throw errors.noConnect(raw);
    return wrapConnection(await remoteHook.openRemote(parsed), opts.readOnly);
  }
  if (!opts.local && remoteHook?.daemonSocket) {
    const sock = await remoteHook.daemonSocket(parsed);
    if (sock) return wrapConnection(await remoteHook.openRemote(parsed, sock), opts.readOnly);
  }
  const plugin = await reg.byScheme(parsed.driver);
  if (!plugin) throw errors.noConnect(raw);
  try {
    return wrapConnection(await plugin.open(parsed), opts.readOnly);
  } catch (e) {
    throw toVirError(e);
  }
}

/** libvirt's public name for each method, used in NO_SUPPORT messages. */
export const API_NAMES: Record<keyof Connection, string> = {
  uri: "",
  getType: "virConnectGetType",
  getVersion: "virConnectGetVersion",
  getHostname: "virConnectGetHostname",
  getCapabilities: "virConnectGetCapabilities",
  listAllDomains: "virConnectListAllDomains",
  lookupByName: "virDomainLookupByName",
  lookupByUUID: "virDomainLookupByUUID",
  lookupByID: "virDomainLookupByID",
  defineXML: "virDomainDefineXML",
  undefine: "virDomainUndefine",
  create: "virDomainCreate",
  createXML: "virDomainCreateXML",
  destroy: "virDomainDestroy",
  shutdown: "virDomainShutdown",
  reboot: "virDomainReboot",
  suspend: "virDomainSuspend",
  resume: "virDomainResume",
  getInfo: "virDomainGetInfo",
  getState: "virDomainGetState",
  getXMLDesc: "virDomainGetXMLDesc",
  getAutostart: "virDomainGetAutostart",
  setAutostart: "virDomainSetAutostart",
  isActive: "virDomainIsActive",
  isPersistent: "virDomainIsPersistent",
  domainXMLToNative: "virConnectDomainXMLToNative",
  openConsole: "virDomainOpenConsole",
  waitForStop: "virDomainWaitForStop",
  lxcOpenNamespace: "virDomainLxcOpenNamespace",
  // virsh enters namespaces through virDomainLxcOpenNamespace, so that is the name users see
  lxcEnterNamespace: "virDomainLxcOpenNamespace",
  onLifecycle: "virConnectDomainEventRegisterAny",
  getOSType: "virDomainGetOSType",
  getSecurityModel: "virNodeGetSecurityModel",
  getSecurityLabel: "virDomainGetSecurityLabel",
  hasManagedSaveImage: "virDomainHasManagedSaveImage",
  close: "virConnectClose",
};

/** Give every Connection method a body: the driver's, or one that reports NO_SUPPORT. Errors
 * thrown by drivers come out as VirError. Extra driver methods stay reachable. */
export function wrapConnection(c: Connection, readOnly = false): FullConnection {
  if ((c as { [WRAPPED]?: true })[WRAPPED] && !readOnly) return c as FullConnection;
  return new Proxy(c, {
    get(target, prop, recv) {
      if (prop === WRAPPED) return true;
      if (prop === RAW) return target;
      const v = Reflect.get(target, prop, recv);
      if (typeof prop !== "string" || !(prop in API_NAMES) || prop === "uri") return v;
      const name = API_NAMES[prop as keyof Connection];
      if (readOnly && MUTATING.has(prop)) {
        return async () => {
          throw errors.operationDenied(`read only access prevents ${name}`);
        };
      }
      if (typeof v !== "function") {
        if (SYNC.has(prop)) {
          return () => {
            throw errors.noSupport(name);
          };
        }
        return async () => {
          throw errors.noSupport(name);
        };
      }
      if (SYNC.has(prop)) return v.bind(target);
      return async (...args: unknown[]) => {
        try {
          return await v.apply(target, args);
        } catch (e) {
          throw toVirError(e);
        }
      };
    },
  }) as FullConnection;
}
const WRAPPED = Symbol("bunvirt.wrapped");
const RAW = Symbol("bunvirt.raw");

/** Does the driver behind `c` implement `method` (rather than the NO_SUPPORT stub)? */
export function supports(c: Connection, method: keyof Connection): boolean {
  const t = ((c as { [RAW]?: Connection })[RAW] ?? c) as unknown as Record<string, unknown>;
  return typeof t[method] === "function";
}
const SYNC = new Set(["getType", "onLifecycle"]);
/** What a read-only connection may not call (libvirt's ACL for virConnectOpenReadOnly). */
const MUTATING = new Set(["defineXML", "undefine", "create", "createXML", "destroy", "shutdown", "reboot", "suspend", "resume", "setAutostart", "openConsole", "lxcOpenNamespace", "lxcEnterNamespace"]);
