// External plugins: every *.js/*.mjs/*.ts file in a plugin directory is imported by file:// URL
// and its factory is called with the HostApi. Plugins get the host's modules through that object
// because a compiled executable cannot resolve bare imports for a loose file on disk.

import { readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { DomainState, type DriverPlugin, type HostApi } from "./driver.ts";
import { ErrorCode, ErrorDomain, errors, VirError } from "./errors.ts";
import { factoryOf, VERSION, type Registry } from "./registry.ts";

export { VERSION };

/** The HostApi, given the domain-XML module. */
export function makeHostApi(conf: HostApi["conf"]): HostApi {
  return { version: VERSION, errors, VirError, ErrorCode, ErrorDomain, DomainState, conf };
}

/** The HostApi with the domain-XML module loaded on demand: verbs that open no connection
 * (--version, --help) never evaluate the XML parser and its schema tables. */
export async function loadHostApi(): Promise<HostApi> {
  return makeHostApi(await import("./conf/index.ts"));
}

const PLUGIN_FILE = /\.(m?js|ts)$/;

/** Plugin directories from the command line and BUNVIRT_PLUGIN_DIR (colon-separated). */
export function pluginDirs(cli: string[], env: Record<string, string | undefined> = process.env): string[] {
  const fromEnv = (env.BUNVIRT_PLUGIN_DIR ?? "").split(":").filter(Boolean);
  return [...cli, ...fromEnv];
}

/** Import every plugin file in `dir` (sorted, so the order is stable) and register it. */
export async function loadPluginDir(registry: Registry, dir: string): Promise<DriverPlugin[]> {
  const abs = resolve(dir);
  let names: string[];
  try {
    names = readdirSync(abs).filter((n) => PLUGIN_FILE.test(n) && !n.endsWith(".d.ts")).sort();
  } catch (e) {
    throw errors.system(`cannot read plugin directory '${abs}': ${(e as Error).message}`);
  }
  const out: DriverPlugin[] = [];
  for (const n of names) {
    const file = join(abs, n);
    if (!statSync(file).isFile()) continue;
    let mod: Record<string, unknown>;
    try {
      mod = await import(pathToFileURL(file).href);
    } catch (e) {
      throw errors.internal(`failed to load plugin '${file}': ${(e as Error).message}`);
    }
    out.push(await registry.registerFactory(factoryOf(mod, file), file));
  }
  return out;
}
