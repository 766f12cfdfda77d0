// The LXC driver plugin: lxc:///system (configs in /var/lib/bunvirt/lxc, live state in
// /run/bunvirt/lxc) and lxc:///embed?root=DIR (everything under DIR, for tests and embedding).

import type { DriverPlugin, HostApi } from "../../core/driver.ts";
import { errors, ErrorDomain } from "../../core/errors.ts";
import type { ParsedUri } from "../../core/uri.ts";
import { LXC_GUESTS, LxcConnection } from "./driver.ts";

export const SYSTEM_ROOT = "/var/lib/bunvirt/lxc";
export const SYSTEM_RUN = "/run/bunvirt/lxc";

export function lxcPlugin(_host?: HostApi): DriverPlugin {
  return {
    name: "lxc",
    schemes: ["lxc"],
    domainTypes: ["lxc"],
    guests: LXC_GUESTS,
    async open(uri: ParsedUri) {
      const raw = uri.raw ?? `lxc://${uri.path}`;
      if (uri.path === "/embed") {
        const root = uri.params?.root;
        if (!root || !root.startsWith("/")) throw errors.invalidArg("lxc:///embed needs an absolute root=DIR parameter", ErrorDomain.LXC);
        return new LxcConnection(raw, root, `${root}/run`).open();
      }
      if (uri.path === "/system" || uri.path === "" || uri.path === "/") {
        if (process.getuid?.() !== 0) throw errors.operationFailed("lxc:///system needs root", ErrorDomain.LXC);
        return new LxcConnection(raw, SYSTEM_ROOT, SYSTEM_RUN).open();
      }
      throw errors.invalidArg(`unexpected LXC URI path '${uri.path}', try lxc:///system or lxc:///embed?root=DIR`, ErrorDomain.LXC);
    },
  };
}

export default lxcPlugin;
