// npm run build: one self-contained executable, dist/bunvirt, made by `bun build --compile`.
// Everything the program reads is bundled: TypeScript, package.json (version), and C sources
// imported `with { type: "text" }` (the lxc/qemu executors compile them with TinyCC at run time).
// --bytecode precompiles the bundle so start-up skips parsing; ESM format keeps top-level await.

import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";

const root = join(import.meta.dir, "..");

/** The `bun build` command line for an entry point; tests reuse it to prove what it bundles. */
export function buildArgs(entry: string, outfile: string): string[] {
  return [process.execPath, "build", "--compile", "--format=esm", "--minify", "--bytecode", "--sourcemap", entry, "--outfile", outfile];
}

export function build(entry = join(root, "src", "main.ts"), outfile = join(root, "dist", "bunvirt")): void {
  mkdirSync(dirname(outfile), { recursive: true });
  const args = buildArgs(entry, outfile);
  const p = Bun.spawnSync(args, { cwd: root, stdout: "ignore", stderr: "inherit" });
  if (p.exitCode !== 0) throw new Error(`build failed: ${args.join(" ")} exited ${p.exitCode}`);
}

if (import.meta.main) {
  const t0 = performance.now();
  const out = join(root, "dist", "bunvirt");
  try {
    build(join(root, "src", "main.ts"), out);
  } catch (e) {
    console.error((e as Error).message);
    process.exit(1);
  }
  console.log(`built ${out} (${(statSync(out).size / 1048576).toFixed(1)} MiB) in ${Math.round(performance.now() - t0)} ms`);
}
