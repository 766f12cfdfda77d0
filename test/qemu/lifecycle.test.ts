// Lifecycle of real guests (host kernel + busybox initramfs, TCG): a guest outlives the
// connection that started it and the next connection on the same root reconciles it (QMP
// reconnect); reboot (system_reset) boots the guest again; on_reboot=destroy turns a
// guest-initiated reboot into a shut-off domain.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import { DomainState, LifecycleEventType } from "../../src/core/driver.ts";
import { EventDetail, Reason } from "../../src/core/domains.ts";
import { buildInitramfs, count, hostKernel, kernelBootXml, readUntil } from "./initramfs.ts";
import { qemuPids } from "./qemu-procs.ts";

const kernel = hostKernel();
const missing = !existsSync("/usr/bin/qemu-system-x86_64") ? "qemu-system-x86 not installed" : !kernel ? "no /boot/vmlinuz-*" : !existsSync("/bin/busybox") ? "busybox-static not installed" : process.getuid?.() !== 0 ? "needs root" : "";
const root = mkdtempSync(join(tmpdir(), "bunvirt-qemu-life-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const uri = parseUri(`qemu:///embed?root=${root}`);
const { STARTED, SUSPENDED, RESUMED, STOPPED, SHUTDOWN } = LifecycleEventType;

/** Wait (bounded) until `cond` holds. */
async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await Bun.sleep(20);
}

test.skipIf(!!missing)(`a guest outlives its connection; the next open reconciles it (QMP reconnect) ${missing}`, async () => {
  const initrd = join(root, "initrd-stay.cpio");
  const marker = `BUNVIRT-STAY-${process.pid}`;
  buildInitramfs(initrd, marker, "stay");
  const conn1 = await qemuPlugin().open(uri);
  let conn2: Awaited<ReturnType<ReturnType<typeof qemuPlugin>["open"]>> | undefined;
  const dom = await conn1.createXML(kernelBootXml("life1", initrd), 1);
  try {
    const cons = await conn1.openConsole!(dom);
    await conn1.resume(dom);
    const out = await readUntil(cons.fd, marker, 30000);
    cons.close();
    expect(out).toContain(marker);
    const pids = qemuPids("guest=life1,");
    expect(pids.length).toBe(1);
    expect(pids[0]!).toBeGreaterThan(0);
    await conn1.close();
    // QEMU is still there once the connection that started it is gone
    expect(qemuPids("guest=life1,")).toEqual(pids);

    conn2 = await qemuPlugin().open(uri);
    const events: [string, number, number][] = [];
    conn2.onLifecycle!((ev) => events.push([ev.dom.name, ev.event, ev.detail]));
    const listed = await conn2.listAllDomains();
    expect(listed.map((d) => [d.name, d.id])).toEqual([["life1", dom.id]]);
    const d2 = await conn2.lookupByName("life1");
    expect(d2.id).toBe(dom.id);
    expect(await conn2.getState(d2)).toEqual({ state: DomainState.RUNNING, reason: Reason.RUNNING_UNPAUSED });
    expect(await conn2.getXMLDesc(d2, 0)).toContain(`<domain type='qemu' id='${dom.id}'>`);
    // suspend/resume go through the reconnected monitor: QEMU's own status follows
    await conn2.suspend(d2);
    expect((await conn2.getState(d2)).state).toBe(DomainState.PAUSED);
    const st1 = JSON.parse(await (conn2 as any).qemuMonitorCommand(d2, '{"execute":"query-status"}'));
    expect(st1.return.status).toBe("paused");
    await conn2.resume(d2);
    expect(await conn2.getState(d2)).toEqual({ state: DomainState.RUNNING, reason: Reason.RUNNING_UNPAUSED });
    const st2 = JSON.parse(await (conn2 as any).qemuMonitorCommand(d2, '{"execute":"query-status"}'));
    expect(st2.return.status).toBe("running");
    await conn2.destroy(d2);
    await Bun.sleep(100); // no late event (e.g. a crash for the monitor closing)
    expect(events).toEqual([
      ["life1", SUSPENDED, EventDetail.SUSPENDED_PAUSED],
      ["life1", RESUMED, EventDetail.RESUMED_UNPAUSED],
      ["life1", STOPPED, EventDetail.STOPPED_DESTROYED],
    ]);
    // transient: gone once destroyed; QEMU ended and reaped
    expect((await conn2.listAllDomains()).map((d) => d.name)).toEqual([]);
    expect(qemuPids("guest=life1,")).toEqual([]);
  } finally {
    for (const pid of qemuPids("guest=life1,")) if (pid > 0) process.kill(pid, "SIGKILL");
    await conn2?.close();
  }
}, 90000);

test.skipIf(!!missing)(`reboot (system_reset) boots the guest again; the domain stays running ${missing}`, async () => {
  const initrd = join(root, "initrd-reboot.cpio");
  const marker = `BUNVIRT-RESET-${process.pid}`;
  buildInitramfs(initrd, marker, "stay");
  const conn = await qemuPlugin().open(uri);
  const events: [number, number][] = [];
  conn.onLifecycle!((ev) => events.push([ev.event, ev.detail]));
  const dom = await conn.createXML(kernelBootXml("life2", initrd), 1);
  try {
    const cons = await conn.openConsole!(dom);
    await conn.resume(dom);
    let out = await readUntil(cons.fd, marker, 30000);
    expect(count(out, marker)).toBe(1);
    await conn.reboot(dom);
    out = await readUntil(cons.fd, marker, 30000, 2, out);
    cons.close();
    expect(count(out, marker)).toBe(2);
    expect(await conn.getState(dom)).toEqual({ state: DomainState.RUNNING, reason: Reason.RUNNING_UNPAUSED });
    const st = JSON.parse(await (conn as any).qemuMonitorCommand(dom, '{"execute":"query-status"}'));
    expect(st.return.status).toBe("running");
    // a reset is no lifecycle event in libvirt (it has its own REBOOT event)
    expect(events).toEqual([[STARTED, EventDetail.STARTED_BOOTED], [RESUMED, EventDetail.RESUMED_UNPAUSED]]);
    expect(qemuPids("guest=life2,").length).toBe(1);
  } finally {
    await conn.destroy(dom).catch(() => {});
    await conn.close();
  }
  expect(qemuPids("guest=life2,")).toEqual([]);
}, 90000);

test.skipIf(!!missing)(`on_reboot=destroy: a guest-initiated reboot ends the domain shut off ${missing}`, async () => {
  const initrd = join(root, "initrd-gr.cpio");
  const marker = `BUNVIRT-GUESTREBOOT-${process.pid}`;
  buildInitramfs(initrd, marker, "reboot");
  const xml = kernelBootXml("life3", initrd).replace("<on_poweroff>destroy</on_poweroff>", "<on_poweroff>destroy</on_poweroff>\n  <on_reboot>destroy</on_reboot>");
  const conn = await qemuPlugin().open(uri);
  const events: [number, number][] = [];
  // persistent, so that its shut-off state and reason can be read afterwards
  const dom = await conn.defineXML(xml);
  conn.onLifecycle!((ev) => events.push([ev.event, ev.detail]));
  try {
    await conn.create(dom, 1);
    const cons = await conn.openConsole!(dom);
    const stopped = conn.waitForStop!(dom);
    await conn.resume(dom);
    const out = await readUntil(cons.fd, marker, 30000);
    cons.close();
    expect(out).toContain(marker);
    await Promise.race([stopped, Bun.sleep(30000)]);
    await Bun.sleep(100);
    expect(events).toEqual([[STARTED, EventDetail.STARTED_BOOTED], [RESUMED, EventDetail.RESUMED_UNPAUSED], [SHUTDOWN, 1], [STOPPED, EventDetail.STOPPED_SHUTDOWN]]);
    expect(await conn.getState(dom)).toEqual({ state: DomainState.SHUTOFF, reason: Reason.SHUTOFF_SHUTDOWN });
    expect(qemuPids("guest=life3,")).toEqual([]);
  } finally {
    if ((await conn.getState(dom)).state !== DomainState.SHUTOFF) await conn.destroy(dom).catch(() => {});
    await conn.undefine(dom);
    await conn.close();
  }
}, 90000);
