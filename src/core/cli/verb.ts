// The shape of a CLI verb and virsh's option grammar. A verb file exports `defineVerb({...})`:
// name, help texts and options in virsh's terms, and run(ctx, opts). Options may be given as
// `--name value`, `--name=value`, or (for positional ones) bare, in declaration order.

import type { FullConnection } from "../api.ts";
import type { DomainRef } from "../driver.ts";
import { VirError } from "../errors.ts";

export type OptType = "bool" | "string" | "int" | "argv";
export interface OptSpec {
  name: string;
  type: OptType;
  help: string;
  required?: boolean;
  /** May be given without `--name` ("[--domain] <string>" in virsh's help). */
  positional?: boolean;
}
export type OptValues = Record<string, string | boolean | string[] | undefined>;

export interface Io {
  out(s: string): void;
  err(s: string): void;
}

export interface VerbContext extends Io {
  conn(): Promise<FullConnection>;
  /** virsh's domain lookup (by id, uuid, name as allowed) with its error text. */
  domain(name: string, by?: number): Promise<DomainRef>;
  /** --json given: print JSON instead of virsh's text. */
  json: boolean;
  /** -q: no table headers, no trailing blank line. */
  quiet: boolean;
  env: Record<string, string | undefined>;
  /** A verb may set the process exit status (run: init's status). */
  exitCode?: number;
}

export interface Verb {
  name: string;
  summary: string;
  description?: string;
  options: OptSpec[];
  /** A read verb: accepts --json. */
  json?: boolean;
  /** Needs no connection. */
  local?: boolean;
  /** Output is the guest's own (run): no virsh blank line after it. */
  raw?: boolean;
  run(ctx: VerbContext, o: OptValues): Promise<void>;
}

export const defineVerb = (v: Verb): Verb => v;

export const BY = { ID: 1, UUID: 2, NAME: 4, ALL: 7 } as const;

/** A failure the CLI reports as virsh does: each line printed as `error: <line>`. */
export class CliError extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join("\n"));
  }
}
/** virsh's "error: <what failed>" followed by "error: <libvirt's message>". */
export function failed(what: string, cause: unknown): CliError {
  const msg = cause instanceof CliError ? cause.lines : [cause instanceof Error ? cause.message : String(cause)];
  return new CliError([what, ...msg]);
}
export async function orFail<T>(what: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof VirError) throw failed(what, e);
    throw e;
  }
}

const JSON_OPT: OptSpec = { name: "json", type: "bool", help: "print the result as JSON" };
export const optionsOf = (v: Verb): OptSpec[] => (v.json ? [...v.options, JSON_OPT] : v.options);

/** Parse a verb's arguments as vshCommandParse does. */
export function parseVerbArgs(v: Verb, args: string[]): OptValues {
  const specs = optionsOf(v);
  const out: OptValues = {};
  const byName = new Map(specs.map((s) => [s.name, s]));
  const positional = specs.filter((s) => s.positional);
  const argvOpt = specs.find((s) => s.type === "argv");
  let dashdash = false;
  const take = (s: OptSpec, val: string) => {
    if (s.type === "argv") (out[s.name] as string[] | undefined) ? (out[s.name] as string[]).push(val) : (out[s.name] = [val]);
    else {
      if (s.type === "int" && !/^-?\d+$/.test(val)) throw new CliError([`Numeric value '${val}' for <${s.name}> option is malformed or out of range`]);
      out[s.name] = val;
    }
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!dashdash && a === "--") {
      dashdash = true;
      continue;
    }
    if (!dashdash && a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const s = byName.get(name);
      if (!s) throw new CliError([`command '${v.name}' doesn't support option --${name}`]);
      if (s.type === "bool") {
        if (eq >= 0) throw new CliError([`invalid '=' after option --${name}`]);
        out[name] = true;
        continue;
      }
      const val = eq >= 0 ? a.slice(eq + 1) : args[++i];
      if (val === undefined) throw new CliError([`expected syntax: --${name} <${s.type === "int" ? "number" : "string"}>`]);
      take(s, val);
      continue;
    }
    const next = positional.find((s) => out[s.name] === undefined && s.type !== "argv");
    if (next && !dashdash) take(next, a);
    else if (argvOpt) take(argvOpt, a);
    else throw new CliError([`unexpected data '${a}'`]);
  }
  for (const s of specs) {
    if (s.required && out[s.name] === undefined) throw new CliError([`command '${v.name}' requires <${s.name}> option`]);
  }
  return out;
}

/** `virsh help VERB` layout. */
export function verbHelp(v: Verb): string {
  const specs = optionsOf(v);
  const syn = specs.map((s) => {
    if (s.type === "bool") return `[--${s.name}]`;
    if (s.type === "argv") return s.positional ? `{[--${s.name}] <string>}...` : `{--${s.name} <string>}...`;
    const val = s.type === "int" ? "<number>" : "<string>";
    if (s.positional) return s.required ? `<${s.name}>` : `[<${s.name}>]`;
    return s.required ? `--${s.name} ${val}` : `[--${s.name} ${val}]`;
  });
  let out = `  NAME\n    ${v.name} - ${v.summary}\n\n  SYNOPSIS\n    ${[v.name, ...syn].join(" ")}\n`;
  if (v.description) out += `\n  DESCRIPTION\n    ${v.description.split("\n").join("\n    ")}\n`;
  if (specs.length) {
    out += "\n  OPTIONS\n";
    for (const s of specs) {
      const val = s.type === "int" ? " <number>" : s.type === "bool" ? "" : " <string>";
      const left = s.positional ? `[--${s.name}]${val}` : `--${s.name}${val}`;
      out += `    ${left.padEnd(15)}  ${s.help}\n`;
    }
  }
  return out + "\n";
}

/** The `[--domain] <string>` option most verbs take. */
export const domainOpt = (help = "domain name, id or uuid"): OptSpec => ({ name: "domain", type: "string", required: true, positional: true, help });
export const fileOpt: OptSpec = { name: "file", type: "string", required: true, positional: true, help: "file containing an XML domain description" };

/** virsh's --pass-fds N,M: non-negative integers. */
export function parseFds(s: string | undefined): number[] | undefined {
  if (s === undefined) return undefined;
  return s.split(",").map((p) => {
    if (!/^\d+$/.test(p)) throw new CliError([`Unable to parse FD number '${p}'`]);
    return Number(p);
  });
}

/** Read a file the way virFileReadAll reports failures. */
export async function readXmlFile(path: string): Promise<string> {
  try {
    return await Bun.file(path).text();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === "ENOENT" ? "No such file or directory" : code === "EACCES" ? "Permission denied" : code === "EISDIR" ? "Is a directory" : (e as Error).message;
    throw new CliError([`Failed to open file '${path}': ${why}`]);
  }
}

/** virsh's --mode for shutdown/reboot: comma-separated, as VIR_DOMAIN_SHUTDOWN_* / REBOOT_* flags. */
export function parseShutdownMode(s: string | undefined): number {
  if (s === undefined) return 0;
  const bits: Record<string, number> = { acpi: 1, agent: 2, initctl: 4, signal: 8, paravirt: 16 };
  let flags = 0;
  for (const m of s.split(",")) {
    if (!(m in bits)) throw new CliError([`Unknown mode ${m} value, expecting 'acpi', 'agent', 'initctl', 'signal', or 'paravirt'`]);
    flags |= bits[m]!;
  }
  return flags;
}
