// XML → QEMU command line, in libvirt's order (qemuBuildCommandLine). The tree must have been
// through applyDefaults; fds come from the caller (BuildOptions.fds).
import { json } from "./argv.ts";
import { unsupported, type BuildOptions, type Ctx } from "./context.ts";
import { isQ35 } from "../caps.ts";
import { readPci } from "../pci.ts";
import { usbPorts } from "../usb.ts";
import type { El } from "../xml.ts";
import { buildClock, buildCpu, buildMachine, buildPower, buildSecurity, buildSmp } from "./machine.ts";
import { buildDimms, buildMemory, buildNuma, numaCells } from "./memory.ts";
import { buildBoot, computeBootIndex, validateBootMenu } from "./boot.ts";
import { buildControllers } from "./controller.ts";
import { buildDisks, buildFloppyGlobals } from "./disk.ts";
import { buildNets } from "./net.ts";
import { buildChannels, buildConsoles, buildParallels, buildSerials } from "./chardev.ts";
import { buildAudio, buildBalloon, buildGraphics, buildHostdevs, buildInputs, buildSounds, buildVideo, buildWatchdog } from "./devices.ts";

export { formatArgs } from "./argv.ts";
export type { BuildOptions, FdSource } from "./context.ts";

export interface Command {
  env: [string, string][];
  argv: string[];
}

export function buildCommand(dom: El, opts: BuildOptions): Command {
  const name = dom.t("name")!;
  dom.t("uuid");
  const devs = dom.child("devices")!;
  const os = dom.child("os")!;
  const machine = os.child("type")!.a("machine")!;
  os.child("type")!.a("arch");
  const domainDir = `domain-${opts.id}-${name.slice(0, 20)}`;
  const q35 = isQ35(machine);
  const ports = usbPorts(devs);
  const audio = devs.kids.find((k) => k.name === "audio");
  const ctx: Ctx = {
    dom, devs, opts, argv: [], name, domainDir, machine, q35,
    bootIndex: new Map(),
    audioId: audio?.attrs.id,
    fdset: 0,
    pciProps(dev) {
      const p = readPci(dev);
      if (!p) return {};
      const mf = dev.kids.find((k) => k.name === "address")?.attrs.multifunction === "on";
      const bus = p.bus === 0 ? (q35 ? "pcie.0" : "pci.0") : `pci.${p.bus}`;
      const addr = `0x${p.slot.toString(16)}${p.fn ? `.0x${p.fn.toString(16)}` : ""}`;
      return { bus, ...(mf ? { multifunction: true } : {}), addr };
    },
    usbProps(dev) {
      const a = dev.kids.find((k) => k.name === "address");
      if (a) a.consume();
      return { bus: `usb.${a?.attrs.bus ?? 0}`, port: ports.get(dev) ?? "1" };
    },
  };
  validateBootMenu(os);
  computeBootIndex(ctx);
  const dir = `${opts.libDir}/${domainDir}`;
  const env = ([
    ["LC_ALL", "C"], ["PATH", opts.env.PATH], ["HOME", dir], ["USER", opts.env.USER], ["LOGNAME", opts.env.LOGNAME],
    ["XDG_DATA_HOME", `${dir}/.local/share`], ["XDG_CACHE_HOME", `${dir}/.cache`], ["XDG_CONFIG_HOME", `${dir}/.config`],
  ] as [string, string | undefined][]).filter((e): e is [string, string] => e[1] !== undefined);
  const emulator = devs.t("emulator") ?? opts.caps.emulator;
  const p = (...a: string[]) => ctx.argv.push(...a);
  p(emulator, "-name", `guest=${name},debug-threads=on`, "-S");
  p("-object", json({ "qom-type": "secret", id: "masterKey0", format: "raw", file: `${dir}/master-key.aes` }));
  const hasNuma = numaCells(ctx).length > 0;
  buildMachine(ctx, hasNuma);
  buildCpu(ctx);
  buildMemory(ctx);
  p("-overcommit", "mem-lock=off");
  buildSmp(ctx);
  const iothreads = Number(dom.t("iothreads") ?? 0);
  for (let i = 1; i <= iothreads; i++) p("-object", json({ "qom-type": "iothread", id: `iothread${i}` }));
  // Pinning and NUMA placement do not change the command line; launch.ts refuses them at start.
  dom.child("cputune")?.consume();
  dom.child("numatune")?.consume();
  // A container setting: libvirt's QEMU driver accepts it and ignores it.
  dom.child("idmap")?.consume();
  buildNuma(ctx);
  p("-uuid", dom.t("uuid")!);
  if (!devs.kids.some((k) => k.name === "graphics")) p("-display", "none");
  p("-no-user-config", "-nodefaults");
  const mon = opts.fds.monitor();
  p("-chardev", `socket,id=charmonitor,${mon === undefined ? `path=${dir}/monitor.sock` : `fd=${mon}`},server=on,wait=off`, "-mon", "chardev=charmonitor,id=monitor,mode=control");
  buildClock(ctx);
  buildPower(ctx);
  buildBoot(ctx);
  buildControllers(ctx);
  buildDimms(ctx);
  buildFloppyGlobals(ctx);
  buildDisks(ctx);
  buildNets(ctx);
  buildSerials(ctx);
  buildParallels(ctx);
  buildChannels(ctx);
  buildConsoles(ctx);
  buildInputs(ctx);
  buildAudio(ctx);
  buildGraphics(ctx);
  buildVideo(ctx);
  buildSounds(ctx);
  buildWatchdog(ctx);
  buildHostdevs(ctx);
  buildBalloon(ctx);
  buildSecurity(ctx);
  p("-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
  p("-msg", "timestamp=on");
  // Anything left unread is configuration we would otherwise silently drop.
  for (const k of ["name", "uuid", "title", "description", "memory", "currentMemory", "maxMemory", "vcpu", "on_poweroff", "on_reboot", "on_crash"]) dom.child(k);
  dom.a("type");
  const left = dom.firstUnused();
  if (left) throw unsupported(left);
  return { env, argv: ctx.argv };
}
