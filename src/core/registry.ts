// The driver registry: which plugin serves which URI scheme and domain type. The core never
// names a driver; built-ins arrive through one list (src/plugins/builtin.ts) as lazy entries so
// that a verb pays only for the driver it uses, and external plugins arrive already loaded.

import type { DriverPlugin, GuestCaps, HostApi, PluginFactory } from "./driver.ts";
import { errors } from "./errors.ts";
import pkg from "../../package.json" with { type: "json" };

/** bunvirt's own version (package.json, bundled into the executable), handed to plugins. */
export const VERSION: string = pkg.version;
import type { DomainDef } from "./conf/index.ts";

/** One built-in driver: the schemes it serves (known without loading it) and its loader. */
export interface BuiltinEntry {
  schemes: string[];
  /** Module whose default export (or `plugin`) is a PluginFactory. */
  load: () => Promise<{ default?: PluginFactory; plugin?: PluginFactory }>;
  /** URI to use when none is given (libvirt probes drivers in order; we take the first that offers one). */
  defaultUri?: () => string | undefined;
}

interface Slot {
  schemes: string[];
  plugin?: DriverPlugin;
  pending?: Promise<DriverPlugin>;
  entry?: BuiltinEntry;
  defaultUri?: () => string | undefined;
}

export function factoryOf(mod: { default?: unknown; plugin?: unknown }, where: string): PluginFactory {
  const f = (mod.default ?? mod.plugin) as unknown;
  if (typeof f !== "function") throw errors.internal(`plugin ${where} exports no factory (default or 'plugin')`);
  return f as PluginFactory;
}

export function checkPlugin(p: unknown, where: string): DriverPlugin {
  const d = p as DriverPlugin;
  if (!d || typeof d.name !== "string" || !Array.isArray(d.schemes) || typeof d.open !== "function") {
    throw errors.internal(`plugin ${where} did not return a driver (name, schemes, open)`);
  }
  if (!Array.isArray(d.domainTypes)) throw errors.internal(`plugin ${where} has no domainTypes`);
  return d;
}

export class Registry {
  private readonly slots: Slot[] = [];

  constructor(private readonly host: HostApi) {}

  /** Add a built-in entry; loaded on first use. */
  addBuiltin(entry: BuiltinEntry): void {
    this.slots.push({ schemes: entry.schemes.map((s) => s.toLowerCase()), entry, defaultUri: entry.defaultUri });
  }

  /** Add a loaded plugin. A later registration of the same scheme wins (external overrides built-in). */
  register(plugin: DriverPlugin): void {
    const p = checkPlugin(plugin, plugin?.name ?? "?");
    this.slots.unshift({ schemes: p.schemes.map((s) => s.toLowerCase()), plugin: p });
  }

  /** Load a plugin module's factory and register the driver it makes. */
  async registerFactory(factory: PluginFactory, where: string): Promise<DriverPlugin> {
    const p = checkPlugin(await factory(this.host), where);
    this.register(p);
    return p;
  }

  schemes(): string[] {
    return [...new Set(this.slots.flatMap((s) => s.schemes))];
  }

  private async resolve(slot: Slot): Promise<DriverPlugin> {
    if (slot.plugin) return slot.plugin;
    slot.pending ??= (async () => {
      const mod = await slot.entry!.load();
      const p = checkPlugin(await factoryOf(mod, slot.schemes.join(","))(this.host), slot.schemes.join(","));
      slot.plugin = p;
      return p;
    })();
    return slot.pending;
  }

  /** The driver for a URI scheme, or undefined. */
  async byScheme(scheme: string): Promise<DriverPlugin | undefined> {
    const s = scheme.toLowerCase();
    const slot = this.slots.find((x) => x.schemes.includes(s));
    return slot ? this.resolve(slot) : undefined;
  }

  /** Every driver, loading built-ins as needed (capabilities, validation by domain type). */
  async all(): Promise<DriverPlugin[]> {
    const out: DriverPlugin[] = [];
    for (const slot of this.slots) {
      const p = await this.resolve(slot);
      if (!out.includes(p)) out.push(p);
    }
    return out;
  }

  /** The driver that runs `<domain type=T>`. */
  async byDomainType(type: string): Promise<DriverPlugin | undefined> {
    for (const p of await this.all()) if (p.domainTypes.includes(type)) return p;
    return undefined;
  }

  /** Per-driver validation: the driver that runs def.type checks its own rules (QEMU: the
   * emulator binary exists; LXC: none). There is no global "emulator required" flag. */
  async validate(def: DomainDef): Promise<void> {
    const p = await this.byDomainType(def.type);
    if (!p) throw errors.configUnsupported(`no driver is registered for domain type '${def.type}'`);
    await p.validate?.(def);
  }

  /** Every guest kind offered by every driver, for a host-wide capabilities document. */
  async guests(): Promise<GuestCaps[]> {
    const out: GuestCaps[] = [];
    for (const p of await this.all()) if (p.guests) out.push(...(await p.guests()));
    return out;
  }

  defaultUri(): string | undefined {
    for (const slot of this.slots) {
      const u = slot.defaultUri?.();
      if (u) return u;
    }
    return undefined;
  }
}
