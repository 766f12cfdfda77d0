// Procedure handlers: each remote/lxc procedure mapped onto the Connection interface.
// Handlers get decoded args and return the value the ret codec encodes.

import os from "node:os";
import { ConnectListFlags, type Connection, type DomainRef } from "../driver.ts";
import { ErrorCode, VirError } from "../errors.ts";
import { DrvFeature, RemoteProc as P } from "../rpc/procedures/remote.ts";
import { LxcProc } from "../rpc/procedures/lxc.ts";
import type { Session } from "./server.ts";

/** libvirt 9.0.0: the library level we speak; clients gate features on it. */
export const LIB_VERSION = 9_000_000n;

export interface CallCtx {
  session: Session;
  conn: Connection;
  /** fds that came with a CALL_WITH_FDS (closed by the server after the call). */
  fds: number[];
  /** fds to send back with the reply (REPLY_WITH_FDS); the server closes them once sent. */
  replyFds?: number[];
  /** Runs once the reply is queued (a stream must not send data before its call's reply). */
  afterReply?: () => void;
}

type Handler = (ctx: CallCtx, args: any) => Promise<unknown> | unknown;

const SUPPORTED_FEATURES = new Set<number>([
  DrvFeature.FD_PASSING,
  DrvFeature.TYPED_PARAM_STRING,
  DrvFeature.PROGRAM_KEEPALIVE,
  DrvFeature.REMOTE_EVENT_CALLBACK,
  DrvFeature.REMOTE_CLOSE_CALLBACK,
]);

/** Optional queries virsh makes on the side (dominfo): a driver without them gets libvirt's
 * answer for "no such thing" rather than an error that would fail the whole command. */
async function orDefault<T>(f: () => Promise<T>, dflt: T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof VirError && e.code === ErrorCode.NO_SUPPORT) return dflt;
    throw e;
  }
}

const ref = (d: DomainRef): DomainRef => ({ name: d.name, uuid: d.uuid, id: d.id });
const domRet = (d: DomainRef) => ({ dom: ref(d) });

/** Procedures callable before CONNECT_OPEN. */
export const PRE_OPEN = new Set<number>([P.CONNECT_OPEN, P.AUTH_LIST, P.CONNECT_SUPPORTS_FEATURE, P.CONNECT_CLOSE]);

export const remoteHandlers = new Map<number, Handler>([
  // CONNECT_OPEN, CONNECT_CLOSE and the event registrations are session-level: see server.ts
  [P.CONNECT_GET_TYPE, ({ conn }) => ({ type: conn.getType() })],
  [P.CONNECT_GET_VERSION, async ({ conn }) => ({ hv_ver: BigInt(await conn.getVersion()) })],
  [P.CONNECT_GET_LIB_VERSION, () => ({ lib_ver: LIB_VERSION })],
  [P.CONNECT_GET_HOSTNAME, async ({ conn }) => ({ hostname: await conn.getHostname() })],
  [P.CONNECT_GET_URI, ({ session }) => ({ uri: session.uri })],
  [P.CONNECT_GET_CAPABILITIES, async ({ conn }) => ({ capabilities: await conn.getCapabilities() })],
  [P.CONNECT_SUPPORTS_FEATURE, (_c, a) => ({ supported: SUPPORTED_FEATURES.has(a.feature) ? 1 : 0 })],
  [P.AUTH_LIST, () => ({ types: [0] /* REMOTE_AUTH_NONE: local socket, permissions decide */ })],
  [P.CONNECT_IS_SECURE, () => ({ secure: 1 /* a local UNIX socket cannot be snooped */ })],
  [P.NODE_GET_INFO, () => {
    const cpus = os.cpus();
    return { model: os.arch() === "x64" ? "x86_64" : os.arch(), memory: BigInt(Math.floor(os.totalmem() / 1024)), cpus: cpus.length,
      mhz: cpus[0]?.speed ?? 0, nodes: 1, sockets: 1, cores: cpus.length, threads: 1 };
  }],
  [P.CONNECT_LIST_ALL_DOMAINS, async ({ conn }, a) => {
    const doms = await conn.listAllDomains(a.flags);
    return { domains: a.need_results ? doms.map(ref) : [], ret: doms.length };
  }],
  [P.CONNECT_LIST_DOMAINS, async ({ conn }, a) => ({ ids: (await conn.listAllDomains(ConnectListFlags.ACTIVE)).map((d) => d.id).slice(0, Math.max(0, a.maxids)) })],
  [P.CONNECT_NUM_OF_DOMAINS, async ({ conn }) => ({ num: (await conn.listAllDomains(ConnectListFlags.ACTIVE)).length })],
  [P.CONNECT_LIST_DEFINED_DOMAINS, async ({ conn }, a) => ({ names: (await conn.listAllDomains(ConnectListFlags.INACTIVE)).map((d) => d.name).slice(0, Math.max(0, a.maxnames)) })],
  [P.CONNECT_NUM_OF_DEFINED_DOMAINS, async ({ conn }) => ({ num: (await conn.listAllDomains(ConnectListFlags.INACTIVE)).length })],
  [P.DOMAIN_LOOKUP_BY_NAME, async ({ conn }, a) => domRet(await conn.lookupByName(a.name))],
  [P.DOMAIN_LOOKUP_BY_UUID, async ({ conn }, a) => domRet(await conn.lookupByUUID(a.uuid))],
  [P.DOMAIN_LOOKUP_BY_ID, async ({ conn }, a) => domRet(await conn.lookupByID(a.id))],
  [P.DOMAIN_DEFINE_XML, async ({ conn }, a) => domRet(await conn.defineXML(a.xml, 0))],
  [P.DOMAIN_DEFINE_XML_FLAGS, async ({ conn }, a) => domRet(await conn.defineXML(a.xml, a.flags))],
  [P.DOMAIN_UNDEFINE, async ({ conn }, a) => void (await conn.undefine(a.dom, 0))],
  [P.DOMAIN_UNDEFINE_FLAGS, async ({ conn }, a) => void (await conn.undefine(a.dom, a.flags))],
  [P.DOMAIN_CREATE, async ({ conn }, a) => void (await conn.create(a.dom, 0))],
  [P.DOMAIN_CREATE_WITH_FLAGS, async ({ conn }, a) => domRet(await conn.create(a.dom, a.flags))],
  [P.DOMAIN_CREATE_WITH_FILES, async ({ conn, fds }, a) => domRet(await conn.create(a.dom, a.flags, fds))],
  [P.DOMAIN_CREATE_XML, async ({ conn }, a) => domRet(await conn.createXML(a.xml_desc, a.flags))],
  [P.DOMAIN_CREATE_XML_WITH_FILES, async ({ conn, fds }, a) => domRet(await conn.createXML(a.xml_desc, a.flags, fds))],
  [P.DOMAIN_DESTROY, async ({ conn }, a) => void (await conn.destroy(a.dom, 0))],
  [P.DOMAIN_DESTROY_FLAGS, async ({ conn }, a) => void (await conn.destroy(a.dom, a.flags))],
  [P.DOMAIN_SHUTDOWN, async ({ conn }, a) => void (await conn.shutdown(a.dom, 0))],
  [P.DOMAIN_SHUTDOWN_FLAGS, async ({ conn }, a) => void (await conn.shutdown(a.dom, a.flags))],
  [P.DOMAIN_REBOOT, async ({ conn }, a) => void (await conn.reboot(a.dom, a.flags))],
  [P.DOMAIN_SUSPEND, async ({ conn }, a) => void (await conn.suspend(a.dom))],
  [P.DOMAIN_RESUME, async ({ conn }, a) => void (await conn.resume(a.dom))],
  [P.DOMAIN_GET_INFO, async ({ conn }, a) => {
    const i = await conn.getInfo(a.dom);
    return { state: i.state, maxMem: BigInt(i.maxMem), memory: BigInt(i.memory), nrVirtCpu: i.nrVirtCpu, cpuTime: BigInt(i.cpuTime) };
  }],
  [P.DOMAIN_GET_MAX_MEMORY, async ({ conn }, a) => ({ memory: BigInt((await conn.getInfo(a.dom)).maxMem) })],
  [P.DOMAIN_GET_STATE, async ({ conn }, a) => await conn.getState(a.dom)],
  [P.DOMAIN_GET_XML_DESC, async ({ conn }, a) => ({ xml: await conn.getXMLDesc(a.dom, a.flags) })],
  [P.DOMAIN_GET_AUTOSTART, async ({ conn }, a) => ({ autostart: (await conn.getAutostart(a.dom)) ? 1 : 0 })],
  [P.DOMAIN_SET_AUTOSTART, async ({ conn }, a) => void (await conn.setAutostart(a.dom, a.autostart !== 0))],
  [P.DOMAIN_IS_ACTIVE, async ({ conn }, a) => ({ active: (await conn.isActive(a.dom)) ? 1 : 0 })],
  [P.DOMAIN_IS_PERSISTENT, async ({ conn }, a) => ({ persistent: (await conn.isPersistent(a.dom)) ? 1 : 0 })],
  [P.DOMAIN_IS_UPDATED, async ({ conn }, a) => (await conn.lookupByUUID(a.dom.uuid), { updated: 0 })],
  [P.DOMAIN_GET_OS_TYPE, async ({ conn }, a) => ({
    // drivers without the call: the definition's <os><type> (exe, hvm), as libvirt reports it
    type: await orDefault(async () => {
      if (!conn.getOSType) throw new VirError(ErrorCode.NO_SUPPORT, 0, "");
      return await conn.getOSType(a.dom);
    }, "").then(async (t) => t || /<os\b[^>]*>\s*<type\b[^>]*>([^<]+)<\/type>/.exec(await conn.getXMLDesc(a.dom, 0))?.[1] || "linux"),
  })],
  // no driver keeps snapshots or taint messages yet: report none (virsh undefine/dominfo ask)
  [P.DOMAIN_SNAPSHOT_NUM, async ({ conn }, a) => (await conn.lookupByUUID(a.dom.uuid), { num: 0 })],
  [P.DOMAIN_GET_MESSAGES, async ({ conn }, a) => (await conn.lookupByUUID(a.dom.uuid), { msgs: [] })],
  [P.NODE_GET_SECURITY_MODEL, async ({ conn }) => await orDefault(async () => {
    if (!conn.getSecurityModel) return { model: "", doi: "" };
    return await conn.getSecurityModel();
  }, { model: "", doi: "" })],
  [P.DOMAIN_GET_SECURITY_LABEL, async ({ conn }, a) => {
    const l = await orDefault(async () => (conn.getSecurityLabel ? await conn.getSecurityLabel(a.dom) : { label: "", enforcing: false }), { label: "", enforcing: false });
    return { label: l.label, enforcing: l.enforcing ? 1 : 0 };
  }],
  [P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, async ({ conn }, a) => ({
    result: (await orDefault(async () => (conn.hasManagedSaveImage ? await conn.hasManagedSaveImage(a.dom) : false), false)) ? 1 : 0,
  })],
  [P.CONNECT_DOMAIN_XML_TO_NATIVE, async ({ conn }, a) => {
    if (!conn.domainXMLToNative) throw new VirError(ErrorCode.NO_SUPPORT, 0, "this function is not supported by the connection driver: virConnectDomainXMLToNative");
    return { nativeConfig: await conn.domainXMLToNative(a.nativeFormat, a.domainXml) };
  }],
  [P.CONNECT_REGISTER_CLOSE_CALLBACK, () => undefined],
  [P.CONNECT_UNREGISTER_CLOSE_CALLBACK, () => undefined],
]);

export const lxcHandlers = new Map<number, Handler>([
  [LxcProc.DOMAIN_OPEN_NAMESPACE, async (ctx, a) => {
    if (!ctx.conn.lxcOpenNamespace) throw new VirError(ErrorCode.NO_SUPPORT, 0, "this function is not supported by the connection driver: virDomainLxcOpenNamespace");
    ctx.replyFds = await ctx.conn.lxcOpenNamespace(a.dom);
  }],
]);
