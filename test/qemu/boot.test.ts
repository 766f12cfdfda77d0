// Boots a real guest: the host's Debian kernel with a busybox initramfs built here. The guest
// prints a marker on its serial console (read through openConsole) and powers off; the domain
// must end shut off with reason "shutdown".
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import { DomainState, LifecycleEventType } from "../../src/core/driver.ts";
import { buildInitramfs, hostKernel, kernelBootXml, readUntil } from "./initramfs.ts";
import { qemuPids } from "./qemu-procs.ts";

const kernel = hostKernel();
const missing = !existsSync("/usr/bin/qemu-system-x86_64") ? "qemu-system-x86 not installed" : !kernel ? "no /boot/vmlinuz-*" : !existsSync("/bin/busybox") ? "busybox-static not installed" : process.getuid?.() !== 0 ? "needs root" : "";
const kvm = existsSync("/dev/kvm");
const root = mkdtempSync(join(tmpdir(), "bunvirt-qemu-boot-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test.skipIf(!!missing)(`boots a kernel, reads the console marker, ends shut off ${missing}`, async () => {
  const initrd = join(root, "initrd.cpio");
  const marker = `BUNVIRT-BOOT-${process.pid}`;
  buildInitramfs(initrd, marker);
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
  const events: [number, number][] = [];
  conn.onLifecycle!((ev) => events.push([ev.event, ev.detail]));
  const dom = await conn.createXML(kernelBootXml("boot1", initrd), 1 /* paused: open the console first */);
  expect((await conn.getState(dom)).state).toBe(DomainState.PAUSED);
  const cons = await conn.openConsole!(dom);
  const stopped = conn.waitForStop!(dom);
  await conn.resume(dom);
  expect((await conn.getState(dom)).state).toBe(DomainState.RUNNING);
  const out = await readUntil(cons.fd, marker, 30000);
  cons.close();
  expect(out).toContain(marker);
  await Promise.race([stopped, Bun.sleep(30000)]);
  // as libvirt: started, resumed, "shutdown guest", then one "stopped shutdown" (not a suspend
  // for QEMU's pause after power-off, nor a crash when its monitor closes)
  await Bun.sleep(100);
  expect(events).toEqual([[LifecycleEventType.STARTED, 0], [LifecycleEventType.RESUMED, 0], [LifecycleEventType.SHUTDOWN, 1], [LifecycleEventType.STOPPED, 0]]);
  // Transient domain: gone once shut off.
  expect((await conn.listAllDomains()).map((d) => d.name)).toEqual([]);
  // QEMU itself is gone and reaped (-no-shutdown would keep it alive after the guest's poweroff).
  expect(qemuPids("guest=boot1,")).toEqual([]);
  await conn.close();
}, 70000);

test.skipIf(!!missing || !kvm)(`a kvm domain runs under KVM (query-kvm), firmware hands over to the kernel ${missing}`, async () => {
  const initrd = join(root, "initrd-kvm.cpio");
  buildInitramfs(initrd, "KVM");
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
  const dom = await conn.createXML(kernelBootXml("kvm1", initrd, "kvm"), 1);
  try {
    const cons = await conn.openConsole!(dom);
    await conn.resume(dom);
    const kvmState = JSON.parse(await (conn as any).qemuMonitorCommand(dom, '{"execute":"query-kvm"}'));
    expect(kvmState).toEqual({ return: { enabled: true, present: true } });
    // Firmware hands over to the kernel: the vCPU ends up executing above 16 MiB (the relocated
    // decompressor), where it stays on these hosts (see initramfs.ts).
    let rip = 0;
    for (let i = 0; i < 100 && rip < 0x1000000; i++) {
      await Bun.sleep(100);
      const hmp = JSON.parse(await (conn as any).qemuMonitorCommand(dom, '{"execute":"human-monitor-command","arguments":{"command-line":"info registers"}}'));
      rip = parseInt(/RIP=([0-9a-f]+)/.exec(hmp.return)?.[1] ?? "0", 16);
    }
    expect(rip).toBeGreaterThanOrEqual(0x1000000);
    cons.close();
  } finally {
    await conn.destroy(dom);
    await conn.close();
  }
  expect(qemuPids("guest=kvm1,")).toEqual([]);
}, 30000);
