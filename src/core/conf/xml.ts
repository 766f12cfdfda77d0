// Minimal XML tree used by the domain parser and formatter. txml builds the tree (it is lenient),
// checkWellFormed() rejects what libxml2 would reject, and serialize() prints in libvirt's style.
import { parse as txmlParse, type TNode } from "txml";
import { errors } from "../errors.ts";

/** One element: attributes keep document order (libvirt prints them in a fixed order anyway). */
export interface XmlEl {
  name: string;
  attrs: Record<string, string>;
  children: XmlEl[];
  /** Text content (only for elements without child elements, as in domain XML). */
  text?: string;
  /** Print `<x>` and `</x>` even when empty (libvirt does for <devices>). */
  open?: boolean;
}

export function el(name: string, attrs: Record<string, string | number | undefined | null> = {}, children: (XmlEl | undefined | null | false)[] | string = []): XmlEl {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) a[k] = String(v);
  if (typeof children === "string") return { name, attrs: a, children: [], text: children };
  return { name, attrs: a, children: children.filter((c): c is XmlEl => !!c) };
}

// --- reading ---------------------------------------------------------------------------------

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
// XML whitespace: space, tab, CR, LF (char codes; this runs on every byte of every document).
const isWs = (s: string, i: number) => {
  const c = s.charCodeAt(i);
  return c === 32 || c === 10 || c === 9 || c === 13;
};

/** Throw an XML_ERROR describing the first well-formedness problem, with line and column. */
export function checkWellFormed(s: string): void {
  const stack: string[] = [];
  let i = 0;
  let roots = 0;
  const fail = (why: string, at = i): never => {
    const before = s.slice(0, at);
    const line = before.split("\n").length;
    const col = at - before.lastIndexOf("\n");
    throw errors.xml(`malformed XML at line ${line}, column ${col}: ${why}`);
  };
  while (i < s.length) {
    const lt = s.indexOf("<", i);
    const textEnd = lt < 0 ? s.length : lt;
    if (stack.length === 0 && /\S/.test(s.slice(i, textEnd))) fail("content outside the root element", i + s.slice(i, textEnd).search(/\S/));
    if (lt < 0) break;
    i = lt;
    if (s.startsWith("<!--", i)) {
      const e = s.indexOf("-->", i + 4);
      if (e < 0) fail("unterminated comment");
      i = e + 3;
    } else if (s.startsWith("<![CDATA[", i)) {
      if (!stack.length) fail("CDATA outside the root element");
      const e = s.indexOf("]]>", i);
      if (e < 0) fail("unterminated CDATA section");
      i = e + 3;
    } else if (s.startsWith("<?", i)) {
      const e = s.indexOf("?>", i);
      if (e < 0) fail("unterminated processing instruction");
      i = e + 2;
    } else if (s.startsWith("<!", i)) {
      if (stack.length || roots) fail("misplaced declaration");
      const e = s.indexOf(">", i);
      if (e < 0) fail("unterminated declaration");
      i = e + 1;
    } else if (s[i + 1] === "/") {
      NAME.lastIndex = i + 2;
      const m = NAME.exec(s);
      if (!m) fail("bad closing tag");
      let j = i + 2 + m![0].length;
      while (isWs(s, j)) j++;
      if (s[j] !== ">") fail(`bad closing tag </${m![0]}`, j);
      const open = stack.pop();
      if (open !== m![0]) fail(open ? `closing tag </${m![0]}> does not match <${open}>` : `unexpected closing tag </${m![0]}>`);
      i = j + 1;
    } else {
      NAME.lastIndex = i + 1;
      const m = NAME.exec(s);
      if (!m) fail("bad element name", i + 1);
      if (!stack.length && roots++) fail("extra content after the root element");
      let j = i + 1 + m![0].length;
      const seen = new Set<string>();
      for (;;) {
        const ws = j;
        while (isWs(s, j)) j++;
        if (s[j] === ">") { stack.push(m![0]); j++; break; }
        if (s[j] === "/" && s[j + 1] === ">") { j += 2; break; }
        if (j >= s.length) fail(`unterminated tag <${m![0]}>`, i);
        if (ws === j) fail(`expected whitespace, '>' or '/>' in <${m![0]}>`, j);
        NAME.lastIndex = j;
        const a = NAME.exec(s);
        if (!a) fail(`bad attribute in <${m![0]}>`, j);
        if (seen.has(a![0])) fail(`duplicate attribute '${a![0]}' in <${m![0]}>`, j);
        seen.add(a![0]);
        j += a![0].length;
        while (isWs(s, j)) j++;
        if (s[j] !== "=") fail(`attribute '${a![0]}' has no value`, j);
        j++;
        while (isWs(s, j)) j++;
        const q = s[j];
        if (q !== "'" && q !== '"') fail(`attribute '${a![0]}' value is not quoted`, j);
        const e = s.indexOf(q!, j + 1);
        if (e < 0) fail(`unterminated value of attribute '${a![0]}'`, j);
        if (s.slice(j + 1, e).includes("<")) fail(`'<' in value of attribute '${a![0]}'`, j);
        j = e + 1;
      }
      i = j;
    }
  }
  if (stack.length) fail(`unclosed element <${stack[stack.length - 1]}>`, s.length);
  if (!roots) fail("no root element", s.length);
}

const ENTITY = /&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g;
const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", apos: "'", quot: '"' };
function decode(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(ENTITY, (all, e: string) => {
    if (e[0] === "#") return String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    const v = NAMED[e];
    if (v === undefined) throw errors.xml(`malformed XML: unknown entity '${all}'`);
    return v;
  });
}

function convert(n: TNode): XmlEl {
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(n.attributes)) attrs[k] = decode(v ?? "");
  const children: XmlEl[] = [];
  let text = "";
  for (const c of n.children) {
    if (typeof c === "string") text += c;
    else if (c.tagName[0] !== "!" && c.tagName[0] !== "?") children.push(convert(c));
  }
  const out: XmlEl = { name: n.tagName, attrs, children };
  // Text is kept exactly (libvirt keeps spaces in <initarg> etc.); whitespace spanning lines is
  // indentation, not content.
  if (!children.length && text !== "" && !(/^\s*$/.test(text) && text.includes("\n"))) out.text = decode(text);
  return out;
}

/** Parse a whole document into its root element; malformed input gives an XML_ERROR. */
export function parseXmlDocument(s: string): XmlEl {
  checkWellFormed(s);
  // selfClosingTags: []: txml treats HTML void names (input, link ...) as empty by default.
  // CDATA: txml returns its content as text already; comments are dropped (keepComments false).
  const nodes = txmlParse(s, { keepWhitespace: true, selfClosingTags: [] });
  const root = nodes.find((n): n is TNode => typeof n !== "string" && n.tagName[0] !== "?" && n.tagName[0] !== "!");
  if (!root) throw errors.xml("malformed XML: no root element");
  return convert(root);
}

// --- writing ---------------------------------------------------------------------------------

// libvirt's virBufferEscapeString: the five XML specials become entities in text and attributes.
const ESC: Record<string, string> = { "<": "&lt;", ">": "&gt;", "&": "&amp;", "'": "&apos;", '"': "&quot;" };
export function escapeXml(s: string): string {
  return /[<>&'"]/.test(s) ? s.replace(/[<>&'"]/g, (c) => ESC[c]!) : s;
}

/** libvirt layout: two-space indent, single quotes, `<x/>` when empty, text inline. */
export function serialize(e: XmlEl, indent = 0, out: string[] = []): string[] {
  const pad = " ".repeat(indent);
  let open = `${pad}<${e.name}`;
  for (const [k, v] of Object.entries(e.attrs)) open += ` ${k}='${escapeXml(v)}'`;
  if (e.children.length || (e.open && !e.text)) {
    out.push(open + ">");
    for (const c of e.children) serialize(c, indent + 2, out);
    out.push(`${pad}</${e.name}>`);
  } else if (e.text !== undefined && e.text !== "") {
    out.push(`${open}>${escapeXml(e.text)}</${e.name}>`);
  } else {
    out.push(open + "/>");
  }
  return out;
}

export function toXmlString(e: XmlEl): string {
  return serialize(e).join("\n") + "\n";
}
