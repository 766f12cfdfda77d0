// npm run build: one self-contained executable, dist/bunvirt, made by `bun build --compile`.
// Everything the program reads is bundled: TypeScript, package.json (version), and C sources
// imported `with { type: "text" }` (the lxc/qemu executors compile them with TinyCC at run time).
// --bytecode precompiles the bundle so start-up skips parsing (ESM format keeps top-level await legal).

import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const out = join(root, "dist", "bunvirt");
mkdirSync(join(root, "dist"), { recursive: true });

const args = [process.execPath, "build", "--compile", "--format=esm", "--minify", "--bytecode", "--sourcemap", join(root, "src", "main.ts"), "--outfile", out];
const t0 = performance.now();
const p = Bun.spawnSync(args, { cwd: root, stdout: "inherit", stderr: "inherit" });
if (p.exitCode !== 0) {
  console.error(`build failed: ${args.join(" ")} exited ${p.exitCode}`);
  process.exit(1);
}
const mib = (statSync(out).size / 1048576).toFixed(1);
console.log(`built ${out} (${mib} MiB) in ${Math.round(performance.now() - t0)} ms`);
