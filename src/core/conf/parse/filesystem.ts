// <filesystem> (virDomainFSDefParseXML). accessmode defaults to passthrough at parse time, as in
// libvirt, so it is always printed.
import type { Ctx } from "./ctx.ts";
import type { FilesystemDev } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { keepExtra, parseInfo } from "./common.ts";
import { toKiB } from "../units.ts";

const FS_TYPES = ["mount", "block", "file", "template", "ram", "bind", "volume"] as const;

export function parseFilesystem(c: Ctx): FilesystemDev {
  const type = c.enumAttr("type", FS_TYPES) ?? "mount";
  const f: FilesystemDev = {
    kind: "filesystem",
    type,
    accessmode: c.enumAttr("accessmode", ["passthrough", "mapped", "squash"] as const) ?? "passthrough",
    source: {},
    target: "",
  };
  for (const k of ["model", "multidevs", "fmode", "dmode"] as const) {
    const v = c.attr(k);
    if (v !== undefined) f[k] = v;
  }
  const drv = c.child("driver");
  if (drv) f.driver = drv.pick(K.FS_DRIVER);
  const src = c.child("source");
  if (src) {
    if (type === "ram") {
      const usage = src.attr("usage");
      if (usage === undefined) src.fail("missing required attribute 'usage'");
      const r = toKiB(usage!, src.attr("units"));
      if (!r.ok) src.fail(r.reason, "usage");
      f.source.usage = r.kib;
    } else {
      for (const k of ["dir", "file", "dev", "name", "socket"] as const) {
        const v = src.attr(k);
        if (v !== undefined) f.source[k] = v;
      }
    }
  } else if (type !== "ram" && !(f.driver?.type === "virtiofs")) {
    c.fail("missing source element");
  }
  const tgt = c.child("target");
  if (!tgt) c.fail("missing target element");
  f.target = tgt!.req("dir");
  if (c.child("readonly")) f.readonly = true;
  for (const [el, key] of [["space_hard_limit", "spaceHardLimit"], ["space_soft_limit", "spaceSoftLimit"]] as const) {
    const l = c.child(el);
    if (!l) continue;
    const r = toKiB(l.text() ?? "", l.attr("unit"), "bytes");
    if (!r.ok) l.fail(r.reason);
    f[key] = r.kib;
  }
  parseInfo(c, f);
  keepExtra(c, f);
  return f;
}
