// The compiled executable stands alone: copied to an empty directory and run with
// PATH=/usr/bin:/bin and no node_modules anywhere above it, it serves test:///default and loads
// an external plugin from a directory.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "../../scripts/build-binary.ts";

const root = join(import.meta.dir, "..", "..");
const dist = join(root, "dist", "bunvirt");
let dir: string;
let bin: string;

beforeAll(() => {
  // npm test runs after npm run build; build here too so the suite also runs on its own
  if (!existsSync(dist)) build();
  dir = mkdtempSync(join(tmpdir(), "bunvirt-bin-"));
  bin = join(dir, "bunvirt");
  copyFileSync(dist, bin);
  Bun.spawnSync(["chmod", "755", bin]);
  mkdirSync(join(dir, "plugins"));
  copyFileSync(join(root, "examples", "plugins", "demo.ts"), join(dir, "plugins", "demo.ts"));
  copyFileSync(join(root, "examples", "plugins", "demo.xml"), join(dir, "demo.xml"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the copy with a minimal environment: no Bun, no Node, no node_modules. */
function run(args: string[], env: Record<string, string> = {}) {
  const p = Bun.spawnSync([bin, ...args], { cwd: dir, env: { PATH: "/usr/bin:/bin", ...env }, stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}

describe("dist/bunvirt", () => {
  test("the environment really has no bun on PATH and no node_modules above the copy", () => {
    expect(run(["-c", "test:///default", "uri"]).code).toBe(0);
    expect(Bun.spawnSync(["/bin/sh", "-c", "command -v bun"], { env: { PATH: "/usr/bin:/bin" } }).exitCode).not.toBe(0);
    let d = dir;
    while (d !== "/") {
      expect(existsSync(join(d, "node_modules"))).toBe(false);
      d = join(d, "..");
    }
  });

  // Root only: a private mount namespace hides any node binary, proving the executable needs none.
  test.skipIf(process.getuid?.() !== 0)("runs with node hidden (root: private mount namespace)", () => {
    const hide = ["/usr/bin/node", "/usr/bin/nodejs", "/usr/local/bin/node", "/usr/local/bin/bun"].filter(existsSync);
    const script = `${hide.map((f) => `mount --bind /dev/null ${f} && `).join("")}! command -v node >/dev/null 2>&1 || [ ! -s "$(command -v node)" ] && exec "${bin}" -c test:///default list --name`;
    const p = Bun.spawnSync(["unshare", "-m", "--propagation", "private", "/bin/sh", "-c", script], { cwd: dir, env: { PATH: "/usr/bin:/bin" } });
    expect({ code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() }).toEqual({ code: 0, out: "test\n\n", err: "" });
  });

  test("list --all on test:///default", () => {
    expect(run(["-c", "test:///default", "list", "--all"])).toEqual({ code: 0, out: " Id   Name   State\n----------------------\n 1    test   running\n\n", err: "" });
  });

  test("--version prints package.json's version", async () => {
    const pkg = await Bun.file(join(root, "package.json")).json();
    expect(run(["--version"])).toEqual({ code: 0, out: `${pkg.version}\n`, err: "" });
  });

  test("a closed stdout (| head -1) ends output quietly", () => {
    // 40 documents (~150 KiB) overflow the pipe, so writes happen after head has gone
    const cmds = Array(40).fill("capabilities").join("; ");
    const p = Bun.spawnSync(["/bin/bash", "-c", `"${bin}" -c test:///default "${cmds}" | head -1; echo "rc=\${PIPESTATUS[0]}"`], {
      env: { PATH: "/usr/bin:/bin" },
    });
    expect({ out: p.stdout.toString(), err: p.stderr.toString() }).toEqual({ out: "<capabilities>\nrc=0\n", err: "" });
  });

  test("errors go to stderr with exit status 1", () => {
    expect(run(["-c", "test:///default", "dominfo", "nope"])).toEqual({ code: 1, out: "\n", err: "error: failed to get domain 'nope'\n" });
  });

  test("loads the example external plugin from --plugin-dir and from BUNVIRT_PLUGIN_DIR", () => {
    const script = "define demo.xml; start one; list --all; suspend one";
    const want = {
      code: 1,
      out: "Domain 'one' defined from demo.xml\n\nDomain 'one' started\n\n Id   Name   State\n----------------------\n 1    one    running\n\n\n",
      err: "error: Failed to suspend domain 'one'\nerror: this function is not supported by the connection driver: virDomainSuspend\n",
    };
    expect(run(["--plugin-dir", "plugins", "-c", "demo:///", script])).toEqual(want);
    expect(run(["-c", "demo:///", script], { BUNVIRT_PLUGIN_DIR: join(dir, "plugins") })).toEqual(want);
  });
});
