// Our domxml-to-native vs libvirt 9.0's on the host QEMU 7.2 (goldens in qemu-host/, made with
// virsh; see qemu-host/README.md). Needs the host's QEMU to probe its capabilities.
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { hostCases, hostXmlCases } from "./qemu-host-compare.ts";

const noQemu = !existsSync("/usr/bin/qemu-system-x86_64");
describe.skipIf(noQemu)("domxml-to-native vs libvirt 9.0 (QEMU 7.2 probed caps)", async () => {
  const cases = noQemu ? [] : await hostCases();
  for (const c of cases) test(c.name, () => expect(c.ours).toBe(c.theirs));
  test("all goldens ran", () => expect(cases.length).toBe(9));
});

describe.skipIf(noQemu)("define + dumpxml --inactive vs libvirt 9.0", async () => {
  const cases = noQemu ? [] : await hostXmlCases();
  for (const c of cases) test(c.name, () => expect(c.ours).toBe(c.theirs));
  test("all goldens ran", () => expect(cases.length).toBe(9));
});
