// domxml-to-native qemu-argv, as libvirt's qemuConnectDomainXMLToNative: the definition goes
// through the same parse and defaults as `start`, nothing on the host is opened, and the result
// is one line (virCommandToString) with libvirt's env pass-through.
import { formatDomainXml, parseDomainXml } from "../../core/conf/index.ts";
import { applyDefaults } from "./defaults.ts";
import { buildCommand, formatArgs } from "./command/index.ts";
import { El, parseXml } from "./xml.ts";
import type { QemuCaps } from "./caps.ts";

/** libvirt cannot create taps/macvtaps/bridges for a command it only prints, so every interface
 * becomes a bare 'ethernet' one keeping only its MAC, model and script (libvirt 9.0 drops the
 * boot order too). */
function interfacesToEthernet(devs: El | undefined): void {
  if (!devs) return;
  for (const [i, n] of devs.kids.entries()) {
    if (n.name !== "interface" || n.attrs.type === "hostdev" || n.attrs.type === "vhostuser") continue;
    const keep = n.kids.filter((k) => ["mac", "model", "script"].includes(k.name));
    const e = new El("interface", { type: "ethernet" }, keep);
    e.parent = devs;
    devs.kids[i] = e;
  }
}

export function xmlToNative(xml: string, caps: QemuCaps, libDir: string, runDir: string, env: Record<string, string | undefined> = process.env): string {
  // The same path as start: conf parse (fills uuid, units, …) then the QEMU driver's defaults.
  const dom = parseXml(formatDomainXml(parseDomainXml(xml), { inactive: true }));
  interfacesToEthernet(dom.kids.find((k) => k.name === "devices"));
  applyDefaults(dom, { caps });
  // Placeholder fds counted from 3, as if passed to the child in order; the monitor is named by path.
  let next = 3;
  const cmd = buildCommand(dom, {
    caps, id: -1, libDir, runDir,
    env: { PATH: env.PATH, USER: env.USER, LOGNAME: env.LOGNAME },
    fds: {
      monitor: () => undefined,
      tap: (_n, _i, q) => Array.from({ length: q }, () => next++),
      vhost: () => undefined, // vhost-net is only opened for a real start
      listenSocket: () => next++,
      outputFile: () => undefined,
    },
  });
  return formatArgs(cmd.env, cmd.argv, true);
}
