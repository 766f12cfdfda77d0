// Start one QEMU: build its command line from the domain tree, pass fds at fixed numbers,
// connect QMP, read the console pty, apply lifecycle actions, and run (cont) unless paused.
import { mkdirSync, openSync, readFileSync, writeFileSync, rmSync, closeSync } from "node:fs";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { errors, ErrorDomain } from "../../core/errors.ts";
import { AF_UNIX, SOCK_CLOEXEC, SOCK_STREAM, bindUnix, closeQuiet, listen, socket } from "../../ffi/libc.ts";
import { buildCommand } from "./command/index.ts";
import { HostFds, type NetRecord } from "./hostfds.ts";
import { Qmp } from "./qmp.ts";
import { adopt, alive, terminate } from "./process.ts";
import type { QemuCaps } from "./caps.ts";
import type { El } from "./xml.ts";

export interface QemuRuntime {
  pid: number;
  emulator: string;
  dir: string;
  monitor: string;
  ptys: Record<string, string>;
  nets: NetRecord[];
  /** Socket files bound for chardevs (removed at stop). */
  files?: string[];
}

export interface LaunchResult {
  runtime: QemuRuntime;
  qmp: Qmp;
}

export async function launch(dom: El, caps: QemuCaps, id: number, root: string, paused: boolean): Promise<LaunchResult> {
  const name = dom.kids.find((k) => k.name === "name")!.text!;
  // Thread pinning and NUMA memory placement are applied by the driver after exec, which this
  // driver does not do yet: refuse rather than run the guest unpinned.
  for (const k of ["cputune", "numatune"]) if (dom.kids.some((e) => e.name === k)) throw errors.configUnsupported(`/domain/${k}`, ErrorDomain.QEMU);
  // An SR-IOV VF needs its MAC/VLAN set through the PF first; not implemented.
  const devices = dom.kids.find((k) => k.name === "devices");
  if (devices?.kids.some((k) => k.name === "interface" && k.attrs.type === "hostdev")) {
    throw errors.configUnsupported("/domain/devices/interface[@type='hostdev'] (VF MAC/VLAN setup)", ErrorDomain.QEMU);
  }
  const libDir = join(root, "lib");
  const domainDir = `domain-${id}-${name.slice(0, 20)}`;
  const dir = join(libDir, domainDir);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, "master-key.aes"), randomBytes(32), { mode: 0o600 });
  const monitor = join(dir, "monitor.sock");
  const monFd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);
  const fds = new HostFds(monFd, name);
  let pid = 0;
  try {
    bindUnix(monFd, monitor);
    listen(monFd, 1);
    const cmd = buildCommand(dom, {
      caps, id, libDir, runDir: join(root, "run", "qemu"),
      env: { PATH: process.env.PATH, USER: process.env.USER, LOGNAME: process.env.LOGNAME },
      fds,
    });
    const log = openSync(join(dir, "qemu.log"), "a", 0o600);
    const proc = Bun.spawn({
      cmd: cmd.argv,
      env: Object.fromEntries(cmd.env),
      cwd: "/",
      stdio: ["ignore", log, log, ...fds.passed],
      detached: true, // the guest outlives the CLI process that started it
    } as Parameters<typeof Bun.spawn>[0]);
    proc.unref();
    adopt(proc);
    pid = proc.pid;
    closeSync(log);
    fds.closeAll();
    closeQuiet(monFd);
    let qmp: Qmp;
    try {
      qmp = await Qmp.connect(monitor, 10000);
    } catch {
      await Bun.sleep(20);
      // The last lines of QEMU's log, without the timestamps -msg timestamp=on puts in front.
      const lines = readFileSync(join(dir, "qemu.log"), "utf8").trim().split("\n").slice(-3);
      const msg = lines.map((l) => l.replace(/^\d{4}-\d\d-\d\dT[\d:.]+Z /, "")).join(" ");
      throw errors.operationFailed(`QEMU exited while starting: ${msg || `exit status ${proc.exitCode}`}`, ErrorDomain.QEMU);
    }
    const ptys: Record<string, string> = {};
    for (const c of (await qmp.cmd("query-chardev")) as { label: string; filename: string }[]) {
      if (c.filename.startsWith("pty:")) ptys[c.label.replace(/^char/, "")] = c.filename.slice(4);
    }
    // on_reboot=destroy: make a guest reboot a shutdown we see as an event (libvirt does the same).
    if (dom.kids.find((k) => k.name === "on_reboot")?.text === "destroy") await qmp.cmd("set-action", { reboot: "shutdown" });
    for (const [i, n] of dom.kids.find((k) => k.name === "devices")!.kids.filter((k) => k.name === "interface").entries()) {
      if (n.kids.find((k) => k.name === "link")?.attrs.state === "down") await qmp.cmd("set_link", { name: `net${i}`, up: false });
    }
    if (!paused) await qmp.cmd("cont");
    return { runtime: { pid, emulator: cmd.argv[0]!, dir, monitor, ptys, nets: fds.nets, files: fds.files }, qmp };
  } catch (e) {
    closeQuiet(monFd);
    if (pid) await terminate(pid, 500); // also reaps one that already exited
    fds.teardown();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
