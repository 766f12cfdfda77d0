// <devices>: dispatch each child to its parser; unknown device kinds are kept raw.
import type { Ctx } from "./ctx.ts";
import type { Device } from "../model/devices.ts";
import { parseDisk } from "./disk.ts";
import { parseFilesystem } from "./filesystem.ts";
import { parseInterface } from "./interface.ts";
import { parseHostdev } from "./hostdev.ts";
import { parseChardev } from "./chardev.ts";
import { parseController, parseGraphics, parseInput, parseMemballoon, parseVideo, parseAudio, parseWatchdog, parseSound } from "./other-devices.ts";

const PARSERS: Record<string, (c: Ctx) => Device> = {
  emulator: (c) => ({ kind: "emulator", path: c.text() ?? c.fail("empty emulator path") }),
  disk: parseDisk,
  filesystem: parseFilesystem,
  interface: parseInterface,
  hostdev: parseHostdev,
  serial: (c) => parseChardev(c, "serial"),
  console: (c) => parseChardev(c, "console"),
  channel: (c) => parseChardev(c, "channel"),
  parallel: (c) => parseChardev(c, "parallel"),
  controller: parseController,
  input: parseInput,
  graphics: parseGraphics,
  memballoon: parseMemballoon,
  video: parseVideo,
  audio: parseAudio,
  watchdog: parseWatchdog,
  sound: parseSound,
};

export function parseDevices(c: Ctx | undefined): Device[] {
  if (!c) return [];
  const out: Device[] = [];
  for (const k of c.each()) {
    const p = PARSERS[k.name];
    if (p) out.push(p(k));
    else if (k.known) out.push({ kind: "raw", xml: k.el }); // libvirt ignores unknown devices
  }
  return out;
}
