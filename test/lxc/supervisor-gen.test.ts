// The embedded supervisor (supervisor.gen.ts) must be built from the current supervisor.c:
// dist/bunvirt carries only the embedded copy. Rebuild: bun src/ffi/exec/build-supervisor.ts
import { expect, test } from "bun:test";
import { sourceHash, elfBase64 } from "../../src/ffi/exec/supervisor.gen.ts";
import { supervisorSourceHash } from "../../src/ffi/exec/supervisor.ts";

test("supervisor.gen.ts matches supervisor.c", () => {
  expect(sourceHash).toBe(supervisorSourceHash());
  const elf = Buffer.from(elfBase64, "base64");
  expect(elf.subarray(0, 4).toString("latin1")).toBe("\x7fELF");
  // freestanding and small: a few pages per running container
  expect(elf.length).toBeLessThan(32768);
});
