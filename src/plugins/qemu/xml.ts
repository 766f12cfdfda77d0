// A small element tree for domain XML as the QEMU driver sees it. Every element and attribute
// the driver reads is marked used; whatever is left unmarked after the command line is built is
// a configuration the driver does not implement, reported instead of silently dropped.

export class El {
  parent?: El;
  used = false;
  readonly usedAttrs = new Set<string>();
  constructor(
    public name: string,
    public attrs: Record<string, string> = {},
    public kids: El[] = [],
    public text?: string,
  ) {
    for (const k of kids) k.parent = this;
  }

  /** First child named `name` (marked used). */
  child(name: string): El | undefined {
    const c = this.kids.find((k) => k.name === name);
    if (c) c.used = true;
    return c;
  }
  all(name: string): El[] {
    const r = this.kids.filter((k) => k.name === name);
    for (const c of r) c.used = true;
    return r;
  }
  /** Attribute value (marked used). */
  a(name: string): string | undefined {
    this.usedAttrs.add(name);
    return this.attrs[name];
  }
  /** Text of a child element, or undefined. */
  t(name: string): string | undefined {
    const c = this.child(name);
    return c ? (c.text ?? "") : undefined;
  }
  set(name: string, v: string): this {
    this.attrs[name] = v;
    this.usedAttrs.add(name);
    return this;
  }
  /** Insert a child before the first existing child whose name is in `before` (or append). */
  insert(el: El, before: string[] = []): El {
    el.parent = this;
    el.used = true;
    const i = this.kids.findIndex((k) => before.includes(k.name));
    if (i < 0) this.kids.push(el);
    else this.kids.splice(i, 0, el);
    return el;
  }
  remove(el: El): void {
    const i = this.kids.indexOf(el);
    if (i >= 0) this.kids.splice(i, 1);
  }
  path(): string {
    const parts: string[] = [];
    for (let e: El | undefined = this; e; e = e.parent) {
      const sel = e.attrs.type !== undefined && e.parent ? `[@type='${e.attrs.type}']` : "";
      parts.unshift(e.name + sel);
    }
    return "/" + parts.join("/");
  }
  /** Mark this subtree used (content the driver passes on or deliberately accepts). */
  consume(): this {
    this.used = true;
    for (const k of Object.keys(this.attrs)) this.usedAttrs.add(k);
    for (const k of this.kids) k.consume();
    return this;
  }
  /** First unused element or attribute path in the subtree. */
  firstUnused(): string | undefined {
    if (!this.used) return this.path();
    for (const k of Object.keys(this.attrs)) if (!this.usedAttrs.has(k)) return `${this.path()}/@${k}`;
    for (const k of this.kids) {
      const u = k.firstUnused();
      if (u) return u;
    }
    return undefined;
  }
  clone(): El {
    return new El(this.name, { ...this.attrs }, this.kids.map((k) => k.clone()), this.text);
  }
}

const ENT: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) =>
    e[0] === "#" ? String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENT[e] ?? m),
  );

/** Parse an XML document into a tree (comments, PIs and doctype skipped). */
export function parseXml(xml: string): El {
  let i = 0;
  const stack: El[] = [];
  let root: El | undefined;
  const err = (m: string) => new Error(`XML error: ${m} at offset ${i}`);
  while (i < xml.length) {
    const lt = xml.indexOf("<", i);
    const textEnd = lt < 0 ? xml.length : lt;
    if (textEnd > i && stack.length) {
      const txt = decode(xml.slice(i, textEnd));
      if (txt.trim()) stack[stack.length - 1]!.text = (stack[stack.length - 1]!.text ?? "") + txt;
    }
    if (lt < 0) break;
    i = lt;
    if (xml.startsWith("<!--", i)) {
      i = xml.indexOf("-->", i) + 3;
      if (i < 3) throw err("unterminated comment");
    } else if (xml.startsWith("<?", i) || xml.startsWith("<!", i)) {
      i = xml.indexOf(">", i) + 1;
    } else if (xml.startsWith("</", i)) {
      const end = xml.indexOf(">", i);
      const name = xml.slice(i + 2, end).trim();
      const top = stack.pop();
      if (!top || top.name !== name) throw err(`mismatched </${name}>`);
      i = end + 1;
    } else {
      const m = /^<([\w:.-]+)((?:\s+[\w:.-]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>/.exec(xml.slice(i, i + 4096));
      if (!m) throw err("malformed tag");
      const attrs: Record<string, string> = {};
      for (const am of m[2]!.matchAll(/([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) attrs[am[1]!] = decode(am[2] ?? am[3] ?? "");
      const el = new El(m[1]!, attrs);
      if (stack.length) {
        el.parent = stack[stack.length - 1];
        stack[stack.length - 1]!.kids.push(el);
      } else if (!root) root = el;
      if (!m[3]) stack.push(el);
      i += m[0].length;
    }
  }
  if (!root || stack.length) throw new Error("XML error: incomplete document");
  root.used = true;
  return root;
}

const escAttr = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/'/g, "&apos;").replace(/"/g, "&quot;");
const escText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** Format as libvirt does: two-space indent, single-quoted attributes, empty elements closed. */
export function formatXml(el: El, indent = ""): string {
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}='${escAttr(v)}'`)
    .join("");
  if (!el.kids.length) {
    return el.text !== undefined && el.text !== "" ? `${indent}<${el.name}${attrs}>${escText(el.text)}</${el.name}>\n` : `${indent}<${el.name}${attrs}/>\n`;
  }
  return `${indent}<${el.name}${attrs}>\n${el.kids.map((k) => formatXml(k, indent + "  ")).join("")}${indent}</${el.name}>\n`;
}
