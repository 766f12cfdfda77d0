// The LXC driver's post-parse defaults (libvirt 9.0's virLXCDomainDefPostParse and
// virLXCDomainDeviceDefPostParse plus the common ones), so `define` then `dumpxml --inactive`
// prints what libvirt prints. Checked against real libvirt output in test/golden/lxc-defaults.
import type { DomainDef } from "../../core/conf/index.ts";
import { applyCommonDefaults } from "../../core/conf/index.ts";
import { errors } from "../../core/errors.ts";

export interface LxcDefaultsOptions {
  /** Host architecture for `<os><type arch>` (libvirt takes it from capabilities). */
  arch?: string;
  /** Emulator path put in `<devices><emulator>` when absent (Debian's libvirt_lxc path). */
  emulator?: string;
}

export const LXC_DEFAULT_EMULATOR = "/usr/lib/libvirt/libvirt_lxc";

export function hostArch(): string {
  // process.arch names → libvirt arch names
  return ({ x64: "x86_64", arm64: "aarch64", ia32: "i686", ppc64: "ppc64le", s390x: "s390x" } as Record<string, string>)[process.arch] ?? process.arch;
}

export function applyLxcDefaults(def: DomainDef, opts: LxcDefaultsOptions = {}): DomainDef {
  if (def.os.type === "") def.os.type = "exe";
  const arch = def.os.arch ?? opts.arch ?? hostArch();
  // Containers only have os type exe; libvirt words it as a capabilities lookup miss (the
  // trailing space is where its message would name a machine type).
  if (def.os.type !== "exe") throw errors.invalidArg(`could not find capabilities for arch=${arch} domaintype=lxc `);
  if (def.os.init === undefined) throw errors.xml("init binary must be specified");
  def.os.arch = arch;
  applyCommonDefaults(def);
  if (!def.devices.some((d) => d.kind === "emulator")) def.devices.unshift({ kind: "emulator", path: opts.emulator ?? LXC_DEFAULT_EMULATOR });
  // Consoles are the container's /dev/console and /dev/ttyN: target type lxc, ports 0..n-1.
  let port = 0;
  for (const d of def.devices) {
    if (d.kind !== "console") continue;
    d.target ??= { attrs: {} };
    d.target.attrs.type ??= "lxc";
    d.target.attrs.port = String(port++);
  }
  for (const d of def.devices) {
    if (d.kind === "filesystem") d.accessmode ??= "passthrough";
    // The LXC driver has no user aliases (no VIR_DOMAIN_DEF_FEATURE_USER_ALIAS): none survive define.
    if ("alias" in d) delete d.alias;
  }
  // With no security driver (libvirt's "none" manager) a label without a model becomes
  // type='none' model='none', whatever type it asked for.
  for (const s of def.seclabels) {
    if (s.model !== undefined) continue;
    s.type = "none";
    s.model = "none";
  }
  return def;
}
