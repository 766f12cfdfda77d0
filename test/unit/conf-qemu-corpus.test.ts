// libvirt's qemuxmlconfdata through the domain model, parsed as inactive definitions as
// libvirt's harness does: every input parses (or fails with the expected message when libvirt
// rejects it at parse time), and every x86_64-latest output is a fixed point:
// format(parse(x)) === x. Also reports how many outputs needed no raw (unmodelled) XML, i.e.
// are covered by the typed model alone.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { formatDomainXml, parseDomainXml, type DomainDef } from "../../src/core/conf/index.ts";

const DIR = join(import.meta.dir, "../../../shared/conformance/libvirt/tests/qemuxmlconfdata");
const files = readdirSync(DIR);

// libvirt's tree has a few outputs as symlinks to the input; this copy stores the link target
// as the file's text.
function read(name: string): string {
  const text = readFileSync(join(DIR, name), "utf8");
  return text.startsWith("<") ? text : readFileSync(join(DIR, text.trim()), "utf8");
}

/** Number of raw XML elements kept in a definition (features are generic by design). */
function rawCount(def: DomainDef): number {
  let n = 0;
  const walk = (x: unknown, key: string) => {
    if (!x || typeof x !== "object" || key === "features") return;
    if ("attrs" in x && "children" in x && "name" in x) return void n++;
    for (const [k, v] of Object.entries(x)) walk(v, k);
  };
  for (const [k, v] of Object.entries(def)) walk(v, k);
  return n;
}

describe("qemuxmlconfdata", () => {
  const inputs = files.filter((f) => /^[^.]+\.xml$/.test(f)).sort();
  const outputs = files.filter((f) => f.endsWith(".x86_64-latest.xml")).sort();

  test("inputs parse, or fail as libvirt does at parse time", () => {
    let parsed = 0;
    let rejected = 0;
    for (const f of inputs) {
      const base = f.slice(0, -4);
      const err = `${base}.x86_64-latest.err`;
      // An .err without an .xml output means libvirt refused the input while parsing it.
      const parseFails = existsSync(join(DIR, err)) && !existsSync(join(DIR, `${base}.x86_64-latest.xml`));
      if (parseFails) {
        expect(() => parseDomainXml(read(f), { inactive: true })).toThrow(readFileSync(join(DIR, err), "utf8").trimEnd());
        rejected++;
      } else {
        parseDomainXml(read(f), { inactive: true });
        parsed++;
      }
    }
    console.log(`qemuxmlconfdata inputs: ${parsed} parsed, ${rejected} rejected with libvirt's message (of ${inputs.length})`);
    expect(parsed + rejected).toBe(inputs.length);
  });

  let same = 0;
  let typed = 0;
  for (const f of outputs) {
    test(`idempotent: ${f}`, () => {
      const x = read(f);
      const def = parseDomainXml(x, { inactive: true });
      expect(formatDomainXml(def)).toBe(x);
      same++;
      if (rawCount(def) === 0) typed++;
    });
  }
  test("summary", () => {
    console.log(`qemu x86_64-latest idempotence: ${same}/${outputs.length}; ${typed} without any raw element`);
    expect(same).toBe(outputs.length);
  });
});
