// The RPC client: a Connection that speaks libvirt's protocol to a daemon over a UNIX socket
// (ours or libvirtd). Used for `+unix` URIs and for lxc:///system / qemu:///system when a
// daemon socket exists. Calls may overlap; replies are matched by serial.

import type { Connection, ConsoleStream, DomainInfo, DomainRef, DomainStateInfo, LifecycleEvent } from "../driver.ts";
import { ErrorCode, ErrorDomain, VirError, errors } from "../errors.ts";
import { cgroupDirsOf } from "../cgroup-of.ts";
import type { ParsedUri } from "../uri.ts";
import type { RemoteHook } from "../api.ts";
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM, closeQuiet, socketpair } from "../../ffi/libc.ts";
import { FdStream, connectStream, unixListening } from "../../ffi/unixsock.ts";
import { FrameDecoder, MessageStatus, MessageType, Program, bodyOf, buildPacket, virErrorFromRemote, xRemoteError, type Packet } from "./packet.ts";
import { decode, encode } from "./xdr.ts";
import { DomainEventId, REMOTE_PROTOCOL_VERSION, RemoteProc as P, remoteProcs, xCallbackLifecycleMsg, xLifecycleMsg } from "./procedures/remote.ts";
import { LXC_PROTOCOL_VERSION, LxcProc, lxcProcs } from "./procedures/lxc.ts";
import { KEEPALIVE_PROTOCOL_VERSION, KeepaliveProc } from "./procedures/keepalive.ts";
import type { ProcDef } from "./procedures/table.ts";

/** Where `bunvirt daemon` listens by default. */
export const DEFAULT_DAEMON_SOCKET = "/run/bunvirt/bunvirt-sock";

/** URI parameters that steer the transport; they are not part of the name sent to the daemon. */
const TRANSPORT_PARAMS = new Set(["socket", "mode", "proxy", "no_verify", "no_tty", "pkipath", "keyfile", "sshauth", "command", "netcat", "known_hosts", "known_hosts_verify", "name", "tls_priority"]);

/** The URI the daemon should open: scheme without transport, no host, no transport params. */
export function remoteName(uri: ParsedUri): string {
  if (uri.params.name) return uri.params.name;
  const q = Object.entries(uri.params)
    .filter(([k]) => !TRANSPORT_PARAMS.has(k))
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join("&");
  return `${uri.driver}://${uri.path || "/"}${q ? "?" + q : ""}`;
}

interface Pending {
  def: ProcDef;
  resolve(v: { ret: any; fds: number[] }): void;
  reject(e: VirError): void;
}

export class RpcClient {
  private serial = 1;
  private pending = new Map<number, Pending>();
  private decoder = new FrameDecoder();
  private closedError: VirError | null = null;
  /** STREAM packets by the serial of the call that opened the stream. */
  readonly streams = new Map<number, (p: Packet) => void>();
  onMessage: (p: Packet) => void = () => {};

  constructor(private readonly stream: FdStream) {
    stream.onData = (data, fds) => {
      try {
        if (fds.length) this.decoder.pushFds(fds);
        this.decoder.push(data);
        for (let p = this.decoder.next(); p; p = this.decoder.next()) this.onPacket(p);
      } catch (e) {
        stream.close(e as Error);
      }
    };
    stream.onClose = (err) => {
      this.closedError = new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, err ? `Cannot recv data: ${err.message}` : "End of file while reading data: Input/output error");
      for (const fd of this.decoder.leftoverFds()) closeQuiet(fd);
      for (const p of this.pending.values()) p.reject(this.closedError);
      this.pending.clear();
      for (const [serial, f] of [...this.streams]) {
        this.streams.delete(serial);
        f({ header: { prog: 0, vers: 0, proc: 0, type: MessageType.STREAM, serial, status: MessageStatus.ERROR }, frame: new Uint8Array(28), bodyStart: 28, nfds: 0, fds: [] });
      }
    };
  }

  static connect(path: string): RpcClient {
    try {
      return new RpcClient(connectStream(path));
    } catch (e) {
      throw new VirError(ErrorCode.SYSTEM_ERROR, ErrorDomain.RPC, `Failed to connect socket to '${path}': ${(e as Error).message}`);
    }
  }

  private onPacket(p: Packet) {
    const h = p.header;
    if (h.prog === Program.KEEPALIVE) {
      if (h.proc === KeepaliveProc.PING) {
        this.stream.write(buildPacket({ prog: Program.KEEPALIVE, vers: KEEPALIVE_PROTOCOL_VERSION, proc: KeepaliveProc.PONG, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK }, new Uint8Array(0)));
      }
      return;
    }
    if (h.type === MessageType.MESSAGE) return this.onMessage(p);
    if (h.type === MessageType.STREAM) return this.streams.get(h.serial)?.(p);
    if (h.type !== MessageType.REPLY && h.type !== MessageType.REPLY_WITH_FDS) return;
    const call = this.pending.get(h.serial);
    if (!call) {
      for (const fd of p.fds) closeQuiet(fd);
      return;
    }
    this.pending.delete(h.serial);
    try {
      if (h.status === MessageStatus.ERROR) {
        for (const fd of p.fds) closeQuiet(fd);
        call.reject(virErrorFromRemote(decode(xRemoteError, bodyOf(p))));
      } else {
        call.resolve({ ret: decode(call.def.ret, bodyOf(p)), fds: p.fds });
      }
    } catch (e) {
      call.reject(new VirError(ErrorCode.RPC, ErrorDomain.RPC, `Unable to decode message payload: ${(e as Error).message}`));
    }
  }

  /** Call `proc`; resolves with the decoded return value and any fds the reply carried. */
  callFds(def: ProcDef, args: unknown, fds: number[] = [], onStream?: (serial: number) => void): Promise<{ ret: any; fds: number[] }> {
    if (this.closedError) return Promise.reject(this.closedError);
    const serial = this.serial++;
    onStream?.(serial);
    const vers = def.prog === Program.LXC ? LXC_PROTOCOL_VERSION : REMOTE_PROTOCOL_VERSION;
    const type = fds.length ? MessageType.CALL_WITH_FDS : MessageType.CALL;
    const pkt = buildPacket({ prog: def.prog, vers, proc: def.proc, type, serial, status: MessageStatus.OK }, encode(def.args, args), fds.length);
    return new Promise((resolve, reject) => {
      this.pending.set(serial, { def, resolve, reject });
      this.stream.write(pkt, fds);
    });
  }

  /** Send one STREAM packet for the stream opened by call `serial`. */
  sendStream(def: ProcDef, serial: number, status: number, body: Uint8Array) {
    const vers = def.prog === Program.LXC ? LXC_PROTOCOL_VERSION : REMOTE_PROTOCOL_VERSION;
    this.stream.write(buildPacket({ prog: def.prog, vers, proc: def.proc, type: MessageType.STREAM, serial, status }, body));
  }

  async call(proc: number, args?: unknown, fds?: number[]): Promise<any> {
    return (await this.callFds(remoteProcs.get(proc)!, args, fds)).ret;
  }

  close() {
    this.stream.close();
  }
}

const VIR_CONNECT_RO = 1;
const REMOTE_AUTH_NONE = 0;
const REMOTE_AUTH_POLKIT = 2;

/** A Connection served by a daemon. */
export class RemoteConnection implements Connection {
  private type = "";
  private listeners = new Set<(ev: LifecycleEvent) => void>();
  private callbackId: number | null = null;
  private registering: Promise<void> | null = null;

  constructor(
    readonly uri: string,
    private readonly rpc: RpcClient,
  ) {
    rpc.onMessage = (p) => this.onMessage(p);
  }

  async init(name: string, readonly: boolean) {
    // libvirtd refuses everything before authentication; ours answers AUTH_NONE
    const { types } = await this.rpc.call(P.AUTH_LIST);
    if (types.length && !types.includes(REMOTE_AUTH_NONE)) {
      if (!types.includes(REMOTE_AUTH_POLKIT)) throw new VirError(ErrorCode.AUTH_FAILED, ErrorDomain.RPC, `authentication failed: unsupported authentication types ${types.join(",")}`);
      // polkit on a local socket: the daemon decides from our credentials
      const r = await this.rpc.call(P.AUTH_POLKIT);
      if (!r.complete) throw new VirError(ErrorCode.AUTH_FAILED, ErrorDomain.RPC, "authentication failed: polkit did not complete");
    }
    await this.rpc.call(P.CONNECT_OPEN, { name, flags: readonly ? VIR_CONNECT_RO : 0 });
    this.type = (await this.rpc.call(P.CONNECT_GET_TYPE)).type;
  }

  private onMessage(p: Packet) {
    let msg: { dom: DomainRef; event: number; detail: number } | null = null;
    try {
      if (p.header.proc === P.DOMAIN_EVENT_CALLBACK_LIFECYCLE) {
        const m = decode(xCallbackLifecycleMsg, bodyOf(p));
        if (m.callbackID === this.callbackId) msg = m.msg;
      } else if (p.header.proc === P.DOMAIN_EVENT_LIFECYCLE) msg = decode(xLifecycleMsg, bodyOf(p));
    } catch {
      return;
    }
    if (msg) for (const l of [...this.listeners]) l({ dom: msg.dom, event: msg.event, detail: msg.detail });
  }

  getType() {
    return this.type;
  }
  async getVersion() {
    return Number((await this.rpc.call(P.CONNECT_GET_VERSION)).hv_ver);
  }
  async getHostname() {
    return (await this.rpc.call(P.CONNECT_GET_HOSTNAME)).hostname as string;
  }
  async getCapabilities() {
    return (await this.rpc.call(P.CONNECT_GET_CAPABILITIES)).capabilities as string;
  }
  async listAllDomains(flags = 0) {
    return (await this.rpc.call(P.CONNECT_LIST_ALL_DOMAINS, { need_results: 1, flags })).domains as DomainRef[];
  }
  async lookupByName(name: string) {
    return (await this.rpc.call(P.DOMAIN_LOOKUP_BY_NAME, { name })).dom as DomainRef;
  }
  async lookupByUUID(uuid: string) {
    return (await this.rpc.call(P.DOMAIN_LOOKUP_BY_UUID, { uuid })).dom as DomainRef;
  }
  async lookupByID(id: number) {
    return (await this.rpc.call(P.DOMAIN_LOOKUP_BY_ID, { id })).dom as DomainRef;
  }
  async defineXML(xml: string, flags = 0) {
    return (await this.rpc.call(P.DOMAIN_DEFINE_XML_FLAGS, { xml, flags })).dom as DomainRef;
  }
  async undefine(dom: DomainRef, flags = 0) {
    await this.rpc.call(P.DOMAIN_UNDEFINE_FLAGS, { dom, flags });
  }
  async create(dom: DomainRef, flags = 0, fds?: number[]) {
    if (fds?.length) return (await this.rpc.call(P.DOMAIN_CREATE_WITH_FILES, { dom, flags }, fds)).dom as DomainRef;
    return (await this.rpc.call(P.DOMAIN_CREATE_WITH_FLAGS, { dom, flags })).dom as DomainRef;
  }
  async createXML(xml: string, flags = 0, fds?: number[]) {
    if (fds?.length) return (await this.rpc.call(P.DOMAIN_CREATE_XML_WITH_FILES, { xml_desc: xml, flags }, fds)).dom as DomainRef;
    return (await this.rpc.call(P.DOMAIN_CREATE_XML, { xml_desc: xml, flags })).dom as DomainRef;
  }
  async destroy(dom: DomainRef, flags = 0) {
    await this.rpc.call(P.DOMAIN_DESTROY_FLAGS, { dom, flags });
  }
  async shutdown(dom: DomainRef, flags = 0) {
    await this.rpc.call(P.DOMAIN_SHUTDOWN_FLAGS, { dom, flags });
  }
  async reboot(dom: DomainRef, flags = 0) {
    await this.rpc.call(P.DOMAIN_REBOOT, { dom, flags });
  }
  async suspend(dom: DomainRef) {
    await this.rpc.call(P.DOMAIN_SUSPEND, { dom });
  }
  async resume(dom: DomainRef) {
    await this.rpc.call(P.DOMAIN_RESUME, { dom });
  }
  async getInfo(dom: DomainRef): Promise<DomainInfo> {
    const r = await this.rpc.call(P.DOMAIN_GET_INFO, { dom });
    return { state: r.state, maxMem: Number(r.maxMem), memory: Number(r.memory), nrVirtCpu: r.nrVirtCpu, cpuTime: r.cpuTime };
  }
  async getState(dom: DomainRef): Promise<DomainStateInfo> {
    return await this.rpc.call(P.DOMAIN_GET_STATE, { dom, flags: 0 });
  }
  async getXMLDesc(dom: DomainRef, flags = 0) {
    return (await this.rpc.call(P.DOMAIN_GET_XML_DESC, { dom, flags })).xml as string;
  }
  async getAutostart(dom: DomainRef) {
    return (await this.rpc.call(P.DOMAIN_GET_AUTOSTART, { dom })).autostart !== 0;
  }
  async setAutostart(dom: DomainRef, on: boolean) {
    await this.rpc.call(P.DOMAIN_SET_AUTOSTART, { dom, autostart: on ? 1 : 0 });
  }
  async isActive(dom: DomainRef) {
    return (await this.rpc.call(P.DOMAIN_IS_ACTIVE, { dom })).active !== 0;
  }
  async isPersistent(dom: DomainRef) {
    return (await this.rpc.call(P.DOMAIN_IS_PERSISTENT, { dom })).persistent !== 0;
  }
  async getOSType(dom: DomainRef) {
    return (await this.rpc.call(P.DOMAIN_GET_OS_TYPE, { dom })).type as string;
  }
  async getSecurityModel() {
    return (await this.rpc.call(P.NODE_GET_SECURITY_MODEL)) as { model: string; doi: string };
  }
  async getSecurityLabel(dom: DomainRef) {
    const r = await this.rpc.call(P.DOMAIN_GET_SECURITY_LABEL, { dom });
    return { label: r.label as string, enforcing: r.enforcing !== 0 };
  }
  async hasManagedSaveImage(dom: DomainRef) {
    return (await this.rpc.call(P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, { dom, flags: 0 })).result !== 0;
  }
  async domainXMLToNative(format: string, xml: string) {
    return (await this.rpc.call(P.CONNECT_DOMAIN_XML_TO_NATIVE, { nativeFormat: format, domainXml: xml, flags: 0 })).nativeConfig as string;
  }
  /**
   * The console as a local fd: one end of a socketpair whose other end is pumped to and from
   * the daemon's STREAM packets. Closing the fd (or close()) aborts the stream.
   */
  async openConsole(dom: DomainRef, devName?: string): Promise<ConsoleStream> {
    const def = remoteProcs.get(P.DOMAIN_OPEN_CONSOLE)!;
    const [mine, theirs] = socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
    let serial = 0;
    let ended = false;
    const local = new FdStream(mine);
    // both ways out end with a handshake the daemon confirms with STREAM OK: abort (ERROR)
    // when our side closes, finish (OK) after the daemon's EOF (an empty CONTINUE)
    const end = (status: number) => {
      if (ended) return;
      ended = true;
      this.rpc.streams.set(serial, () => this.rpc.streams.delete(serial));
      if (status >= 0) this.rpc.sendStream(def, serial, status, new Uint8Array(0));
      else this.rpc.streams.delete(serial);
      local.close();
    };
    try {
      await this.rpc.callFds(def, { dom, dev_name: devName ?? null, flags: 0 }, [], (s) => {
        serial = s;
        this.rpc.streams.set(s, (p) => {
          const body = bodyOf(p);
          if (p.header.status === MessageStatus.CONTINUE && body.length) local.write(body);
          else if (p.header.status === MessageStatus.CONTINUE) end(MessageStatus.OK); // EOF: finish
          else end(-1); // the daemon reported an error, or the connection died
        });
      });
    } catch (e) {
      this.rpc.streams.delete(serial);
      local.close();
      closeQuiet(theirs);
      throw e;
    }
    local.onData = (data) => this.rpc.sendStream(def, serial, MessageStatus.CONTINUE, data);
    local.onClose = () => end(MessageStatus.ERROR);
    return {
      fd: theirs,
      close: () => {
        end(MessageStatus.ERROR);
        closeQuiet(theirs);
      },
    };
  }

  async lxcOpenNamespace(dom: DomainRef) {
    return (await this.rpc.callFds(lxcProcs.get(LxcProc.DOMAIN_OPEN_NAMESPACE)!, { dom, flags: 0 })).fds;
  }
  async lxcEnterNamespace(dom: DomainRef, argv: string[]): Promise<number> {
    const { enterNamespaceFds } = await import("./enter.ts");
    const fds = await this.lxcOpenNamespace(dom);
    let dirs: string[];
    try {
      // the domain id is a host pid in the container's cgroups (libvirt's LXC ids; virsh joins them)
      dirs = cgroupDirsOf(dom.id);
    } catch (e) {
      for (const fd of fds) closeQuiet(fd);
      throw errors.operationFailed(`cannot read the cgroups of domain '${dom.name}' (host pid ${dom.id}): ${(e as NodeJS.ErrnoException).code ?? e}`, ErrorDomain.LXC);
    }
    return enterNamespaceFds(fds, argv, dirs);
  }
  async waitForStop(dom: DomainRef): Promise<{ exitStatus?: number }> {
    return new Promise((resolve, reject) => {
      const off = this.onLifecycle((ev) => {
        if (ev.dom.uuid === dom.uuid && (ev.event === 5 /* STOPPED */ || ev.event === 8 /* CRASHED */)) {
          off();
          resolve({});
        }
      });
      // it may have stopped before the registration landed
      this.registering?.then(() => this.isActive(dom)).then((active) => {
        if (!active) {
          off();
          resolve({});
        }
      }, (e) => {
        off();
        reject(e);
      });
    });
  }
  onLifecycle(cb: (ev: LifecycleEvent) => void): () => void {
    this.listeners.add(cb);
    if (this.callbackId === null && !this.registering) {
      this.registering = this.rpc
        .call(P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, { eventID: DomainEventId.LIFECYCLE, dom: null })
        .then((r) => void (this.callbackId = r.callbackID));
    }
    return () => void this.listeners.delete(cb);
  }
  async close() {
    try {
      await this.rpc.call(P.CONNECT_CLOSE);
    } catch {
      // the daemon may already be gone; the socket closes either way
    }
    this.rpc.close();
  }
}

/**
 * Open a connection through a daemon: `socket` (or the URI's ?socket=, or the default daemon
 * socket). `?readonly` or a socket ending in -ro opens read-only.
 */
export async function openRemote(uri: ParsedUri, socket?: string): Promise<Connection> {
  const path = socket ?? uri.params.socket ?? DEFAULT_DAEMON_SOCKET;
  const rpc = RpcClient.connect(path);
  const conn = new RemoteConnection(uri.raw, rpc);
  try {
    await conn.init(remoteName(uri), "readonly" in uri.params || path.endsWith("-ro"));
  } catch (e) {
    rpc.close();
    throw e;
  }
  return conn;
}

/** The daemon socket serving a local DRIVER:///system URI, if one listens. */
export function daemonSocketFor(uri: ParsedUri, env = process.env): string | undefined {
  if (uri.transport || uri.host || uri.path !== "/system") return undefined;
  const path = env.BUNVIRT_DAEMON_SOCKET ?? DEFAULT_DAEMON_SOCKET;
  return unixListening(path) ? path : undefined;
}

/** What the entry point installs with setRemoteHook(). */
export const remoteHook: RemoteHook = { daemonSocket: (u) => daemonSocketFor(u), openRemote };
