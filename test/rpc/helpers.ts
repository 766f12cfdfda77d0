// Shared helpers for the RPC suites: run the real virsh, run `bunvirt daemon` as a process.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dir, "../..");
export const BUN = process.execPath;
export const hasVirsh = Bun.which("virsh") !== null;
export const isRoot = process.getuid?.() === 0;

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run virsh with a clean environment (no user config, no default URI). */
export async function virsh(uri: string, args: string[], opts: { fds?: number[] } = {}): Promise<Run> {
  const stdio: any[] = ["ignore", "pipe", "pipe", ...(opts.fds ?? [])];
  const p = Bun.spawn(["virsh", "-c", uri, ...args], {
    stdio: stdio as any,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: "/nonexistent", LC_ALL: "C" },
  });
  const [stdout, stderr] = await Promise.all([new Response(p.stdout as unknown as ReadableStream).text(), new Response(p.stderr as unknown as ReadableStream).text()]);
  return { code: await p.exited, stdout, stderr };
}

export function tempRoot(tag: string): string {
  return mkdtempSync(join(tmpdir(), `bunvirt-rpc-${tag}-`));
}

export interface DaemonProc {
  root: string;
  rw: string;
  ro: string;
  pid: number;
  /** Daemon stderr so far. */
  log(): string;
  kill(sig?: number): Promise<void>;
}

/** Start `bunvirt daemon --root DIR` and wait until both sockets exist. */
export async function startDaemon(root: string, extra: string[] = []): Promise<DaemonProc> {
  const proc = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "daemon", "--root", root, ...extra], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  (async () => {
    const dec = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) log += dec.decode(chunk);
  })();
  const rw = join(root, "bunvirt-sock"), ro = join(root, "bunvirt-sock-ro");
  for (let i = 0; i < 200 && !(existsSync(rw) && existsSync(ro) && log.includes("listening")); i++) await Bun.sleep(25);
  if (!existsSync(ro)) throw new Error(`daemon did not start: ${log}`);
  return {
    root, rw, ro, pid: proc.pid,
    log: () => log,
    async kill(sig = 15) {
      proc.kill(sig);
      await proc.exited;
    },
  };
}

export function cleanup(root: string) {
  rmSync(root, { recursive: true, force: true });
}
