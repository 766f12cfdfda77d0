// Golden tests over libvirt's qemuxmlconfdata (x86_64-latest, QEMU 9.1 caps): every case whose
// .args/.err/.xml we reproduce is asserted byte for byte; the others are listed as todo so the
// pass count is visible (`bun test/golden/qemu-harness.ts` prints it).
import { describe, expect, test } from "bun:test";
import { cases, runCase } from "./qemu-harness.ts";

describe("qemuxmlconfdata x86_64-latest", () => {
  for (const c of cases()) {
    const r = runCase(c.name);
    if (c.args !== undefined) {
      const ok = r.args === c.args;
      (ok ? test : test.todo)(`${c.name} args`, () => expect(r.args).toBe(c.args!));
    }
    if (c.err !== undefined) {
      test(`${c.name} err`, () => expect((r.error ?? "") + "\n").toBe(c.err!));
    }
    if (c.xml !== undefined) {
      const ok = r.xml === c.xml;
      (ok ? test : test.todo)(`${c.name} xml`, () => expect(r.xml).toBe(c.xml!));
    }
  }
});
