// `bunvirt daemon [--root DIR]`: serve the libvirt wire protocol on a read-write and a
// read-only UNIX socket, opening local drivers in-process.
//
// URI mapping, the same for every driver (the core names none): without --root a client's
// X:///system is opened as is; with --root DIR the daemon opens `X:///embed?root=DIR/X` (the embed
// convention every stateful driver follows) so every config and state file sits under DIR.
// X:///default (the test driver's) is opened unchanged. Each distinct URI is opened once and shared by
// all clients: two driver instances over the same state would fight over it.

import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Connection } from "../driver.ts";
import { ErrorCode, ErrorDomain, VirError, errors } from "../errors.ts";
import { unixListening } from "../../ffi/unixsock.ts";
import { parseUri } from "../uri.ts";
import { RpcServer } from "./server.ts";

export const DEFAULT_SOCKET_DIR = "/run/bunvirt";

export interface DaemonOptions {
  /** Sockets and state under DIR (DIR/bunvirt-sock, DIR/bunvirt-sock-ro, DIR/lxc, DIR/qemu). */
  root?: string;
  /** Group allowed on the rw socket (mode 0660 instead of 0600). */
  group?: number;
  /** Open a driver URI in-process (default: openConnection with local routing only). */
  open?(uri: string): Promise<Connection>;
  log?(msg: string): void;
  /** Exit on SIGTERM/SIGINT after closing the sockets (the CLI verb; tests pass false). */
  handleSignals?: boolean;
}

export interface DaemonHandle {
  rwSocket: string;
  roSocket: string;
  server: RpcServer;
  close(): Promise<void>;
}

/** The URI the daemon opens in-process for the one a client asked for. */
export function localUriFor(name: string, root?: string): string {
  if (!root) return name;
  const u = parseUri(name);
  if (u.path === "/system" && !u.transport && !u.host) {
    return `${u.driver}:///embed?root=${encodeURIComponent(join(root, u.driver))}`;
  }
  return name;
}

/**
 * Only the URIs a daemon is for: X:///system and X:///default with no parameters. A client must
 * not make the (root) daemon open an embed root or a test-driver file of its choosing.
 */
export function checkServed(name: string): void {
  let u;
  try {
    u = parseUri(name);
  } catch {
    throw errors.noConnect(name);
  }
  const ok = !u.transport && !u.host && Object.keys(u.params).length === 0 &&
    (u.path === "/system" || u.path === "/default");
  if (!ok) throw new VirError(ErrorCode.NO_CONNECT, ErrorDomain.RPC, `no connection driver available for ${name}: the daemon serves DRIVER:///system and DRIVER:///default URIs only`);
}

export async function runDaemon(opts: DaemonOptions = {}): Promise<DaemonHandle> {
  const dir = opts.root ?? DEFAULT_SOCKET_DIR;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const open =
    opts.open ??
    (async (uri: string) => {
      const { openConnection } = await import("../api.ts");
      return openConnection(uri, { local: true });
    });
  const drivers = new Map<string, Promise<Connection>>();
  const openDriver = (name: string) => {
    checkServed(name);
    const local = localUriFor(name, opts.root);
    let p = drivers.get(local);
    if (!p) {
      p = open(local);
      drivers.set(local, p);
      // a failed open is not cached: the next client retries
      p.catch(() => drivers.delete(local));
    }
    return p;
  };
  const server = new RpcServer({ openDriver, log: opts.log });
  const rwSocket = join(dir, "bunvirt-sock");
  const roSocket = join(dir, "bunvirt-sock-ro");
  // a socket file left by a killed daemon is replaced; a live one belongs to a running daemon
  if (unixListening(rwSocket)) throw new VirError(ErrorCode.OPERATION_FAILED, ErrorDomain.RPC, `operation failed: a daemon is already listening on ${rwSocket}`);
  server.listen(rwSocket, opts.group !== undefined ? 0o660 : 0o600, false);
  if (opts.group !== undefined) chownSync(rwSocket, 0, opts.group);
  server.listen(roSocket, 0o666, true);
  server.log(`listening on ${rwSocket} and ${roSocket}`);

  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.close();
    for (const p of drivers.values()) {
      try {
        await (await p).close();
      } catch (e) {
        if (!(e instanceof VirError)) server.log(`closing driver: ${(e as Error).message}`);
      }
    }
  };
  if (opts.handleSignals ?? true) {
    const onSignal = (sig: string) => {
      server.log(`${sig}: shutting down`);
      close().finally(() => process.exit(0));
    };
    process.once("SIGTERM", () => onSignal("SIGTERM"));
    process.once("SIGINT", () => onSignal("SIGINT"));
  }
  return { rwSocket, roSocket, server, close };
}

