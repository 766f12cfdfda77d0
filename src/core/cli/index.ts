// The virsh-compatible command line: global options, then one command (or several separated by
// ';' in one argument, as `virsh "cmd1; cmd2"`). Output, messages and exit codes follow virsh 9.0.

import { openConnection, setPluginDirs, type FullConnection } from "../api.ts";
import type { DomainRef } from "../driver.ts";
import { VirError } from "../errors.ts";
import { VERSION } from "../plugins.ts";
import { BY, CliError, parseVerbArgs, verbHelp, type Io, type Verb, type VerbContext } from "./verb.ts";
import { verbs } from "./verbs/index.ts";

export interface CliIo extends Io {
  env?: Record<string, string | undefined>;
}

const PROGRAM_HELP = (names: string[]) => `
bunvirt [options]... [<command_string>]
bunvirt [options]... <command> [args...]

  options:
    -c | --connect=URI      hypervisor connection URI
    -h | --help             this help
    -q | --quiet            quiet mode
    -r | --readonly         connect readonly
    -v | --version          program version
    --plugin-dir=DIR        load driver plugins from DIR (also BUNVIRT_PLUGIN_DIR)
    --json                  print read commands' results as JSON

  commands (bunvirt help <command> for details):
${names.map((n) => `    ${n.padEnd(30)} ${verbs.find((v) => v.name === n)!.summary}`).join("\n")}

  URIs: test:///default, lxc:///system, lxc:///embed?root=DIR, qemu:///system,
        qemu:///embed?root=DIR, lxc+unix:///system?socket=PATH (default: LIBVIRT_DEFAULT_URI)
`;

interface Globals {
  uri?: string;
  pluginDirs: string[];
  quiet: boolean;
  json: boolean;
  readOnly: boolean;
}

/** Split a virsh command string on ';' and blanks, honouring quotes and backslashes. */
export function splitCommandString(s: string): string[][] {
  const cmds: string[][] = [[]];
  let cur: string | undefined;
  let q: string | undefined;
  const push = () => {
    if (cur !== undefined) cmds[cmds.length - 1]!.push(cur);
    cur = undefined;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (q) {
      if (ch === q) q = undefined;
      else if (ch === "\\" && q === '"' && i + 1 < s.length) cur = (cur ?? "") + s[++i];
      else cur = (cur ?? "") + ch;
    } else if (ch === "'" || ch === '"') {
      q = ch;
      cur ??= "";
    } else if (ch === "\\" && i + 1 < s.length) cur = (cur ?? "") + s[++i];
    else if (ch === ";" || ch === "\n") {
      push();
      cmds.push([]);
    } else if (/\s/.test(ch)) push();
    else cur = (cur ?? "") + ch;
  }
  push();
  return cmds.filter((c) => c.length);
}

function parseGlobals(argv: string[]): { g: Globals; rest: string[]; early?: "help" | "version" } {
  const g: Globals = { pluginDirs: [], quiet: false, json: false, readOnly: false };
  let i = 0;
  const value = (name: string, a: string, eq: number): string => {
    if (eq >= 0) return a.slice(eq + 1);
    const v = argv[++i];
    if (v === undefined) throw new CliError([`option '${name}' requires an argument`]);
    return v;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-" ) break;
    if (a === "--") {
      i++;
      break;
    }
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq >= 0 ? a.slice(0, eq) : a;
    if (name === "-c" || name === "--connect") g.uri = value("-c'/'--connect", a, eq);
    else if (a.startsWith("-c") && a.length > 2) g.uri = a.slice(2);
    else if (name === "--plugin-dir") g.pluginDirs.push(value("--plugin-dir", a, eq));
    else if (name === "-q" || name === "--quiet") g.quiet = true;
    else if (name === "--json") g.json = true;
    else if (name === "-r" || name === "--readonly") g.readOnly = true;
    else if (name === "-h" || name === "--help") return { g, rest: [], early: "help" };
    else if (name === "-v" || name === "--version" || name === "-V") return { g, rest: [], early: "version" };
    else throw new CliError([`unsupported option '${a}'. See --help.`]);
  }
  return { g, rest: argv.slice(i) };
}

class ConnectFailed extends CliError {}

/** virshLookupDomainBy: id (a non-negative integer), then uuid (36 chars), then name. */
async function lookupDomain(c: FullConnection, n: string, by: number): Promise<DomainRef> {
  let dom: DomainRef | undefined;
  const attempt = async (f: () => Promise<DomainRef>) => {
    try {
      dom = await f();
    } catch (e) {
      if (!(e instanceof VirError)) throw e;
    }
  };
  if (by & BY.ID && /^\d+$/.test(n) && Number(n) <= 0x7fffffff) await attempt(() => c.lookupByID(Number(n)));
  if (!dom && by & BY.UUID && n.length === 36) await attempt(() => c.lookupByUUID(n));
  if (!dom && by & BY.NAME) await attempt(() => c.lookupByName(n));
  if (!dom) throw new CliError([`failed to get domain '${n}'`]);
  return dom;
}

/** Run the command line; returns the exit status. Never throws. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const env = io.env ?? process.env;
  const printErr = (lines: string[]) => io.err(lines.map((l) => `error: ${l}\n`).join(""));
  let parsed: ReturnType<typeof parseGlobals>;
  try {
    parsed = parseGlobals(argv);
  } catch (e) {
    printErr((e as CliError).lines);
    return 1;
  }
  const { g, rest, early } = parsed;
  const names = verbs.map((v) => v.name).sort();
  if (early === "version") {
    io.out(`${VERSION}\n`);
    return 0;
  }
  if (early === "help" || rest.length === 0) {
    io.out(PROGRAM_HELP(names));
    return 0;
  }
  setPluginDirs(g.pluginDirs);
  const commands = rest.length === 1 && /[\s;]/.test(rest[0]!) ? splitCommandString(rest[0]!) : [rest];

  let conn: FullConnection | undefined;
  let connErr: CliError | undefined;
  const getConn = async () => {
    if (conn) return conn;
    if (connErr) throw connErr;
    try {
      conn = await openConnection(g.uri, { env, readOnly: g.readOnly });
      return conn;
    } catch (e) {
      connErr = new ConnectFailed(["failed to connect to the hypervisor", e instanceof Error ? e.message : String(e)]);
      throw connErr;
    }
  };

  let status = 0;
  try {
    for (const words of commands) status = await runOne(words, g, io, env, getConn);
  } catch (e) {
    // virsh connects before running anything: a failed connection ends the whole run, silently on stdout
    if (!(e instanceof ConnectFailed)) throw e;
    printErr(e.lines);
    return 1;
  } finally {
    await conn?.close().catch(() => {});
  }
  return status;
}

async function runOne(words: string[], g: Globals, io: CliIo, env: Record<string, string | undefined>, getConn: () => Promise<FullConnection>): Promise<number> {
  const printErr = (lines: string[]) => io.err(lines.map((l) => `error: ${l}\n`).join(""));
  let [name, ...args] = words as [string, ...string[]];
  if (name === "help") {
    if (!args.length) {
      io.out(PROGRAM_HELP(verbs.map((v) => v.name).sort()));
      return 0;
    }
    name = args[0]!;
    args = ["--help"];
  }
  const verb: Verb | undefined = verbs.find((v) => v.name === name);
  if (!verb) {
    printErr([`unknown command: '${name}'`]);
    return 1;
  }
  if (args.includes("--help") && !args.slice(0, args.indexOf("--help")).includes("--")) {
    io.out(verbHelp(verb));
    return 0;
  }
  let opts;
  try {
    opts = parseVerbArgs(verb, args);
  } catch (e) {
    printErr((e as CliError).lines);
    return 1;
  }
  const json = !!(g.json || opts.json);
  if (g.json && !verb.json) {
    printErr([`command '${verb.name}' doesn't support option --json`]);
    return 1;
  }
  const ctx: VerbContext = {
    out: io.out,
    err: io.err,
    env,
    json,
    quiet: g.quiet,
    conn: getConn,
    domain: async (n, by = BY.ALL) => lookupDomain(await getConn(), n, by),
  };
  let status = 0;
  try {
    await verb.run(ctx, opts);
    status = ctx.exitCode ?? 0;
  } catch (e) {
    if (e instanceof ConnectFailed) throw e;
    status = 1;
    if (e instanceof CliError) printErr(e.lines);
    else if (e instanceof Error) printErr([e.message]);
    else printErr([String(e)]);
  }
  // virsh ends every command's output with a blank line unless quiet; JSON stays clean
  if (!g.quiet && !json && !verb.raw) io.out("\n");
  return status;
}
