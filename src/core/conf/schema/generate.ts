// Builds domain-names.json from libvirt's RelaxNG schemas: for every <element> pattern, the
// attribute names and child element patterns its content allows (refs followed, order and
// cardinality ignored). `define --validate` walks a document against it (see names.ts).
// Run: bun src/core/conf/schema/generate.ts ../shared/conformance/libvirt/src/conf/schemas
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseXmlDocument, type XmlEl } from "../xml.ts";

const dir = process.argv[2];
if (!dir) throw new Error("usage: generate.ts SCHEMA_DIR");
const FILES = ["basictypes", "storagecommon", "networkcommon", "cputypes", "nwfilter_params", "privatedata", "domaincommon", "domainoverrides"];

const defines = new Map<string, XmlEl[]>();
for (const f of FILES) {
  const g = parseXmlDocument(readFileSync(join(dir, `${f}.rng`), "utf8"));
  const walk = (e: XmlEl) => {
    for (const c of e.children) {
      if (c.name === "define") {
        const name = c.attrs.name!;
        // combine="choice"/"interleave" extends an earlier define; a plain one replaces (overrides).
        defines.set(name, c.attrs.combine ? [...(defines.get(name) ?? []), ...c.children] : [...c.children]);
      } else if (c.name === "div") walk(c);
    }
  };
  walk(g);
}

export interface SchemaNode {
  name: string; // "*" = any name
  ns: string;
  attrs: string[]; // "*" = any attribute
  /** Attributes whose schema is a fixed list of values (absent: any text/data). */
  values?: Record<string, string[]>;
  children: number[];
}

/** The fixed values an attribute's content allows, or null if it allows free text/data. */
function valuesOf(content: XmlEl[], seen = new Set<string>()): string[] | null {
  const out: string[] = [];
  for (const c of content) {
    switch (c.name) {
      case "value":
        out.push(c.text ?? "");
        break;
      case "choice":
      case "group":
      case "optional": {
        const v = valuesOf(c.children, seen);
        if (v === null) return null;
        out.push(...v);
        break;
      }
      case "ref": {
        const name = c.attrs.name!;
        if (seen.has(name)) break;
        seen.add(name);
        const v = valuesOf(defines.get(name) ?? [], seen);
        if (v === null) return null;
        out.push(...v);
        break;
      }
      default:
        return null; // data, text, anything else: not a closed list
    }
  }
  return out.length ? out : null;
}
const nodes: SchemaNode[] = [];
const ids = new Map<XmlEl, number>();

function nodeFor(e: XmlEl, ns: string): number {
  const known = ids.get(e);
  if (known !== undefined) return known;
  const id = nodes.length;
  ids.set(e, id);
  const myNs = e.attrs.ns ?? ns;
  const node: SchemaNode = { name: e.attrs.name ?? "*", ns: myNs, attrs: [], children: [] };
  nodes.push(node);
  const attrs = new Set<string>();
  const values = new Map<string, Set<string> | null>(); // null: any value somewhere
  const kids = new Set<number>();
  const seenRefs = new Set<string>();
  const content = (c: XmlEl, ns: string) => {
    switch (c.name) {
      case "attribute": {
        const name = c.attrs.name ?? "*";
        attrs.add(name);
        const v = c.children.length ? valuesOf(c.children) : null;
        const prev = values.get(name);
        if (v === null || prev === null) values.set(name, null);
        else values.set(name, new Set([...(prev ?? []), ...v]));
        return;
      }
      case "element":
        kids.add(nodeFor(c, ns));
        return;
      case "ref": {
        const name = c.attrs.name!;
        if (seenRefs.has(name)) return;
        seenRefs.add(name);
        for (const d of defines.get(name) ?? []) content(d, ns);
        return;
      }
      case "anyName":
      case "name":
      case "nsName":
      case "data":
      case "value":
      case "text":
      case "empty":
      case "param":
      case "notAllowed":
      case "except":
        return;
      default:
        for (const k of c.children) content(k, c.attrs.ns ?? ns);
    }
  };
  for (const c of e.children) content(c, myNs);
  node.attrs = [...attrs].sort();
  for (const [name, v] of values) {
    if (v) (node.values ??= {})[name] = [...v].sort();
  }
  node.children = [...kids];
  return id;
}

const domainDef = defines.get("domain");
const root = domainDef?.find((e) => e.name === "element");
if (!root) throw new Error("no <define name='domain'><element>");
nodeFor(root, "");
writeFileSync(join(import.meta.dir, "domain-names.json"), JSON.stringify({ source: "libvirt 10.7.0 src/conf/schemas (domain.rng)", nodes }) + "\n");
console.log(`${nodes.length} element patterns`);
