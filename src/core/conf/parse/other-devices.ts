// controller, input, graphics, memballoon, video.
import type { Ctx } from "./ctx.ts";
import type { AudioDev, ControllerDev, GraphicsDev, InputDev, MemballoonDev, SoundDev, VideoDev, WatchdogDev } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { keepExtra, parseInfo } from "./common.ts";

const CONTROLLER_TYPES = ["ide", "fdc", "scsi", "sata", "virtio-serial", "ccid", "usb", "pci", "xenbus", "isa"] as const;

export function parseController(c: Ctx): ControllerDev {
  const index = c.intAttr("index", "controller index");
  const d: ControllerDev = {
    kind: "controller",
    type: c.enumAttr("type", CONTROLLER_TYPES) ?? "ide",
    // libvirt assigns the first free index when absent; 0 is what a lone controller gets.
    index: index ?? 0,
    attrs: c.pick(K.CONTROLLER),
  };
  const m = c.child("model");
  if (m) d.modelName = m.req("name");
  const drv = c.child("driver");
  if (drv) d.driver = drv.pick(K.CONTROLLER_DRIVER);
  const tgt = c.child("target");
  if (tgt) d.target = tgt.pick(K.CONTROLLER_TARGET);
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

export function parseInput(c: Ctx): InputDev {
  const d: InputDev = {
    kind: "input",
    type: c.enumAttr("type", ["mouse", "tablet", "keyboard", "passthrough", "evdev"] as const) ?? c.fail("missing input device type"),
  };
  const bus = c.enumAttr("bus", ["ps2", "usb", "xen", "parallels", "virtio", "none"] as const);
  if (bus) d.bus = bus;
  const model = c.attr("model");
  if (model !== undefined) d.model = model;
  const src = c.child("source");
  if (src) d.source = { ...src.el.attrs };
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

export function parseGraphics(c: Ctx): GraphicsDev {
  const type = c.enumAttr("type", ["sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus"] as const);
  if (!type) c.fail("missing graphics device type");
  const g: GraphicsDev = { kind: "graphics", attrs: { type: type!, ...c.pick(K.GRAPHICS) }, listens: c.all("listen").map((l) => l.pick(K.GRAPHICS_LISTEN)) };
  keepExtra(c, g);
  return g;
}

export function parseMemballoon(c: Ctx): MemballoonDev {
  const d: MemballoonDev = {
    kind: "memballoon",
    model: c.enumAttr("model", ["virtio", "xen", "none", "virtio-transitional", "virtio-non-transitional"] as const) ?? c.fail("balloon memory must contain model name"),
  };
  const ad = c.attr("autodeflate");
  if (ad !== undefined) d.autodeflate = ad;
  const fpr = c.attr("freePageReporting");
  if (fpr !== undefined) d.freePageReporting = fpr;
  const stats = c.child("stats");
  if (stats) d.statsPeriod = stats.intAttr("period", "statistics collection period");
  const drv = c.child("driver");
  if (drv) d.driver = { ...drv.el.attrs };
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

export function parseAudio(c: Ctx): AudioDev {
  const id = c.intAttr("id", "audio id");
  if (id === undefined || id < 1) c.fail("missing or invalid audio id");
  const type = c.req("type");
  const attrs: Record<string, string> = {};
  for (const [k, val] of Object.entries(c.el.attrs)) if (k !== "id" && k !== "type") attrs[k] = val;
  return { kind: "audio", id: id!, type, attrs, children: c.each().map((k) => k.el) };
}

export function parseWatchdog(c: Ctx): WatchdogDev {
  const d: WatchdogDev = { kind: "watchdog", model: c.req("model") };
  const action = c.enumAttr("action", ["reset", "shutdown", "poweroff", "pause", "dump", "none", "inject-nmi"] as const);
  if (action) d.action = action;
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

export function parseSound(c: Ctx): SoundDev {
  const d: SoundDev = { kind: "sound", model: c.req("model"), codecs: c.all("codec").map((k) => k.req("type")) };
  const audio = c.child("audio");
  if (audio) d.audioId = audio.intAttr("id", "audio id");
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}

export function parseVideo(c: Ctx): VideoDev {
  const d: VideoDev = { kind: "video" };
  const m = c.child("model");
  if (m) {
    d.model = m.pick(K.VIDEO_MODEL);
    const rest = m.unused();
    for (const k of rest) m.use(k);
    const kept = rest.filter((k) => k.known).map((k) => k.el);
    if (kept.length) d.modelExtra = kept;
  }
  const drv = c.child("driver");
  if (drv) d.driver = { ...drv.el.attrs };
  parseInfo(c, d);
  keepExtra(c, d);
  return d;
}
