// The registry and the API wrapper: built-ins load lazily by scheme, external plugins load from a
// directory by file:// URL, missing optional methods report NO_SUPPORT, and validation is per
// driver (no global "emulator required" flag).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeRegistry, openConnection, setBuiltins, supports, wrapConnection } from "../../src/core/api.ts";
import { parseDomainXml } from "../../src/core/conf/index.ts";
import type { Connection, DriverPlugin, HostApi } from "../../src/core/driver.ts";
import { ErrorCode, VirError } from "../../src/core/errors.ts";
import * as conf from "../../src/core/conf/index.ts";
import { loadHostApi, loadPluginDir, makeHostApi, pluginDirs } from "../../src/core/plugins.ts";
import { Registry } from "../../src/core/registry.ts";
import { builtinPlugins } from "../../src/plugins/builtin.ts";

const root = join(import.meta.dir, "..", "..");
const xml = (type: string, devices = "") =>
  `<domain type='${type}'><name>v</name><memory>1024</memory><os><type>hvm</type></os><devices>${devices}</devices></domain>`;

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<VirError> {
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(VirError);
    return e as VirError;
  }
  throw new Error("expected a VirError");
}

/** Two small drivers: one runs containers (no emulator), one needs an emulator binary that exists. */
const noEmulatorDriver = (host: HostApi): DriverPlugin => ({
  name: "noemu",
  schemes: ["noemu"],
  domainTypes: ["lxc"],
  validate() {},
  open: async () => ({}) as Connection,
});
const emulatorDriver = (host: HostApi): DriverPlugin => ({
  name: "emu",
  schemes: ["emu"],
  domainTypes: ["kvm"],
  validate(def) {
    const emu = def.devices.find((d) => d.kind === "emulator") as { path: string } | undefined;
    if (!emu) throw host.errors.configUnsupported("an <emulator> is required for kvm domains");
    if (!require("node:fs").existsSync(emu.path)) {
      throw host.errors.system(`Cannot check QEMU binary ${emu.path}: No such file or directory`);
    }
  },
  open: async () => ({}) as Connection,
});

describe("registry", () => {
  test("built-in list routes test:/// without loading other drivers, and loads lazily", async () => {
    let loads = 0;
    const reg = new Registry(makeHostApi(conf));
    reg.addBuiltin({ schemes: ["test"], load: async () => (loads++, import("../../src/plugins/test/index.ts")) });
    reg.addBuiltin({ schemes: ["never"], load: async () => { throw new Error("must not load"); } });
    expect(reg.schemes()).toEqual(["test", "never"]);
    expect(loads).toBe(0);
    const p = await reg.byScheme("TEST");
    expect(p?.name).toBe("test");
    expect(await reg.byScheme("test")).toBe(p!);
    expect(loads).toBe(1);
    expect(await reg.byScheme("nope")).toBeUndefined();
  });

  test("every built-in entry loads and serves the schemes it claims", async () => {
    const reg = new Registry(makeHostApi(conf));
    for (const b of builtinPlugins) reg.addBuiltin(b);
    for (const b of builtinPlugins) for (const s of b.schemes) expect((await reg.byScheme(s))!.schemes).toContain(s);
  });

  test("a registered plugin overrides a built-in of the same scheme", async () => {
    const reg = new Registry(makeHostApi(conf));
    reg.addBuiltin({ schemes: ["test"], load: () => import("../../src/plugins/test/index.ts") });
    reg.register({ name: "mine", schemes: ["test"], domainTypes: [], open: async () => ({}) as Connection });
    expect((await reg.byScheme("test"))!.name).toBe("mine");
  });

  test("malformed plugins are refused with the reason", async () => {
    const reg = new Registry(makeHostApi(conf));
    const e = await rejection(reg.registerFactory(() => ({ name: "x" }) as unknown as DriverPlugin, "x.ts"));
    expect(e.message).toBe("internal error: plugin x.ts did not return a driver (name, schemes, open)");
  });
});

describe("per-driver validation", () => {
  const reg = new Registry(makeHostApi(conf));
  beforeAll(async () => {
    await reg.registerFactory(noEmulatorDriver, "noemu");
    await reg.registerFactory(emulatorDriver, "emu");
  });

  test("a driver with no emulator requirement accepts a definition without <emulator>", async () => {
    const def = parseDomainXml(xml("lxc").replace("<type>hvm</type>", "<type>exe</type><init>/bin/sh</init>"));
    expect(def.devices.some((d) => d.kind === "emulator")).toBe(false);
    await reg.validate(def); // resolves
  });

  test("a driver that requires an emulator rejects a missing binary", async () => {
    const def = parseDomainXml(xml("kvm", "<emulator>/nonexistent/qemu-system-x86_64</emulator>"));
    const e = await rejection(reg.validate(def));
    expect(e.code).toBe(ErrorCode.SYSTEM_ERROR);
    expect(e.message).toBe("Cannot check QEMU binary /nonexistent/qemu-system-x86_64: No such file or directory");
  });

  test("the same driver accepts an emulator that exists, and rejects none at all", async () => {
    await reg.validate(parseDomainXml(xml("kvm", "<emulator>/bin/sh</emulator>")));
    const e = await rejection(reg.validate(parseDomainXml(xml("kvm"))));
    expect(e.message).toBe("unsupported configuration: an <emulator> is required for kvm domains");
  });

  test("a type no driver runs is unsupported", async () => {
    const e = await rejection(reg.validate(parseDomainXml(xml("xen"))));
    expect(e.code).toBe(ErrorCode.CONFIG_UNSUPPORTED);
    expect(e.message).toBe("unsupported configuration: no driver is registered for domain type 'xen'");
  });
});

describe("external plugins", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "bunvirt-plugins-"));
    writeFileSync(join(dir, "b-named.mjs"), `export const plugin = (host) => ({ name: "named", schemes: ["named"], domainTypes: [], open: async (u) => ({ uri: u.raw, getType: () => "NAMED", close: async () => {} }) });\n`);
    writeFileSync(join(dir, "notes.txt"), "not a plugin\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test("every plugin file in a directory loads, with the host API", async () => {
    const reg = new Registry(makeHostApi(conf));
    const loaded = await loadPluginDir(reg, join(root, "examples", "plugins"));
    expect(loaded.map((p) => p.name)).toEqual(["demo"]);
    const more = await loadPluginDir(reg, dir);
    expect(more.map((p) => p.name)).toEqual(["named"]);
    expect(reg.schemes().sort()).toEqual(["demo", "named"]);
  });

  test("loadHostApi hands plugins the domain-XML module", async () => {
    expect((await loadHostApi()).conf.parseDomainXml).toBe(conf.parseDomainXml);
  });

  test("BUNVIRT_PLUGIN_DIR adds directories after --plugin-dir ones", () => {
    expect(pluginDirs(["/a"], { BUNVIRT_PLUGIN_DIR: "/b:/c" })).toEqual(["/a", "/b", "/c"]);
    expect(pluginDirs([], {})).toEqual([]);
  });

  test("openConnection reaches an external driver; its missing methods report NO_SUPPORT", async () => {
    const c = await openConnection("named:///x", { pluginDirs: [dir], env: {} });
    expect(c.uri).toBe("named:///x");
    expect(c.getType()).toBe("NAMED");
    expect(supports(c, "suspend")).toBe(false);
    const e = await rejection(c.suspend({ name: "a", uuid: "", id: 1 }));
    expect(e.code).toBe(ErrorCode.NO_SUPPORT);
    expect(e.message).toBe("this function is not supported by the connection driver: virDomainSuspend");
    expect((await rejection(c.lxcEnterNamespace({ name: "a", uuid: "", id: 1 }, ["/bin/true"]))).message).toBe(
      "this function is not supported by the connection driver: virDomainLxcOpenNamespace",
    );
    expect(() => c.onLifecycle(() => {})).toThrow("this function is not supported by the connection driver: virConnectDomainEventRegisterAny");
    await c.close();
  });

  test("a broken plugin file is reported with its path", async () => {
    const bad = mkdtempSync(join(tmpdir(), "bunvirt-bad-"));
    writeFileSync(join(bad, "x.mjs"), "export default 42;\n");
    const e = await rejection(loadPluginDir(new Registry(makeHostApi(conf)), bad));
    expect(e.message).toBe(`internal error: plugin ${join(bad, "x.mjs")} exports no factory (default or 'plugin')`);
    rmSync(bad, { recursive: true });
  });
});

describe("openConnection", () => {
  beforeAll(() => setBuiltins(builtinPlugins));

  test("URI from the argument, then LIBVIRT_DEFAULT_URI", async () => {
    const a = await openConnection("test:///default", { env: { LIBVIRT_DEFAULT_URI: "nope:///" } });
    expect(a.uri).toBe("test:///default");
    const b = await openConnection(undefined, { env: { LIBVIRT_DEFAULT_URI: "test:///default" } });
    expect(b.uri).toBe("test:///default");
    expect((await b.lookupByName("test")).id).toBe(1);
  });

  test("unknown schemes and remote URIs without a transport hook fail as libvirt does", async () => {
    expect((await rejection(openConnection("bogus:///x", { env: {} }))).message).toBe("no connection driver available for bogus:///x");
    expect((await rejection(openConnection("test+foo:///default", { env: {} }))).message).toBe("invalid argument: transport in URL not supported: foo");
  });

  test("driver exceptions come out as VirError", async () => {
    const c = wrapConnection({ uri: "x", getType: () => "X", lookupByName: async () => { throw new TypeError("boom"); } } as unknown as Connection);
    const e = await rejection(c.lookupByName("a"));
    expect(e.code).toBe(ErrorCode.INTERNAL_ERROR);
    expect(e.message).toBe("internal error: boom");
  });

  test("makeRegistry loads plugin dirs from the environment", async () => {
    const reg = await makeRegistry([], { BUNVIRT_PLUGIN_DIR: join(root, "examples", "plugins") });
    expect((await reg.byScheme("demo"))?.name).toBe("demo");
  });
});
