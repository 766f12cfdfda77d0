// What every part of the command-line builder shares.
import { errors } from "../../../core/errors.ts";
import type { QemuCaps } from "../caps.ts";
import type { El } from "../xml.ts";

/** Where the host resources behind the command line come from. The real driver opens taps,
 * sockets and files and hands their numbers here; tests pass libvirt's fake numbers. */
export interface FdSource {
  /** The monitor socket's fd, or undefined to name its path (domxml-to-native, as libvirt prints it). */
  monitor(): number | undefined;
  /** Tap fds for an interface (one per queue); `kind` is how the tap was obtained. */
  tap(net: El, index: number, queues: number, kind: "ethernet" | "bridge"): number[];
  /** vhost-net fds, or undefined when vhost is unavailable. */
  vhost(net: El, index: number, queues: number): number[] | undefined;
  /** A listening UNIX socket for a chardev in server mode. */
  listenSocket(alias: string, path: string): number;
  /** An fd for a chardev output file, passed with -add-fd; undefined to name the path. */
  outputFile(alias: string, path: string, append: boolean): number | undefined;
}

export interface BuildOptions {
  caps: QemuCaps;
  /** Domain id (-1 when not running). */
  id: number;
  libDir: string;
  runDir: string;
  /** Passed through when set, as libvirt passes its own PATH/USER/LOGNAME. */
  env: { PATH?: string; USER?: string; LOGNAME?: string };
  fds: FdSource;
  /** Whether a host block device is a CD-ROM drive (default: asks the host). */
  isCdrom?: (path: string) => boolean;
  /** Directory for hugepage-backed memory. */
  hugepagesDir?: string;
}

export interface Ctx {
  dom: El;
  devs: El;
  opts: BuildOptions;
  argv: string[];
  name: string;
  /** domain-<id>-<shortname> */
  domainDir: string;
  machine: string;
  q35: boolean;
  bootIndex: Map<El, number>;
  /** 1-based index of the audiodev that devices refer to. */
  audioId: string | undefined;
  /** ACPI off on a machine without the 'acpi' property: -no-acpi after -no-shutdown. */
  noAcpi?: boolean;
  /** Next -add-fd set number. */
  fdset: number;
  /** {bus, addr} of a device's PCI address (consumed). */
  pciProps(dev: El): Record<string, unknown>;
  /** {bus, port} of a device's USB address. */
  usbProps(dev: El): Record<string, unknown>;
}

export const push = (ctx: Ctx, ...a: string[]) => ctx.argv.push(...a);

export const unsupported = (what: string) => errors.configUnsupported(what);

export function onOff(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  return v === "on" || v === "yes";
}
