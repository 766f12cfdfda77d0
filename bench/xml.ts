// Domain XML throughput: documents/s for parse, parse --validate, format, and the full
// parse+validate+format over every conformance domain XML that libvirt accepts (lxcxml2xml
// inputs, qemuxmlconfdata inputs and x86_64-latest outputs). Median of RUNS timed runs.
// Run: node_modules/.bin/bun bench/xml.ts [RUNS]
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDomainXml, parseDomainXml, type DomainDef } from "../src/core/conf/index.ts";

const TESTS = join(import.meta.dir, "../../shared/conformance/libvirt/tests");
const RUNS = Number(process.argv[2] ?? 9);

function load(dir: string, re: RegExp): string[] {
  const d = join(TESTS, dir);
  return readdirSync(d)
    .filter((f) => re.test(f))
    .map((f) => {
      const t = readFileSync(join(d, f), "utf8");
      return t.startsWith("<") ? t : readFileSync(join(d, t.trim()), "utf8"); // stored symlinks
    });
}

const all = [...load("lxcxml2xmldata", /\.xml$/), ...load("qemuxmlconfdata", /^[^.]+\.xml$/), ...load("qemuxmlconfdata", /\.x86_64-latest\.xml$/)];
// Keep the documents libvirt itself accepts (a few inputs are expected parse failures).
const docs = all.filter((x) => {
  try {
    parseDomainXml(x, { validate: true });
    return true;
  } catch {
    return false;
  }
});
const bytes = docs.reduce((n, d) => n + Buffer.byteLength(d), 0);
const defs: DomainDef[] = docs.map((d) => parseDomainXml(d));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Median docs/s of `fn` over the corpus; each run repeats the corpus until ≥ 200 ms. */
function measure(fn: (i: number) => void): number {
  for (let i = 0; i < docs.length; i++) fn(i); // warm-up
  const rates: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < 200) {
      for (let i = 0; i < docs.length; i++) fn(i);
      n += docs.length;
      t = performance.now();
    }
    rates.push((n * 1000) / (t - t0));
  }
  return median(rates);
}

const rows: [string, number][] = [
  ["parse", measure((i) => parseDomainXml(docs[i]!))],
  ["parse --validate", measure((i) => parseDomainXml(docs[i]!, { validate: true }))],
  ["format", measure((i) => formatDomainXml(defs[i]!))],
  ["parse+validate+format", measure((i) => formatDomainXml(parseDomainXml(docs[i]!, { validate: true })))],
];

const avg = bytes / docs.length;
console.log(`corpus: ${docs.length} documents (${existsSync(TESTS) ? "libvirt 10.7.0 conformance" : "?"}), ${(bytes / 1024).toFixed(0)} KiB, avg ${avg.toFixed(0)} B; median of ${RUNS} runs; Bun ${Bun.version}`);
console.log("| operation               |     docs/s |   MiB/s |");
console.log("|-------------------------|-----------:|--------:|");
for (const [name, rate] of rows) {
  console.log(`| ${name.padEnd(23)} | ${rate.toFixed(0).padStart(10)} | ${((rate * avg) / 1048576).toFixed(1).padStart(7)} |`);
}
