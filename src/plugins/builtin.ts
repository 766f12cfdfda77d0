// The built-in drivers: one line each. `schemes` routes a URI without loading the module;
// `load` is a literal dynamic import so the bundler embeds the driver in dist/bunvirt.
import type { BuiltinEntry } from "../core/registry.ts";

export const builtinPlugins: BuiltinEntry[] = [
  { schemes: ["test"], load: () => import("./test/index.ts") },
  { schemes: ["qemu"], load: () => import("./qemu/index.ts") },
  { schemes: ["lxc"], load: () => import("./lxc/index.ts"), defaultUri: () => (process.getuid?.() === 0 ? "lxc:///system" : undefined) },
];
