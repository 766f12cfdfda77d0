// Character devices: serial, parallel, console and channel backends and their frontends.
import { json } from "./argv.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import type { El } from "../xml.ts";

/** -chardev backend for a character device element (consumes its source/protocol/log). */
export function chardevBackend(ctx: Ctx, dev: El, id: string, alias: string): void {
  const type = dev.a("type") ?? "pty";
  const src = dev.all("source")[0];
  const proto = dev.child("protocol")?.a("type");
  // A virtio channel's UNIX socket without a path lives in the domain's channel directory.
  const tname = dev.name === "channel" ? dev.kids.find((k) => k.name === "target")?.attrs.name : undefined;
  if (!src && type === "unix" && tname) {
    const path = `${ctx.opts.runDir}/channel/${ctx.opts.id}-${ctx.name.slice(0, 20)}/${tname}`;
    push(ctx, "-chardev", `socket,id=${id},fd=${ctx.opts.fds.listenSocket(alias, path)},server=on,wait=off`);
    return;
  }
  // Other backends that need a <source> and have none.
  if (!src && ["file", "tcp", "unix", "udp", "dev", "pipe"].includes(type)) throw unsupported(`${dev.path()}/source`);
  switch (type) {
    case "pty":
      src?.a("path");
      push(ctx, "-chardev", `pty,id=${id}`);
      return;
    case "null":
    case "vc":
    case "stdio":
      push(ctx, "-chardev", `${type},id=${id}`);
      return;
    case "file": {
      const path = src!.a("path")!;
      const append = src!.a("append") === "on";
      const fd = ctx.opts.fds.outputFile(alias, path, append);
      if (fd === undefined) {
        push(ctx, "-chardev", `file,id=${id},path=${path}${append ? ",append=on" : ""}`);
        return;
      }
      const set = ctx.fdset++;
      push(ctx, "-add-fd", `set=${set},fd=${fd},opaque=${alias}-source`);
      push(ctx, "-chardev", `file,id=${id},path=/dev/fdset/${set}${append ? ",append=on" : ""}`);
      return;
    }
    case "tcp": {
      const bind = src!.a("mode") === "bind";
      let s = `socket,id=${id},host=${src!.a("host")},port=${src!.a("service")}`;
      if (proto === "telnet") s += ",telnet=on";
      else if (proto && proto !== "raw") throw unsupported(`chardev protocol '${proto}'`);
      if (bind) s += ",server=on,wait=off";
      push(ctx, "-chardev", s);
      return;
    }
    case "unix": {
      const path = src!.a("path")!;
      if (src!.a("mode") === "bind") {
        const fd = ctx.opts.fds.listenSocket(alias, path);
        push(ctx, "-chardev", `socket,id=${id},fd=${fd},server=on,wait=off`);
      } else push(ctx, "-chardev", `socket,id=${id},path=${path}`);
      return;
    }
    case "spicevmc":
      push(ctx, "-chardev", `spicevmc,id=${id},name=${dev.name === "redirdev" ? "usbredir" : "vdagent"}`);
      return;
  }
  throw unsupported(`chardev type '${type}'`);
}

function checkUsed(dev: El): void {
  const u = dev.firstUnused();
  if (u) throw unsupported(u);
}

export function buildSerials(ctx: Ctx): void {
  ctx.devs.all("serial").forEach((s, i) => {
    const alias = `serial${i}`;
    const t = s.child("target");
    const port = Number(t?.a("port") ?? i);
    const ttype = t?.a("type") ?? "isa-serial";
    const model = t?.child("model")?.a("name") ?? "isa-serial";
    if (ttype !== "isa-serial" || model !== "isa-serial") throw unsupported(`serial target '${ttype}'`);
    chardevBackend(ctx, s, `char${alias}`, alias);
    checkUsed(s);
    push(ctx, "-device", json({ driver: "isa-serial", chardev: `char${alias}`, id: alias, index: port }));
  });
}

export function buildParallels(ctx: Ctx): void {
  ctx.devs.all("parallel").forEach((p, i) => {
    const alias = `parallel${i}`;
    p.child("target")?.a("port");
    chardevBackend(ctx, p, `char${alias}`, alias);
    checkUsed(p);
    push(ctx, "-device", json({ driver: "isa-parallel", chardev: `char${alias}`, id: alias }));
  });
}

export function buildChannels(ctx: Ctx): void {
  let nr = 0;
  ctx.devs.all("channel").forEach((c, i) => {
    const alias = `channel${i}`;
    const t = c.child("target")!;
    if (t.a("type") !== "virtio") throw unsupported(`channel target '${t.attrs.type}'`);
    t.a("state");
    const addr = c.child("address");
    const port = addr ? Number(addr.a("port")) : ++nr;
    if (addr) for (const k of Object.keys(addr.attrs)) addr.a(k);
    nr = Math.max(nr, port);
    const name = t.a("name");
    chardevBackend(ctx, c, `char${alias}`, alias);
    checkUsed(c);
    push(ctx, "-device", json({ driver: "virtserialport", bus: `virtio-serial${addr?.attrs.controller ?? 0}.${addr?.attrs.bus ?? 0}`, nr: port, chardev: `char${alias}`, id: alias, name }));
  });
}

export function buildConsoles(ctx: Ctx): void {
  const serials = ctx.devs.kids.filter((k) => k.name === "serial");
  ctx.devs.all("console").forEach((c, i) => {
    const alias = `console${i}`;
    const t = c.child("target");
    const ttype = t?.a("type") ?? "serial";
    t?.a("port");
    if (ttype === "serial") {
      // The x86 console is the first serial port; it needs no arguments of its own.
      if (!serials.length) throw unsupported("console of type serial without a serial port");
      c.consume();
      return;
    }
    if (ttype !== "virtio") throw unsupported(`console target '${ttype}'`);
    chardevBackend(ctx, c, `char${alias}`, alias);
    checkUsed(c);
    push(ctx, "-device", json({ driver: "virtconsole", chardev: `char${alias}`, id: alias }));
  });
}
