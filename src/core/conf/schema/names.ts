// Structural schema check from libvirt's RelaxNG (generated table, see generate.ts): which
// elements may appear under which, and which attributes each may carry. Order, cardinality and
// values are not checked here (the parser checks values).
import table from "./domain-names.json" with { type: "json" };

interface Node {
  name: string;
  ns: string;
  attrs: string[];
  children: number[];
}
const NODES = (table as { nodes: Node[] }).nodes;
const ATTRS = NODES.map((n) => new Set(n.attrs));

/** Candidate patterns for the root element <domain>. */
export const ROOT: readonly number[] = [0];

/** Patterns a child named `local` in namespace `ns` may match under any of `parents`. */
export function childPatterns(parents: readonly number[], local: string, ns: string): number[] {
  const out: number[] = [];
  for (const p of parents) {
    for (const c of NODES[p]!.children) {
      const n = NODES[c]!;
      if ((n.name === local || n.name === "*") && (n.name === "*" || n.ns === ns) && !out.includes(c)) out.push(c);
    }
  }
  return out;
}

export function attrAllowed(patterns: readonly number[], attr: string): boolean {
  return patterns.some((p) => ATTRS[p]!.has(attr) || ATTRS[p]!.has("*"));
}
