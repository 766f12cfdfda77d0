// Test helper: a minimal busybox-static root filesystem in a temp dir.
import { existsSync, mkdirSync, copyFileSync, symlinkSync, mkdtempSync, rmSync, chmodSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

export const BUSYBOX = "/bin/busybox";
export const haveBusybox = existsSync(BUSYBOX) && spawnSync(BUSYBOX, ["--list"]).status === 0 && spawnSync("file", ["-L", BUSYBOX], { encoding: "utf8" }).stdout?.includes("statically");
export const isRoot = process.getuid?.() === 0;

/** Create DIR/rootfs with busybox and its applet links; returns the path. */
export function makeBusyboxRoot(dir: string): string {
  const root = join(dir, "rootfs");
  chmodSync(dir, 0o755); // a container with an idmap (mapped root) must reach its rootfs
  for (const d of ["bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "usr/bin", "usr/sbin"]) mkdirSync(join(root, d), { recursive: true });
  copyFileSync(BUSYBOX, join(root, "bin/busybox"));
  chmodSync(join(root, "bin/busybox"), 0o755);
  const applets = spawnSync(BUSYBOX, ["--list"], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
  for (const a of applets) if (a !== "busybox") symlinkSync("busybox", join(root, "bin", a));
  writeFileSync(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
  writeFileSync(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
  return root;
}

export function tempDir(prefix = "bunvirt-lxc-"): string {
  return mkdtempSync(join("/tmp", prefix));
}
export function removeDir(d: string) {
  rmSync(d, { recursive: true, force: true });
}

import { lxcPlugin } from "../../src/plugins/lxc/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import type { Connection, DomainRef } from "../../src/core/driver.ts";
import { readFd } from "../../src/ffi/exec/index.ts";

export async function openEmbed(root: string): Promise<Connection> {
  return lxcPlugin().open(parseUri(`lxc:///embed?root=${root}`));
}

/** Read a console stream until EOF (the container ended) or timeout. */
export function readConsole(fd: number, timeoutMs = 5000): string {
  let out = "";
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const b = readFd(fd, 65536, left);
    if (process.env.DBG) console.error("readFd", left, b?.length);
    if (!b || b.length === 0) break;
    out += b.toString();
  }
  return out;
}

/** createXML, collect console output, wait for the end: what `bunvirt run` does. */
export async function runXml(conn: Connection, xml: string, fds?: number[]): Promise<{ out: string; status?: number; dom: DomainRef }> {
  const dom = await conn.createXML(xml, 0, fds);
  const cs = await conn.openConsole!(dom);
  const out = readConsole(cs.fd);
  const st = await conn.waitForStop!(dom);
  cs.close();
  return { out: out.replace(/\r\n/g, "\n"), status: st.exitStatus, dom };
}

let n = 0;
/** A container definition; body goes inside <devices> after the root filesystem. */
export function domXml(o: { name?: string; root?: string; init?: string; args?: string[]; devices?: string; os?: string; extra?: string; memoryKiB?: number }): string {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;");
  return `<domain type='lxc'>
  <name>${o.name ?? `t${process.pid}-${n++}`}</name>
  <memory>${o.memoryKiB ?? 131072}</memory>
  <os><type>exe</type><init>${esc(o.init ?? "/bin/sh")}</init>${(o.args ?? []).map((a) => `<initarg>${esc(a)}</initarg>`).join("")}${o.os ?? ""}</os>
  ${o.extra ?? ""}
  <devices>
    ${o.root ? `<filesystem type='mount'><source dir='${o.root}'/><target dir='/'/></filesystem>` : ""}
    ${o.devices ?? ""}
    <console type='pty'/>
  </devices>
</domain>`;
}

/** Safety net for afterAll: destroy whatever still runs under an embed root (a failed test
 * must not leave containers, frozen or not, behind). */
export async function destroyAllUnder(stateRoot: string): Promise<void> {
  const { existsSync } = await import("node:fs");
  if (!existsSync(stateRoot)) return;
  const c = await openEmbed(stateRoot);
  for (const d of await c.listAllDomains(1 /* ACTIVE */)) {
    try {
      await c.destroy(d);
    } catch {}
  }
}
