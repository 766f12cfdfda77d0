// `bunvirt run FILE`: creates the domain, copies its console to stdout, waits for it to stop and
// exits with init's status (through the compiled binary and an external stand-in driver).
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { build } from "../../scripts/build-binary.ts";

const root = join(import.meta.dir, "..", "..");
const bin = join(root, "dist", "bunvirt");

test("run exits with init's status and shows its console", () => {
  if (!existsSync(bin)) build();
  const t0 = performance.now();
  const p = Bun.spawnSync([bin, "--plugin-dir", join(import.meta.dir, "fixtures", "runner"), "-c", "runner:///", "run", join(root, "examples", "plugins", "demo.xml")], {
    stdin: "ignore",
    env: { PATH: "/usr/bin:/bin" },
  });
  const ms = performance.now() - t0;
  expect({ code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }).toEqual({ code: 7, out: "hello from init\n", err: "" });
  // the process ends when the domain stops, not later (no read left blocking the event loop)
  expect(ms).toBeLessThan(3000);
});

test("SIGTERM to run destroys the domain and exits 128+15", async () => {
  if (!existsSync(bin)) build();
  const p = Bun.spawn([bin, "--plugin-dir", join(import.meta.dir, "fixtures", "runner"), "-c", "runner:///", "run", join(root, "examples", "plugins", "demo.xml")], {
    stdin: "ignore",
    stdout: "pipe",
    env: { PATH: "/usr/bin:/bin", RUNNER_MS: "20000" },
  });
  // wait for the console line, so the handlers are installed
  const reader = p.stdout.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toBe("hello from init\n");
  const t0 = performance.now();
  p.kill("SIGTERM");
  expect(await p.exited).toBe(143);
  expect(performance.now() - t0).toBeLessThan(3000);
});
