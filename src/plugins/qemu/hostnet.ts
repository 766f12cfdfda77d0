// Host side of a managed <interface type='ethernet'>, as libvirt does it once the tap exists:
// the <source> IP addresses and routes go on the tap, then the <script> runs with the tap's name.
import { errors, ErrorDomain } from "../../core/errors.ts";
import { rtnl } from "../netdev/index.ts";
import type { El } from "./xml.ts";

/** An address's prefix when the XML gives none: the IPv4 class default, 64 for IPv6. */
function defaultPrefix(addr: string): number {
  if (addr.includes(":")) return 64;
  const first = Number(addr.split(".")[0]);
  return first < 128 ? 8 : first < 192 ? 16 : 24;
}

export function configureEthernet(net: El, dev: string): void {
  const src = net.kids.find((k) => k.name === "source");
  const r = rtnl();
  for (const ip of src?.kids.filter((k) => k.name === "ip") ?? []) {
    // Point-to-point peers need IFA_ADDRESS ≠ IFA_LOCAL, which netdev does not offer: refuse, don't drop.
    if (ip.attrs.peer) throw errors.configUnsupported(`${ip.path()}/@peer`, ErrorDomain.QEMU);
    const a = ip.attrs.address!;
    r.addAddress(dev, `${a}/${ip.attrs.prefix ?? defaultPrefix(a)}`);
  }
  for (const rt of src?.kids.filter((k) => k.name === "route") ?? []) {
    const a = rt.attrs.address!;
    r.addRoute({ dst: `${a}/${rt.attrs.prefix ?? defaultPrefix(a)}`, gateway: rt.attrs.gateway, dev, metric: rt.attrs.metric ? Number(rt.attrs.metric) : undefined });
  }
  const script = net.kids.find((k) => k.name === "script")?.attrs.path;
  if (script) {
    const p = Bun.spawnSync([script, dev], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    if (p.exitCode !== 0) {
      const why = (p.stderr.toString() || p.stdout.toString()).trim();
      throw errors.operationFailed(`script '${script}' for interface '${dev}' failed (exit status ${p.exitCode})${why ? `: ${why}` : ""}`, ErrorDomain.QEMU);
    }
  }
}
