// The QEMU driver's capabilities: the host section every driver shares, then the probed
// emulator as libvirt lists it (default machine and its alias first, qemu/kvm domains).
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { probeEmulator } from "../../src/plugins/qemu/probe.ts";
import { parseUri } from "../../src/core/uri.ts";

const EMU = "/usr/bin/qemu-system-x86_64";
const root = mkdtempSync(join(tmpdir(), "bunvirt-qemu-caps-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

test.skipIf(!existsSync(EMU))("capabilities: host section, then the probed emulator's guest (needs qemu-system-x86)", async () => {
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
  const xml = await conn.getCapabilities();
  await conn.close();
  const caps = await probeEmulator(EMU, join(root, "caps"));
  const def = caps.machines.find((m) => m.accel === "tcg" && m.isDefault)!;
  expect(xml.startsWith("<capabilities>\n\n  <host>\n    <uuid>")).toBe(true);
  expect(xml).toContain("    <secmodel>\n      <model>none</model>\n      <doi>0</doi>\n    </secmodel>\n  </host>\n\n  <guest>\n    <os_type>hvm</os_type>\n");
  // the default machine and its alias lead the list (pc-i440fx-7.2 and pc on QEMU 7.2)
  expect(xml).toContain(
    `      <emulator>${EMU}</emulator>\n      <machine maxCpus='${def.maxCpus}'>${def.name}</machine>\n      <machine canonical='${def.name}' maxCpus='${def.maxCpus}'>${def.alias}</machine>\n`,
  );
  expect(xml).toContain(`      <domain type='qemu'/>\n${caps.kvm ? "      <domain type='kvm'/>\n" : ""}    </arch>\n    <features>\n      <acpi default='on' toggle='yes'/>\n`);
  expect(xml.endsWith("  </guest>\n\n</capabilities>\n")).toBe(true);
});
