// Start-up time: `dist/bunvirt --version` and `dist/bunvirt -c test:///default list`, beside
// `virsh -c test:///default version` when virsh is installed. N runs each, medians reported.
// Usage: bun bench/startup.ts [N]   (build first: npm run build)

import { existsSync } from "node:fs";
import { join } from "node:path";

const N = Number(process.argv[2] ?? 51);
const bin = join(import.meta.dir, "..", "dist", "bunvirt");
if (!existsSync(bin)) {
  console.error("dist/bunvirt is missing: run `npm run build` first");
  process.exit(1);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** Wall time of one run to exit, in ms; the first runs warm the page cache and are dropped. */
function time(argv: string[]): number {
  const runs: number[] = [];
  for (let i = 0; i < N + 3; i++) {
    const t0 = Bun.nanoseconds();
    const p = Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" });
    const dt = (Bun.nanoseconds() - t0) / 1e6;
    if (p.exitCode !== 0) throw new Error(`${argv.join(" ")} exited ${p.exitCode}`);
    if (i >= 3) runs.push(dt);
  }
  return median(runs);
}

const which = (cmd: string) => Bun.which(cmd);
const rows: [string, number][] = [
  ["bunvirt --version", time([bin, "--version"])],
  ["bunvirt -c test:///default version", time([bin, "-c", "test:///default", "version"])],
  ["bunvirt -c test:///default list --all", time([bin, "-c", "test:///default", "list", "--all"])],
];
const virsh = which("virsh");
if (virsh) {
  rows.push(["virsh -c test:///default version", time([virsh, "-c", "test:///default", "version"])]);
  rows.push(["virsh -c test:///default list --all", time([virsh, "-c", "test:///default", "list", "--all"])]);
}
console.log(`start-up, median of ${N} runs (ms):`);
for (const [name, ms] of rows) console.log(`  ${name.padEnd(40)} ${ms.toFixed(1)}`);
if (virsh) {
  const ratio = rows[0]![1] / rows[3]![1];
  console.log(`  ratio bunvirt --version / virsh version: ${ratio.toFixed(2)}`);
}
