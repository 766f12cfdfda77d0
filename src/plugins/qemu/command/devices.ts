// Inputs, audio, graphics, video, sound, watchdog, host devices, balloon.
import { json } from "./argv.ts";
import { hasFlag } from "../caps.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import type { El } from "../xml.ts";

const done = (e: El) => {
  const u = e.firstUnused();
  if (u) throw unsupported(u);
};

export function buildInputs(ctx: Ctx): void {
  ctx.devs.all("input").forEach((inp, i) => {
    const type = inp.a("type");
    const bus = inp.a("bus") ?? "ps2";
    if (bus === "ps2" && (type === "mouse" || type === "keyboard")) return done(inp); // built in
    if (bus !== "usb") throw unsupported(`input bus '${bus}'`);
    const driver = { tablet: "usb-tablet", mouse: "usb-mouse", keyboard: "usb-kbd" }[type!];
    if (!driver) throw unsupported(`input type '${type}'`);
    const dev = { driver, id: `input${i}`, ...ctx.usbProps(inp) };
    done(inp);
    push(ctx, "-device", json(dev));
  });
}

export function buildAudio(ctx: Ctx): void {
  for (const a of ctx.devs.all("audio")) {
    const type = a.a("type");
    if (type !== "none" && type !== "spice") throw unsupported(`audio type '${type}'`);
    push(ctx, "-audiodev", json({ id: `audio${a.a("id")}`, driver: type }));
    done(a);
  }
}

export function buildGraphics(ctx: Ctx): void {
  for (const g of ctx.devs.all("graphics")) {
    const type = g.a("type");
    if (type !== "vnc") throw unsupported(g.path());
    const port = Number(g.a("port") ?? -1);
    const autoport = g.a("autoport") === "yes" || port < 0;
    const listenEl = g.all("listen")[0];
    const legacy = g.a("listen"); // the old attribute mirrors the first <listen address>
    const addr = listenEl?.a("address") ?? legacy ?? "127.0.0.1";
    listenEl?.a("type");
    if (autoport) throw unsupported("vnc autoport");
    const host = addr.includes(":") ? `[${addr}]` : addr;
    done(g);
    push(ctx, "-vnc", `${host}:${port - 5900}${ctx.audioId ? `,audiodev=audio${ctx.audioId}` : ""}`);
  }
}

const VIDEO: Record<string, string> = { cirrus: "cirrus-vga", vga: "VGA", virtio: "virtio-vga", bochs: "bochs-display", ramfb: "ramfb" };

export function buildVideo(ctx: Ctx): void {
  ctx.devs.all("video").forEach((v, i) => {
    const m = v.child("model")!;
    const type = m.a("type")!;
    for (const k of ["vram", "heads", "primary"]) m.a(k);
    if (type === "none") return done(v);
    let driver = VIDEO[type];
    if (!driver) throw unsupported(`video model '${type}'`);
    if (i > 0 && type === "virtio") driver = "virtio-gpu-pci";
    done(v);
    // VGA's video memory follows vram when QEMU exposes vgamem_mb.
    const vgamem = type === "vga" && m.attrs.vram && hasFlag(ctx.opts.caps, "VGA.vgamem_mb") ? { vgamem_mb: Number(m.attrs.vram) / 1024 } : {};
    push(ctx, "-device", json({ driver, id: `video${i}`, ...vgamem, ...ctx.pciProps(v) }));
  });
}

const SOUND: Record<string, string> = { es1370: "ES1370", ac97: "AC97", sb16: "sb16", ich6: "intel-hda", ich9: "ich9-intel-hda" };

export function buildSounds(ctx: Ctx): void {
  ctx.devs.all("sound").forEach((s, i) => {
    const model = s.a("model")!;
    if (model === "pcspk") return done(s); // -machine pcspk-audiodev
    const driver = SOUND[model];
    if (!driver) throw unsupported(`sound model '${model}'`);
    const audio = ctx.audioId ? { audiodev: `audio${ctx.audioId}` } : {};
    const hda = model === "ich6" || model === "ich9";
    done(s);
    push(ctx, "-device", json({ driver, id: `sound${i}`, ...(hda ? {} : audio), ...ctx.pciProps(s) }));
    if (hda) push(ctx, "-device", json({ driver: "hda-duplex", id: `sound${i}-codec0`, bus: `sound${i}.0`, cad: 0, ...audio }));
  });
}

export function buildWatchdog(ctx: Ctx): void {
  for (const w of ctx.devs.all("watchdog")) {
    const model = w.a("model");
    const action = w.a("action") ?? "reset";
    if (model === "itco") push(ctx, "-global", "ICH9-LPC.noreboot=off");
    else if (model === "i6300esb") push(ctx, "-device", json({ driver: "i6300esb", id: "watchdog0", ...ctx.pciProps(w) }));
    else throw unsupported(`watchdog model '${model}'`);
    done(w);
    push(ctx, "-watchdog-action", action === "destroy" ? "poweroff" : action);
  }
}

const hx = (v: string | undefined, w: number) => Number(v ?? 0).toString(16).padStart(w, "0");

export function buildHostdevs(ctx: Ctx): void {
  // Interface type='hostdev' devices are hostdevs too, numbered after the plain ones.
  const list = [...ctx.devs.all("hostdev"), ...ctx.devs.kids.filter((k) => k.name === "interface" && k.attrs.type === "hostdev")];
  list.forEach((h, i) => {
    const alias = `hostdev${i}`;
    const isNet = h.name === "interface";
    const type = isNet ? "pci" : h.a("type");
    if (!isNet && h.a("mode") !== "subsystem") throw unsupported(`hostdev mode '${h.attrs.mode}'`);
    h.a("managed");
    h.a("type");
    const src = h.child("source")!;
    const sa = src.child("address")!;
    sa.a("type");
    const boot = ctx.bootIndex.get(h);
    const addr = h.kids.find((k) => k.name === "address");
    if (addr?.attrs.type === "unassigned") {
      addr.consume();
      src.consume();
      return;
    }
    let dev: Record<string, unknown>;
    if (type === "pci") {
      h.child("driver")?.a("name");
      if (isNet) {
        // MAC, VLAN and virtualport are set on the host's VF, not on the command line (launch.ts refuses
        // interface type='hostdev' until that is implemented).
        h.child("mac")?.a("address");
        h.child("model")?.consume();
        h.child("vlan")?.consume();
        h.child("virtualport")?.consume();
      }
      dev = { driver: "vfio-pci", host: `${hx(sa.a("domain"), 4)}:${hx(sa.a("bus"), 2)}:${hx(sa.a("slot"), 2)}.${Number(sa.a("function") ?? 0)}`, id: alias };
      if (boot !== undefined) dev.bootindex = boot;
      Object.assign(dev, ctx.pciProps(h));
    } else if (type === "usb") {
      const reset = src.a("guestReset");
      const path = `/dev/bus/usb/${String(Number(sa.a("bus"))).padStart(3, "0")}/${String(Number(sa.a("device"))).padStart(3, "0")}`;
      dev = { driver: "usb-host", hostdevice: path, id: alias };
      if (reset === "off") dev["guest-reset"] = false;
      else if (reset === "uninitialized") Object.assign(dev, { "guest-reset": true, "guest-resets-all": false });
      else if (reset === "on") Object.assign(dev, { "guest-reset": true, "guest-resets-all": true });
      if (boot !== undefined) dev.bootindex = boot;
      Object.assign(dev, ctx.usbProps(h));
    } else throw unsupported(`hostdev type '${type}'`);
    done(h);
    push(ctx, "-device", json(dev));
  });
}

export function buildBalloon(ctx: Ctx): void {
  const b = ctx.devs.child("memballoon");
  if (!b) return;
  const model = b.a("model");
  if (model === "none") return done(b);
  if (model !== "virtio") throw unsupported(`memballoon model '${model}'`);
  const dev: Record<string, unknown> = { driver: "virtio-balloon-pci", id: "balloon0", ...ctx.pciProps(b) };
  const d = b.a("autodeflate");
  if (d) dev["deflate-on-oom"] = d === "on";
  done(b);
  push(ctx, "-device", json(dev));
}
