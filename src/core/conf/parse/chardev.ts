// serial, console, channel, parallel (virDomainChrDefParseXML).
import type { Ctx } from "./ctx.ts";
import type { ChardevDev, ChardevKind } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { keepExtra, parseInfo } from "./common.ts";

const CHR_TYPES = [
  "null", "vc", "pty", "dev", "file", "pipe", "stdio", "udp", "tcp", "unix", "spicevmc", "spiceport",
  "nmdm", "qemu-vdagent", "dbus",
] as const;

export function parseChardev(c: Ctx, kind: ChardevKind): ChardevDev {
  const ch: ChardevDev = {
    kind,
    type: c.enumAttr("type", CHR_TYPES) ?? "pty",
    sources: c.all("source").map((s) => s.pick(K.CHR_SOURCE)),
  };
  const tty = c.attr("tty");
  if (tty !== undefined && !c.opts.inactive) ch.tty = tty;
  // A pty's path is assigned at start: ignored when defining, as libvirt does.
  if (ch.type === "pty" && c.opts.inactive) ch.sources = [];
  const proto = c.child("protocol");
  if (proto) ch.protocol = proto.req("type");
  const log = c.child("log");
  if (log) ch.log = { file: log.req("file"), append: log.attr("append") };
  const tgt = c.child("target");
  if (tgt) {
    ch.target = { attrs: tgt.pick(K.CHR_TARGET) };
    const port = ch.target.attrs.port;
    if (port !== undefined && !/^\d+$/.test(port)) tgt.fail(`Invalid port number: ${port}`, "port");
    const m = tgt.child("model");
    if (m) ch.target.model = m.req("name");
  }
  parseInfo(c, ch);
  keepExtra(c, ch);
  return ch;
}
