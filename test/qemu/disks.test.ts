// Disks on a real QEMU: file and block (a loop device), raw and qcow2, virtio/ide/sata, and a
// read-only cdrom. QEMU must accept the command line, and query-block must show each device
// with the image, format and read-only flag we asked for.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import type { Connection, DomainRef } from "../../src/core/driver.ts";
import { qemuPids } from "./qemu-procs.ts";

const run = (...cmd: string[]) => {
  const p = Bun.spawnSync(cmd, { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd.join(" ")}: ${p.stderr}`);
  return p.stdout.toString().trim();
};
const missing = !existsSync("/usr/bin/qemu-system-x86_64") ? "qemu-system-x86 not installed"
  : !Bun.which("qemu-img") ? "qemu-utils not installed" : "";
// A loop device needs root and /dev/loop-control; without them the block disk is left out.
const loopOk = process.getuid?.() === 0 && existsSync("/dev/loop-control") && !!Bun.which("losetup");
const dir = mkdtempSync(join(tmpdir(), "bunvirt-qemu-disks-"));

/** What QEMU's query-block says of each device: [format, file, read-only] or undefined (empty). */
async function blockDevices(conn: Connection, dom: DomainRef): Promise<Record<string, [string, string, boolean] | undefined>> {
  const reply = JSON.parse(await (conn as any).qemuMonitorCommand(dom, '{"execute":"query-block"}')) as {
    return: { qdev: string; inserted?: { file: string; ro: boolean; drv: string } }[];
  };
  return Object.fromEntries(reply.return.map((b) => [b.qdev, b.inserted && [b.inserted.drv, b.inserted.file, b.inserted.ro]]));
}
let loop = "";
afterAll(() => {
  if (loop) run("losetup", "-d", loop);
  rmSync(dir, { recursive: true, force: true });
});

test.skipIf(!!missing)(`file/block, raw/qcow2, virtio/ide/sata, cdrom read-only ${missing}${loopOk ? "" : " (no loop device: block disk left out)"}`, async () => {
  const raw = join(dir, "root.img"), qcow = join(dir, "data.qcow2"), iso = join(dir, "cd.iso"), back = join(dir, "block.img");
  writeFileSync(raw, new Uint8Array(1 << 20));
  writeFileSync(iso, new Uint8Array(1 << 20));
  writeFileSync(back, new Uint8Array(1 << 20));
  run("qemu-img", "create", "-q", "-f", "qcow2", qcow, "16M");
  if (loopOk) loop = run("losetup", "-f", "--show", back);
  const block = loop
    ? `<disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='${loop}'/><target dev='sda' bus='sata'/></disk>`
    : "";
  const xml = `<domain type='qemu'><name>disks1</name><memory unit='MiB'>64</memory>
    <os><type arch='x86_64' machine='pc'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${raw}'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2' cache='none'/><source file='${qcow}'/><target dev='hda' bus='ide'/></disk>
      ${block}
      <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/><target dev='hdc' bus='ide'/><readonly/></disk>
      <memballoon model='none'/>
    </devices></domain>`;
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${dir}/root`));
  const dom = await conn.createXML(xml, 1);
  try {
    const seen = await blockDevices(conn, dom);
    expect(seen).toEqual({
      "/machine/peripheral/virtio-disk0/virtio-backend": ["raw", raw, false],
      "ide0-0-0": ["qcow2", qcow, false],
      "ide0-1-0": ["raw", iso, true],
      ...(loop ? { "sata0-0-0": ["raw", loop, false] } : {}),
    });
  } finally {
    await conn.destroy(dom);
    await conn.close();
  }
  expect(qemuPids("guest=disks1,")).toEqual([]);
}, 30000);

test.skipIf(!!missing)(`q35: virtio qcow2 behind a root port, cdrom on the built-in AHCI ${missing}`, async () => {
  const qcow = join(dir, "q35.qcow2"), iso = join(dir, "q35.iso");
  run("qemu-img", "create", "-q", "-f", "qcow2", qcow, "16M");
  writeFileSync(iso, new Uint8Array(1 << 20));
  const xml = `<domain type='qemu'><name>disks2</name><memory unit='MiB'>64</memory>
    <os><type arch='x86_64' machine='q35'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${qcow}'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/><target dev='sdb' bus='sata'/><readonly/></disk>
    </devices></domain>`;
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${dir}/root`));
  const dom = await conn.createXML(xml, 1);
  try {
    expect(await blockDevices(conn, dom)).toEqual({
      "/machine/peripheral/virtio-disk0/virtio-backend": ["qcow2", qcow, false],
      "sata0-0-1": ["raw", iso, true],
    });
  } finally {
    await conn.destroy(dom);
    await conn.close();
  }
  expect(qemuPids("guest=disks2,")).toEqual([]);
}, 30000);

test.skipIf(!!missing)("a disk QEMU cannot open: QEMU's error reported, nothing left behind", async () => {
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${dir}/root`));
  const xml = `<domain type='qemu'><name>disks3</name><memory unit='MiB'>64</memory>
    <os><type arch='x86_64' machine='pc'>hvm</type></os>
    <devices><disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${dir}/absent.qcow2'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
  try {
    await expect(conn.createXML(xml)).rejects.toThrow(
      `operation failed: QEMU exited while starting: qemu-system-x86_64: -blockdev {"driver":"file","filename":"${dir}/absent.qcow2","node-name":"libvirt-1-storage","auto-read-only":true,"discard":"unmap"}: Could not open '${dir}/absent.qcow2': No such file or directory`,
    );
    expect(await conn.listAllDomains()).toEqual([]);
    expect(qemuPids("guest=disks3,")).toEqual([]);
  } finally {
    await conn.close();
  }
});

test.skipIf(!!missing)(`virtio-scsi disk and cdrom, USB disk ${missing}`, async () => {
  const qcow = join(dir, "scsi.qcow2"), iso = join(dir, "scsi.iso"), usb = join(dir, "usb.img");
  run("qemu-img", "create", "-q", "-f", "qcow2", qcow, "16M");
  writeFileSync(iso, new Uint8Array(1 << 20));
  writeFileSync(usb, new Uint8Array(1 << 20));
  const xml = `<domain type='qemu'><name>disks4</name><memory unit='MiB'>64</memory>
    <os><type arch='x86_64' machine='pc'>hvm</type></os>
    <devices>
      <controller type='scsi' model='virtio-scsi'/>
      <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${qcow}'/><target dev='sda' bus='scsi'/></disk>
      <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><source file='${iso}'/><target dev='sdb' bus='scsi'/><readonly/></disk>
      <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${usb}'/><target dev='sdc' bus='usb'/></disk>
      <memballoon model='none'/>
    </devices></domain>`;
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${dir}/root`));
  const dom = await conn.createXML(xml, 1);
  try {
    expect(await blockDevices(conn, dom)).toEqual({
      "scsi0-0-0-0": ["qcow2", qcow, false],
      "scsi0-0-0-1": ["raw", iso, true],
      // usb-storage carries its drive on an internal SCSI bus.
      "/machine/peripheral/usb-disk2/usb-disk2.0/legacy[0]": ["raw", usb, false],
    });
  } finally {
    await conn.destroy(dom);
    await conn.close();
  }
  expect(qemuPids("guest=disks4,")).toEqual([]);
}, 30000);
