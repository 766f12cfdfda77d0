// The RPC server: one Session per client socket. Calls are dispatched concurrently (replies are
// matched by serial, as libvirtd does), events go out as MESSAGE packets, keepalive PINGs get
// PONGs. A malformed stream closes only that client, with a log line.

import { LifecycleEventType, type Connection, type LifecycleEvent } from "../driver.ts";
import { ErrorCode, ErrorDomain, VirError, toVirError } from "../errors.ts";
import { FdReader, FdStream, UnixListener } from "../../ffi/unixsock.ts";
import { closeQuiet, dup } from "../../ffi/libc.ts";
import { FrameDecoder, MessageStatus, MessageType, Program, buildPacket, bodyOf, errorBody, type Header, type Packet } from "../rpc/packet.ts";
import { decode, encode } from "../rpc/xdr.ts";
import { DomainEventId, REMOTE_PROTOCOL_VERSION, RemoteProc as P, remoteProcs, xCallbackLifecycleMsg, xLifecycleMsg } from "../rpc/procedures/remote.ts";
import { LXC_PROTOCOL_VERSION, lxcProcs } from "../rpc/procedures/lxc.ts";
import { KEEPALIVE_PROTOCOL_VERSION, KeepaliveProc } from "../rpc/procedures/keepalive.ts";
import type { ProcDef } from "../rpc/procedures/table.ts";
import { PRE_OPEN, lxcHandlers, remoteHandlers, type CallCtx } from "./handlers.ts";

/** VIR_CONNECT_RO */
const CONNECT_RO = 1;
/** Concurrent calls per client (libvirtd's max_client_requests is 5; we allow more, still bounded). */
const MAX_CLIENT_REQUESTS = 32;

/** A console a client has open: our dup of its fd, the driver's release, the call it answers. */
interface ConsoleEntry {
  reader: FdReader;
  fd: number;
  release(): void;
  uuid: string;
  call: Header;
  /** The console side ended; waiting for the client's finish/abort to confirm. */
  done: boolean;
}

export interface ServerOptions {
  /** Open (or share) the driver connection for the URI a client names in CONNECT_OPEN. */
  openDriver(name: string): Promise<Connection>;
  /** URI used when a client opens with a NULL name. */
  defaultUri?: string;
  log?(msg: string): void;
}

const PROGRAMS: Record<number, { vers: number; procs: Map<number, ProcDef>; handlers: Map<number, (c: CallCtx, a: any) => unknown> }> = {
  [Program.REMOTE]: { vers: REMOTE_PROTOCOL_VERSION, procs: remoteProcs, handlers: remoteHandlers },
  [Program.LXC]: { vers: LXC_PROTOCOL_VERSION, procs: lxcProcs, handlers: lxcHandlers },
};

let nextSessionId = 1;

export class Session {
  readonly id = nextSessionId++;
  private decoder = new FrameDecoder();
  conn: Connection | null = null;
  uri = "";
  readonly: boolean;
  private callbacks = new Map<number, { eventID: number; uuid: string | null }>();
  private nextCallbackId = 1;
  /** Old-style registrations (DOMAIN_EVENT_REGISTER / REGISTER_ANY lifecycle) get proc 107. */
  private legacyLifecycle = 0;
  private unsubscribe: (() => void) | null = null;
  private inflight = 0;
  /** Calls waiting for a slot: a client may not keep more than MAX_CLIENT_REQUESTS in the driver. */
  private queued: Packet[] = [];
  /** Open console streams by the serial of their DOMAIN_OPEN_CONSOLE call. */
  private streams = new Map<number, ConsoleEntry>();

  constructor(
    private readonly stream: FdStream,
    readonlySocket: boolean,
    private readonly server: RpcServer,
  ) {
    this.readonly = readonlySocket;
    stream.onData = (data, fds) => this.onData(data, fds);
    stream.onClose = (err) => this.cleanup(err);
  }

  private log(msg: string) {
    this.server.log(`client ${this.id}: ${msg}`);
  }

  private onData(data: Uint8Array, fds: number[]) {
    try {
      if (fds.length) this.decoder.pushFds(fds);
      this.decoder.push(data);
      for (let p = this.decoder.next(); p; p = this.decoder.next()) this.onPacket(p);
    } catch (e) {
      this.log(`closing connection: malformed packet: ${(e as Error).message}`);
      this.stream.close();
    }
  }

  private cleanup(err?: Error) {
    if (err) this.log(`connection error: ${err.message}`);
    for (const fd of this.decoder.leftoverFds()) closeQuiet(fd);
    for (const p of this.queued) for (const fd of p.fds) closeQuiet(fd);
    this.queued = [];
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.callbacks.clear();
    for (const serial of [...this.streams.keys()]) this.endStream(serial);
    this.server.sessions.delete(this);
  }

  private send(h: Header, body: Uint8Array, fds: number[] = []) {
    this.stream.write(buildPacket(h, body, fds.length), fds, true);
  }

  private reply(call: Header, body: Uint8Array, fds: number[] = []) {
    const type = fds.length ? MessageType.REPLY_WITH_FDS : MessageType.REPLY;
    this.send({ ...call, type, status: MessageStatus.OK }, body, fds);
  }

  private replyError(call: Header, e: VirError) {
    this.send({ ...call, type: MessageType.REPLY, status: MessageStatus.ERROR }, errorBody(e));
  }

  private onPacket(p: Packet) {
    const h = p.header;
    if (h.prog === Program.KEEPALIVE) {
      for (const fd of p.fds) closeQuiet(fd);
      if (h.type !== MessageType.MESSAGE) throw new Error(`keepalive packet of type ${h.type}`);
      if (h.proc === KeepaliveProc.PING) {
        this.send({ prog: Program.KEEPALIVE, vers: KEEPALIVE_PROTOCOL_VERSION, proc: KeepaliveProc.PONG, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK }, new Uint8Array(0));
      }
      return;
    }
    if (h.type !== MessageType.CALL && h.type !== MessageType.CALL_WITH_FDS) {
      for (const fd of p.fds) closeQuiet(fd);
      if (h.type === MessageType.STREAM) return this.onStreamPacket(p);
      if (h.type === MessageType.STREAM_HOLE) return this.log(`ignoring stream hole for serial ${h.serial}: console streams are not sparse`);
      throw new Error(`unexpected message type ${h.type} from a client`);
    }
    if (this.inflight >= MAX_CLIENT_REQUESTS) this.queued.push(p);
    else void this.dispatch(p);
  }

  private async dispatch(p: Packet) {
    const h = p.header;
    const fds = p.fds;
    this.inflight++;
    try {
      const prog = PROGRAMS[h.prog];
      if (!prog || prog.vers !== h.vers) {
        throw new VirError(ErrorCode.RPC, ErrorDomain.RPC, `cannot find program ${h.prog} version ${h.vers}`);
      }
      const def = prog.procs.get(h.proc);
      const handler = prog.handlers.get(h.proc);
      if (!def || (!handler && !isSessionProc(h.prog, h.proc))) {
        this.log(`unsupported procedure ${h.prog.toString(16)}:${h.proc}`);
        throw new VirError(ErrorCode.NO_SUPPORT, ErrorDomain.RPC, `this function is not supported by the connection driver: unknown procedure: ${h.proc}`);
      }
      let args: any;
      try {
        args = decode(def.args, bodyOf(p));
      } catch (e) {
        this.log(`closing connection: cannot decode ${def.name} arguments: ${(e as Error).message}`);
        this.stream.close();
        return;
      }
      if (!this.conn && !(h.prog === Program.REMOTE && PRE_OPEN.has(h.proc))) {
        throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, "internal error: connection not open");
      }
      if (this.readonly && !def.readonly) {
        const dom = def.api?.startsWith("virConnect") ? ErrorDomain.NONE : ErrorDomain.DOMAIN;
        throw new VirError(ErrorCode.OPERATION_DENIED, dom, `operation forbidden: read only access prevents ${def.api ?? def.name}`);
      }
      let ret: unknown;
      const ctx: CallCtx = { session: this, conn: this.conn!, fds };
      if (isSessionProc(h.prog, h.proc)) ret = await this.sessionCall(h, args, ctx);
      else ret = await handler!(ctx, args);
      this.reply(h, encode(def.ret, ret), ctx.replyFds ?? []);
      ctx.afterReply?.();
    } catch (e) {
      const ve = toVirError(e);
      this.replyError(h, ve);
    } finally {
      // the driver dup'ed what it keeps; our copies of passed fds go
      for (const fd of fds) closeQuiet(fd);
      this.inflight--;
      const next = this.queued.shift();
      if (next && !this.stream.isClosed) void this.dispatch(next);
    }
  }

  /** Calls that change the session itself rather than reach the driver. */
  private async sessionCall(call: Header, args: any, ctx: CallCtx): Promise<unknown> {
    const proc = call.proc;
    switch (proc) {
      case P.DOMAIN_OPEN_CONSOLE: {
        if (!this.conn!.openConsole) throw new VirError(ErrorCode.NO_SUPPORT, ErrorDomain.NONE, "this function is not supported by the connection driver: virDomainOpenConsole");
        const cs = await this.conn!.openConsole(args.dom, args.dev_name ?? undefined);
        // our own fd number for the epoll set; the driver keeps (and later closes) its own
        const fd = dup(cs.fd);
        ctx.afterReply = () => this.startStream(call, args.dom.uuid, fd, () => cs.close());
        // a console ends with its domain (a pty kept open by the driver never reports EOF)
        this.subscribe();
        return undefined;
      }
      case P.CONNECT_OPEN: {
        if (this.conn) throw new VirError(ErrorCode.INTERNAL_ERROR, ErrorDomain.RPC, "internal error: connection already open");
        const name: string = args.name || this.server.opts.defaultUri || "";
        if (!name) throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, "no connection driver available for <null>");
        if (args.flags & CONNECT_RO) this.readonly = true;
        this.conn = await this.server.opts.openDriver(name);
        this.uri = name;
        return undefined;
      }
      case P.CONNECT_CLOSE:
        // the driver connection is shared by the daemon; closing just detaches this client
        this.unsubscribe?.();
        this.unsubscribe = null;
        this.callbacks.clear();
        this.conn = null;
        return undefined;
      case P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: {
        const id = this.nextCallbackId++;
        this.callbacks.set(id, { eventID: args.eventID, uuid: args.dom?.uuid ?? null });
        this.subscribe();
        return { callbackID: id };
      }
      case P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY:
        if (!this.callbacks.delete(args.callbackID)) {
          throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.RPC, `invalid argument: callback ${args.callbackID} not registered`);
        }
        return undefined;
      case P.CONNECT_DOMAIN_EVENT_REGISTER:
        this.legacyLifecycle++;
        this.subscribe();
        return { cb_registered: 1 };
      case P.CONNECT_DOMAIN_EVENT_DEREGISTER:
        this.legacyLifecycle = Math.max(0, this.legacyLifecycle - 1);
        return { cb_registered: 1 };
      case P.CONNECT_DOMAIN_EVENT_REGISTER_ANY:
        if (args.eventID === DomainEventId.LIFECYCLE) this.legacyLifecycle++;
        this.subscribe();
        return undefined;
      case P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY:
        if (args.eventID === DomainEventId.LIFECYCLE) this.legacyLifecycle = Math.max(0, this.legacyLifecycle - 1);
        return undefined;
    }
    throw new Error(`no session handler for ${proc}`);
  }

  private streamHeader(call: Header, status: number): Header {
    return { prog: call.prog, vers: call.vers, proc: call.proc, type: MessageType.STREAM, serial: call.serial, status };
  }

  /**
   * Pump a console: its output goes out as STREAM CONTINUE packets. Its end is an *empty*
   * CONTINUE (libvirt's "read EOF"; STREAM OK only confirms a client's finish), after which the
   * entry waits for the client's finish or abort to confirm.
   */
  private startStream(call: Header, uuid: string, fd: number, release: () => void) {
    const reader = new FdReader(
      fd,
      (data) => this.send(this.streamHeader(call, MessageStatus.CONTINUE), data),
      (err) => this.streamEof(call.serial, err),
    );
    this.streams.set(call.serial, { reader, fd, release, uuid, call, done: false });
  }

  /** The console side ended: tell the client, free the console, keep the serial for the handshake. */
  private streamEof(serial: number, err?: Error) {
    const s = this.streams.get(serial);
    if (!s || s.done) return;
    if (err) this.send(this.streamHeader(s.call, MessageStatus.ERROR), errorBody(toVirError(err)));
    else this.send(this.streamHeader(s.call, MessageStatus.CONTINUE), new Uint8Array(0));
    this.releaseStream(s);
  }

  private releaseStream(s: ConsoleEntry) {
    if (s.done) return;
    s.done = true;
    s.reader.close();
    closeQuiet(s.fd);
    s.release();
  }

  private endStream(serial: number) {
    const s = this.streams.get(serial);
    if (!s) return;
    this.streams.delete(serial);
    this.releaseStream(s);
  }

  /** Client side of a stream: CONTINUE carries input, OK finishes, ERROR aborts. */
  private onStreamPacket(p: Packet) {
    const h = p.header;
    const s = this.streams.get(h.serial);
    if (!s) return; // late data for a stream that already ended
    if (h.status === MessageStatus.CONTINUE) {
      if (!s.done) s.reader.write(bodyOf(p));
      return;
    }
    // finish and abort are both confirmed with an empty STREAM OK, as libvirtd does
    this.endStream(h.serial);
    this.send(this.streamHeader(h, MessageStatus.OK), new Uint8Array(0));
  }

  private subscribe() {
    if (this.unsubscribe || !this.conn) return;
    try {
      this.unsubscribe = this.conn.onLifecycle?.((ev) => this.emit(ev)) ?? null;
    } catch {
      // a driver without events: registrations succeed and never fire, as with libvirt's
    }
  }

  private emit(ev: LifecycleEvent) {
    if (this.stream.isClosed) return;
    if (ev.event === LifecycleEventType.STOPPED || ev.event === LifecycleEventType.CRASHED) {
      for (const [serial, st] of [...this.streams]) if (st.uuid === ev.dom.uuid) this.streamEof(serial);
    }
    const dom = { name: ev.dom.name, uuid: ev.dom.uuid, id: ev.dom.id };
    const msg = { dom, event: ev.event, detail: ev.detail };
    const hdr = (proc: number): Header => ({ prog: Program.REMOTE, vers: REMOTE_PROTOCOL_VERSION, proc, type: MessageType.MESSAGE, serial: 0, status: MessageStatus.OK });
    for (const [id, cb] of this.callbacks) {
      if (cb.eventID !== DomainEventId.LIFECYCLE) continue;
      if (cb.uuid && cb.uuid !== dom.uuid) continue;
      this.send(hdr(P.DOMAIN_EVENT_CALLBACK_LIFECYCLE), encode(xCallbackLifecycleMsg, { callbackID: id, msg }));
    }
    if (this.legacyLifecycle > 0) this.send(hdr(P.DOMAIN_EVENT_LIFECYCLE), encode(xLifecycleMsg, msg));
  }

  close() {
    this.stream.close();
  }
}

const SESSION_PROCS = new Set<number>([
  P.DOMAIN_OPEN_CONSOLE,
  P.CONNECT_OPEN,
  P.CONNECT_CLOSE,
  P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY,
  P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY,
  P.CONNECT_DOMAIN_EVENT_REGISTER,
  P.CONNECT_DOMAIN_EVENT_DEREGISTER,
  P.CONNECT_DOMAIN_EVENT_REGISTER_ANY,
  P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY,
]);
function isSessionProc(prog: number, proc: number) {
  return prog === Program.REMOTE && SESSION_PROCS.has(proc);
}

export class RpcServer {
  readonly sessions = new Set<Session>();
  private listeners: UnixListener[] = [];

  constructor(readonly opts: ServerOptions) {}

  log(msg: string) {
    (this.opts.log ?? ((m: string) => console.error(`bunvirt daemon: ${m}`)))(msg);
  }

  /** Listen on `path`; clients of a read-only socket cannot change anything. */
  listen(path: string, mode: number, readonly: boolean): UnixListener {
    const l = new UnixListener(path, mode, (stream) => {
      this.sessions.add(new Session(stream, readonly, this));
    });
    this.listeners.push(l);
    return l;
  }

  close() {
    for (const l of this.listeners) l.close();
    this.listeners = [];
    for (const s of [...this.sessions]) s.close();
  }
}

