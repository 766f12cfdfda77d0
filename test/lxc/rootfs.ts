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
