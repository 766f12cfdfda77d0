// A QMP client over a UNIX socket: greeting, qmp_capabilities, commands matched by id, events.
import { errors, ErrorDomain } from "../../core/errors.ts";

export interface QmpEvent {
  event: string;
  data?: Record<string, unknown>;
}

export class Qmp {
  private buf = "";
  private nextId = 1;
  private pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private greeted!: () => void;
  private readonly greeting = new Promise<void>((r) => (this.greeted = r));
  private sock?: Awaited<ReturnType<typeof Bun.connect>>;
  private closedResolve!: () => void;
  /** Resolves when the monitor connection ends (QEMU exited or closed it). */
  readonly closed = new Promise<void>((r) => (this.closedResolve = r));
  onEvent: (ev: QmpEvent) => void = () => {};

  static async connect(path: string, timeoutMs = 5000): Promise<Qmp> {
    const q = new Qmp();
    q.sock = await Bun.connect({
      unix: path,
      socket: {
        data: (_s, d) => q.feed(d.toString()),
        close: () => q.end(),
        error: () => q.end(),
      },
    });
    const t = setTimeout(() => q.end(), timeoutMs);
    await q.greeting;
    clearTimeout(t);
    if (q.dead) {
      q.sock?.end();
      throw errors.operationFailed(`no QMP greeting on ${path}`, ErrorDomain.QEMU);
    }
    await q.cmd("qmp_capabilities");
    return q;
  }

  private feed(s: string): void {
    this.buf += s;
    let i: number;
    while ((i = this.buf.indexOf("\n")) >= 0) {
      const line = this.buf.slice(0, i).trim();
      this.buf = this.buf.slice(i + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, any>;
      if (msg.QMP) this.greeted();
      else if (msg.event) this.onEvent({ event: msg.event, data: msg.data });
      else if (msg.id !== undefined) {
        const p = this.pending.get(String(msg.id));
        this.pending.delete(String(msg.id));
        if (!p) continue;
        if (msg.error) p.reject(errors.operationFailed(`QEMU: ${msg.error.desc}`, ErrorDomain.QEMU));
        else p.resolve(msg.return);
      }
    }
  }

  dead = false;
  private end(): void {
    this.dead = true;
    for (const p of this.pending.values()) p.reject(errors.operationFailed("QEMU monitor connection closed", ErrorDomain.QEMU));
    this.pending.clear();
    this.greeted();
    this.closedResolve();
  }

  cmd<T = any>(execute: string, args?: Record<string, unknown>): Promise<T> {
    const id = String(this.nextId++);
    if (this.dead) return Promise.reject(errors.operationFailed("QEMU monitor connection closed", ErrorDomain.QEMU));
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      const n = this.sock?.write(JSON.stringify({ execute, ...(args ? { arguments: args } : {}), id }) + "\n");
      if (!n) {
        this.pending.delete(id);
        reject(errors.operationFailed("QEMU monitor is not connected", ErrorDomain.QEMU));
      }
    });
  }

  close(): void {
    this.sock?.end();
  }
  /** Don't keep the event loop alive for this connection. */
  unref(): void {
    this.sock?.unref();
  }
}
