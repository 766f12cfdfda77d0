// Structural schema check from libvirt's RelaxNG (generated table, see generate.ts): which
// elements may appear under which, and which attributes each may carry. Order, cardinality and
// values are not checked here (the parser checks values).
import table from "./domain-names.json" with { type: "json" };

interface Node {
  name: string;
  ns: string;
  attrs: string[];
  values?: Record<string, string[]>;
  children: number[];
}
const NODES = (table as { nodes: Node[] }).nodes;
const ATTRS = NODES.map((n) => new Set(n.attrs));

/** Candidate patterns for the root element <domain>. */
export const ROOT: readonly number[] = [0];

// Per pattern: "ns|name" → child patterns, built on first use (a pattern may list ~100 kids).
const INDEX: (Map<string, number[]> | undefined)[] = [];
function indexOf(p: number): Map<string, number[]> {
  let m = INDEX[p];
  if (m) return m;
  m = new Map();
  const wild: number[] = [];
  for (const c of NODES[p]!.children) {
    const n = NODES[c]!;
    if (n.name === "*") wild.push(c);
    else {
      const k = `${n.ns}|${n.name}`;
      const l = m.get(k);
      if (l) l.push(c);
      else m.set(k, [c]);
    }
  }
  if (wild.length) m.set("*", wild);
  return (INDEX[p] = m);
}

/** Patterns a child named `local` in namespace `ns` may match under any of `parents`. */
export function childPatterns(parents: readonly number[], local: string, ns: string): number[] {
  const key = `${ns}|${local}`;
  if (parents.length === 1) {
    const idx = indexOf(parents[0]!);
    const hit = idx.get(key);
    const wild = idx.get("*");
    return hit ? (wild ? [...hit, ...wild] : hit) : (wild ?? []);
  }
  const out: number[] = [];
  for (const p of parents) {
    const idx = indexOf(p);
    for (const c of [...(idx.get(key) ?? []), ...(idx.get("*") ?? [])]) if (!out.includes(c)) out.push(c);
  }
  return out;
}

export function attrAllowed(patterns: readonly number[], attr: string): boolean {
  return patterns.some((p) => ATTRS[p]!.has(attr) || ATTRS[p]!.has("*"));
}

/**
 * The values the schema allows for `attr`, when every pattern allowing it has a closed list
 * (libvirt's enums, yes/no ...); undefined when some pattern accepts free text.
 */
export function attrValues(patterns: readonly number[], attr: string): readonly string[] | undefined {
  if (patterns.length === 1) {
    const p = patterns[0]!;
    return ATTRS[p]!.has("*") ? undefined : NODES[p]!.values?.[attr];
  }
  const out: string[] = [];
  for (const p of patterns) {
    if (ATTRS[p]!.has("*")) return undefined;
    if (!ATTRS[p]!.has(attr)) continue;
    const v = NODES[p]!.values?.[attr];
    if (!v) return undefined;
    out.push(...v);
  }
  return out;
}
