// The peer for side-by-side tests: libvirt's own libvirtd, started the way DESIGN.md describes
// when none is running (hybrid cgroups here: libvirt 9.0 needs the empty v2 mount hidden, so it
// runs in a private mount namespace). Started in the foreground as our child so we stop and reap
// it by pid; a libvirtd someone else runs is used as is and left alone.
import { existsSync, mkdirSync } from "node:fs";
import { unixListening } from "../../src/ffi/unixsock.ts";

export const LIBVIRTD_SOCK = "/var/run/libvirt/libvirt-sock";
export const hasLibvirtd = Bun.which("libvirtd") !== null || existsSync("/usr/sbin/libvirtd");

export interface Peer {
  socket: string;
  stop(): Promise<void>;
}

export async function startPeer(): Promise<Peer> {
  if (unixListening(LIBVIRTD_SOCK)) return { socket: LIBVIRTD_SOCK, stop: async () => {} };
  for (const d of ["/var/log/libvirt", "/var/run/libvirt", "/var/lib/libvirt/qemu"]) mkdirSync(d, { recursive: true });
  // the QEMU driver module, when installed, refuses to load without its user and group
  if (Bun.spawnSync(["id", "libvirt-qemu"]).exitCode !== 0) {
    Bun.spawnSync(["groupadd", "-f", "-r", "kvm"]);
    Bun.spawnSync(["groupadd", "-f", "-r", "libvirt-qemu"]);
    Bun.spawnSync(["useradd", "-r", "-g", "libvirt-qemu", "-G", "kvm", "-d", "/var/lib/libvirt", "-s", "/usr/sbin/nologin", "libvirt-qemu"]);
  }
  const p = Bun.spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", "umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/sbin/libvirtd"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  for (let i = 0; i < 400 && !unixListening(LIBVIRTD_SOCK); i++) {
    if (p.exitCode !== null) break;
    await Bun.sleep(25);
  }
  if (!unixListening(LIBVIRTD_SOCK)) {
    p.kill("SIGKILL");
    await p.exited;
    throw new Error(`libvirtd did not start: ${await new Response(p.stderr).text()}`);
  }
  return {
    socket: LIBVIRTD_SOCK,
    async stop() {
      p.kill("SIGTERM");
      const t = setTimeout(() => p.kill("SIGKILL"), 5000);
      await p.exited;
      clearTimeout(t);
    },
  };
}
