// <os> (virDomainDefParseBootOptions): container init settings and VM boot settings.
import type { Ctx } from "./ctx.ts";
import type { OsDef } from "../model.ts";
import { errors } from "../../errors.ts";

const BOOT_DEVS = ["fd", "hd", "cdrom", "network"] as const;

export function parseOs(c: Ctx | undefined): OsDef {
  const o: OsDef = { type: "", initargs: [], initenv: [], boot: [] };
  if (!c) return o;
  const fw = c.attr("firmware");
  if (fw !== undefined) o.firmware = fw;
  const t = c.child("type");
  if (t) {
    o.type = t.text() ?? "";
    const arch = t.attr("arch");
    if (arch !== undefined) o.arch = arch;
    const machine = t.attr("machine");
    if (machine !== undefined) o.machine = machine;
  }
  const loader = c.child("loader");
  if (loader) o.loader = loader.el;
  const nvram = c.child("nvram");
  if (nvram) o.nvram = nvram.el;
  const text = (k: "init" | "initdir" | "inituser" | "initgroup" | "kernel" | "initrd" | "cmdline" | "dtb") => {
    const v = c.childText(k);
    if (v !== undefined) o[k] = v;
    else if (c.child(k)) o[k] = "";
  };
  text("init");
  o.initargs = c.all("initarg").map((a) => a.text() ?? "");
  o.initenv = c.all("initenv").map((e) => {
    const name = e.req("name");
    // Only libvirt's schema restricts the name, so only --validate refuses others.
    if (e.opts.validate && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw errors.schema(`${e.path}/@name: invalid environment variable name '${name}'`);
    return { name, value: e.text() ?? "" };
  });
  for (const k of ["initdir", "inituser", "initgroup", "kernel", "initrd", "cmdline", "dtb"] as const) text(k);
  o.boot = c.all("boot").map((b) => b.enumAttr("dev", BOOT_DEVS) ?? b.fail("missing boot device"));
  const bm = c.child("bootmenu");
  if (bm) {
    o.bootmenu = { enable: bm.enumAttr("enable", ["yes", "no"] as const) ?? bm.fail("missing required attribute 'enable'") };
    const to = bm.intAttr("timeout", "value for boot menu timeout");
    if (to !== undefined) {
      if (to > 65535) throw errors.configUnsupported("invalid value for boot menu timeout, must be in range [0,65535]");
      o.bootmenu.timeout = to;
    }
  }
  const smbios = c.child("smbios");
  if (smbios) o.smbios = smbios.req("mode");
  const bios = c.child("bios");
  if (bios) o.bios = { useserial: bios.attr("useserial"), rebootTimeout: bios.intAttr("rebootTimeout") };
  return o;
}
