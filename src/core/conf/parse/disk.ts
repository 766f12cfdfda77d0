// <disk> (virDomainDiskDefParseXML, the parts guests here use).
import type { Ctx } from "./ctx.ts";
import type { DiskDev, DiskSource } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { keepExtra, parseInfo } from "./common.ts";

const DISK_TYPES = ["file", "block", "dir", "network", "volume", "nvme", "vhostuser", "vhostvdpa"] as const;
const DISK_DEVICES = ["disk", "cdrom", "floppy", "lun"] as const;

export function parseDisk(c: Ctx): DiskDev {
  const d: DiskDev = {
    kind: "disk",
    type: c.enumAttr("type", DISK_TYPES) ?? "file",
    device: c.enumAttr("device", DISK_DEVICES) ?? "disk",
    top: c.pick(K.DISK_TOP),
  };
  const drv = c.child("driver");
  if (drv) d.driver = drv.pick(K.DISK_DRIVER);
  const src = c.child("source");
  if (src) d.source = parseSource(src);
  const tgt = c.child("target");
  if (!tgt) c.fail("missing <target> in disk");
  d.target = tgt!.pick(K.DISK_TARGET);
  if (!d.target.dev) tgt!.fail("missing required attribute 'dev'");
  if (c.child("readonly")) d.readonly = true;
  if (c.child("shareable")) d.shareable = true;
  if (c.child("transient")) d.transient = true;
  for (const k of ["serial", "wwn", "vendor", "product"] as const) {
    const v = c.childText(k);
    if (v !== undefined) d[k] = v;
  }
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

function parseSource(c: Ctx): DiskSource {
  const s: DiskSource = { attrs: c.pick(K.DISK_SOURCE), hosts: c.all("host").map((h) => h.pick(K.DISK_HOST)) };
  const auth = c.child("auth");
  if (auth) {
    const sec = auth.child("secret");
    if (!sec) auth.fail("missing <secret> in auth");
    s.auth = { username: auth.req("username"), secret: sec!.pick(K.SECRET) };
  }
  keepExtra(c, s);
  return s;
}
