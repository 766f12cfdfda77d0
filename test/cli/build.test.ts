// The build bundles C sources imported as text (the executors' TinyCC input) into the executable.
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../scripts/build-binary.ts";

const dir = mkdtempSync(join(tmpdir(), "bunvirt-build-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("a text-imported .c file is embedded and readable after the source is gone", () => {
  const c = "int add(int a, int b) { return a + b; }\n";
  writeFileSync(join(dir, "x.c"), c);
  writeFileSync(join(dir, "main.ts"), `import src from "./x.c" with { type: "text" };\nprocess.stdout.write(src);\n`);
  build(join(dir, "main.ts"), join(dir, "prog"));
  rmSync(join(dir, "x.c"));
  rmSync(join(dir, "main.ts"));
  const p = Bun.spawnSync([join(dir, "prog")], { cwd: "/", env: { PATH: "/usr/bin:/bin" } });
  expect({ code: p.exitCode, out: p.stdout.toString() }).toEqual({ code: 0, out: c });
});
