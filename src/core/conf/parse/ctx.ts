// A cursor over one XML element: its XPath (for error messages), the RelaxNG patterns it may
// match (for --validate and for dropping elements libvirt does not know), and which children
// the parser consumed (the rest are kept raw).
import type { XmlEl } from "../xml.ts";
import { errors } from "../../errors.ts";
import { attrAllowed, attrValues, childPatterns, ROOT } from "../schema/names.ts";

export interface CtxOptions {
  validate: boolean;
  /** libvirt's PARSE_INACTIVE: runtime-only state in the input (aliases, ttys ...) is ignored. */
  inactive?: boolean;
  /** xmlns prefix → URI in scope (from <domain>), to match namespaced schema elements. */
  xmlns?: Record<string, string>;
}

export class Ctx {
  private usedKids = new Set<XmlEl>();
  private kids: Ctx[] | undefined;
  private _path: string | undefined;
  private _schema: readonly number[] | undefined;

  /** Root cursor: `new Ctx(rootEl, opts)`; children are made by the cursor itself. */
  constructor(
    readonly el: XmlEl,
    readonly opts: CtxOptions,
    private readonly parent?: Ctx,
    /** 1-based position among same-named siblings; 0 when the name does not repeat. */
    private readonly nth = 0,
  ) {}

  /** libxml2-style path (xmlGetNodePath), computed only when an error needs it. */
  get path(): string {
    if (this._path === undefined) {
      this._path = this.parent ? `${this.parent.path}/${this.el.name}${this.nth ? `[${this.nth}]` : ""}` : `/${this.el.name}`;
    }
    return this._path;
  }

  /** RelaxNG element patterns this element may be (empty: libvirt does not know it here). */
  get schema(): readonly number[] {
    if (this._schema === undefined) {
      if (!this.parent) this._schema = ROOT;
      else {
        const name = this.el.name;
        const colon = name.indexOf(":");
        const ns = colon < 0 ? "" : (this.opts.xmlns?.[name.slice(0, colon)] ?? "?");
        this._schema = childPatterns(this.parent.schema, name.slice(colon + 1), ns);
      }
    }
    return this._schema;
  }

  /** Whether libvirt's schema allows this element where it is. */
  get known(): boolean {
    return this.schema.length > 0;
  }

  get name(): string {
    return this.el.name;
  }

  /** An attribute's value (entities decoded), or undefined. */
  attr(name: string): string | undefined {
    return this.el.attrs[name];
  }

  /** Text content, as written. */
  text(): string | undefined {
    return this.el.text;
  }

  private children(): Ctx[] {
    if (!this.kids) {
      const els = this.el.children;
      const count = new Map<string, number>();
      for (const c of els) count.set(c.name, (count.get(c.name) ?? 0) + 1);
      const idx = new Map<string, number>();
      this.kids = els.map((c) => {
        // xmlGetNodePath indexes a name only when it repeats among siblings.
        if (count.get(c.name)! < 2) return new Ctx(c, this.opts, this, 0);
        const n = (idx.get(c.name) ?? 0) + 1;
        idx.set(c.name, n);
        return new Ctx(c, this.opts, this, n);
      });
    }
    return this.kids;
  }

  /** First child with this name (marked used). */
  child(name: string): Ctx | undefined {
    const c = this.children().find((k) => k.el.name === name);
    if (c) this.usedKids.add(c.el);
    return c;
  }

  /** All children with this name (marked used). */
  all(name: string): Ctx[] {
    const r = this.children().filter((k) => k.el.name === name);
    for (const c of r) this.usedKids.add(c.el);
    return r;
  }

  /** Every child element, in document order (marked used). */
  each(): Ctx[] {
    const r = this.children();
    for (const c of r) this.usedKids.add(c.el);
    return r;
  }

  /** Text of a child element, or undefined. */
  childText(name: string): string | undefined {
    return this.child(name)?.text();
  }

  /** Mark a child used without reading it (e.g. kept as raw XML). */
  use(c: Ctx): void {
    this.usedKids.add(c.el);
  }

  /** Children not consumed by the parser (kept raw or rejected). */
  unused(): Ctx[] {
    return this.children().filter((k) => !this.usedKids.has(k.el));
  }

  /** Fail with XML_ERROR at this element or one of its attributes. */
  fail(reason: string, attr?: string): never {
    throw errors.xml(`${attr ? `${this.path}/@${attr}` : this.path}: ${reason}`);
  }

  /** Required attribute. */
  req(name: string): string {
    const v = this.attr(name);
    if (v === undefined) this.fail(`missing required attribute '${name}'`);
    return v!;
  }

  /** Attribute restricted to a list of values (libvirt's virXMLPropEnum wording). */
  enumAttr<T extends string>(name: string, values: readonly T[]): T | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) this.fail(`Invalid value for attribute '${name}' in element '${this.el.name}': '${v}'.`, name);
    return v as T;
  }

  /** Fail with CONFIG_UNSUPPORTED (libvirt's code for these checks), naming the path. */
  unsupported(reason: string, attr?: string): never {
    throw errors.configUnsupported(`${attr ? `${this.path}/@${attr}` : this.path}: ${reason}`);
  }

  /** The listed attributes that are present, as an object (key order = list order). */
  pick<K extends string>(keys: readonly K[]): Partial<Record<K, string>> {
    const r: Partial<Record<K, string>> = {};
    for (const k of keys) {
      const v = this.attr(k);
      if (v !== undefined) r[k] = v;
    }
    return r;
  }

  /** Non-negative integer attribute (decimal, or 0x hex as libvirt's virStrToLong accepts). */
  intAttr(name: string, what = name): number | undefined {
    const v = this.attr(name);
    if (v === undefined) return undefined;
    const n = parseUint(v);
    if (n === undefined) this.fail(`invalid ${what} '${v}'`, name);
    return n;
  }

  /** Integer text content. */
  intText(what: string): number {
    const v = this.text() ?? "";
    const n = parseUint(v);
    if (n === undefined) this.fail(`invalid ${what} '${v}'`);
    return n!;
  }

  /**
   * In validate mode: reject elements and attributes libvirt's schema does not allow where they
   * are (like virsh define --validate's RelaxNG check), naming the path.
   */
  checkUnknown(): void {
    if (!this.opts.validate) return;
    for (const a of Object.keys(this.el.attrs)) {
      if (a === "xmlns" || a.startsWith("xmlns:")) continue;
      if (!attrAllowed(this.schema, a)) throw errors.schema(`${this.path}/@${a}: attribute '${a}' is not allowed on element '${this.el.name}'`);
      const allowed = attrValues(this.schema, a);
      if (allowed && !allowed.includes(this.el.attrs[a]!)) {
        throw errors.schema(`${this.path}/@${a}: value '${this.el.attrs[a]}' is not one of ${allowed.map((v) => `'${v}'`).join(", ")}`);
      }
    }
    for (const k of this.children()) {
      if (!k.known) throw errors.schema(`${k.path}: element '${k.el.name}' is not allowed in '${this.el.name}'`);
      k.checkUnknown();
    }
  }

}

export function parseUint(v: string): number | undefined {
  const t = v.trim();
  if (/^\d+$/.test(t)) return Number(t);
  if (/^0x[0-9a-fA-F]+$/.test(t)) return parseInt(t.slice(2), 16);
  return undefined;
}
