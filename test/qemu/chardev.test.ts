// Character devices on a real QEMU: a guest-agent channel without a path gets its socket in the
// domain's channel directory (bound by us, passed as an fd), a serial port logs to a file QEMU
// receives through -add-fd; the socket is removed when the domain stops.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import { qemuPids } from "./qemu-procs.ts";

const dir = mkdtempSync(join(tmpdir(), "bunvirt-qemu-chr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test.skipIf(!existsSync("/usr/bin/qemu-system-x86_64"))("guest agent channel socket and serial log file", async () => {
  const log = join(dir, "serial.log");
  const xml = `<domain type='qemu'><name>chr1</name><memory unit='MiB'>64</memory>
    <os><type arch='x86_64' machine='pc'>hvm</type></os>
    <devices>
      <serial type='file'><source path='${log}'/></serial>
      <channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
      <memballoon model='none'/>
    </devices></domain>`;
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${dir}/root`));
  const dom = await conn.createXML(xml, 1);
  const sock = join(dir, "root/run/qemu/channel", `${dom.id}-chr1`, "org.qemu.guest_agent.0");
  try {
    expect(statSync(sock).isSocket()).toBe(true);
    expect(existsSync(log)).toBe(true);
    const [pid] = qemuPids("guest=chr1,");
    expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain(`path=/dev/fdset/0`);
    const chardevs = JSON.parse(await (conn as any).qemuMonitorCommand(dom, '{"execute":"query-chardev"}')).return as { label: string; filename: string }[];
    expect(chardevs.find((c) => c.label === "charchannel0")?.filename).toBe(`disconnected:unix:${sock},server=on`) // listening, no agent yet;
  } finally {
    await conn.destroy(dom);
    await conn.close();
  }
  expect(existsSync(sock)).toBe(false);
  expect(qemuPids("guest=chr1,")).toEqual([]);
}, 30000);
