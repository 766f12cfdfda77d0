// QEMU guests' network interfaces inside a private network namespace this test makes (the
// netdev harness re-runs this file under `unshare -n -m` and checks the host's links are
// unchanged). Each case starts a real QEMU, checks the device through netlink/sysfs and the fds
// QEMU holds (/proc/PID/fdinfo names a tap's interface), destroys, and checks what remains.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { privateNetns } from "../netdev/netns-harness.ts";
import { fdGrowth, fdKinds } from "../ffi/fdleak.ts";
import { qemuPlugin } from "../../src/plugins/qemu/index.ts";
import { parseUri } from "../../src/core/uri.ts";
import { rtnl } from "../../src/plugins/netdev/index.ts";
import type { Connection } from "../../src/core/driver.ts";
import { procFds, qemuPids } from "./qemu-procs.ts";

const sh = (cmd: string) => {
  const p = Bun.spawnSync(["sh", "-c", cmd], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd}: ${p.stderr}`);
};
const sys = (dev: string, attr: string) => readFileSync(`/sys/class/net/${dev}/${attr}`, "utf8").trim();
const noQemu = !existsSync("/usr/bin/qemu-system-x86_64");
const TAG = `bvnet${process.pid}`;

function xml(name: string, nics: string): string {
  return `<domain type='qemu'><name>${TAG}-${name}</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices><memballoon model='none'/>${nics}</devices></domain>`;
}

if (privateNetns(import.meta.path) && !noQemu) {
  const r = rtnl();
  const root = mkdtempSync(join(tmpdir(), "bunvirt-qemu-net-"));
  let conn: Connection;
  let fdsBefore: Map<string, number>;
  beforeAll(async () => {
    conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
    // Warm up Bun's lazily opened fds, then take the baseline.
    await conn.destroy(await conn.createXML(xml("warm", ""), 1));
    sh("true"); // spawnSync keeps its own event loop (an eventfd and an epoll) once used
    fdsBefore = fdKinds();
  });
  afterAll(async () => {
    await conn.close();
    rmSync(root, { recursive: true, force: true });
    expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]);
    expect(qemuPids(TAG)).toEqual([]);
  });

  /** Start paused (no guest code runs), hand the QEMU pid to `check`, destroy. */
  async function withGuest(name: string, nics: string, check: (pid: number) => void | Promise<void>) {
    const dom = await conn.createXML(xml(name, nics), 1);
    try {
      const [pid] = qemuPids(`guest=${TAG}-${name},`);
      expect(pid).toBeGreaterThan(0);
      await check(pid!);
    } finally {
      await conn.destroy(dom);
    }
    expect(qemuPids(`guest=${TAG}-${name},`)).toEqual([]);
  }

  describe("ethernet", () => {
    test("managed, named: tap with 0xFE MAC, up, fd in QEMU, removed at destroy", async () => {
      await withGuest("eth1", `<interface type='ethernet'><mac address='52:54:00:aa:00:01'/><target dev='bvt-eth1'/><model type='virtio'/></interface>`, (pid) => {
        const l = r.requireLink("bvt-eth1");
        expect(l.kind).toBe("tun");
        expect(l.mac).toBe("fe:54:00:aa:00:01");
        expect(l.up).toBe(true);
        expect(l.tun).toEqual({ type: "tap", vnetHdr: true, multiQueue: false, persist: false });
        expect(procFds(pid)).toContain("tun:bvt-eth1");
        // vhost-net when the host has it (absent on some CI kernels).
        expect(procFds(pid).includes("/dev/vhost-net")).toBe(existsSync("/dev/vhost-net"));
      });
      expect(r.getLink("bvt-eth1")).toBeNull();
    });

    test("managed, no target: kernel-chosen vnetN shown in the live XML", async () => {
      const dom = await conn.createXML(xml("eth2", `<interface type='ethernet'><mac address='52:54:00:aa:00:02'/><model type='e1000'/></interface>`), 1);
      let name = "";
      try {
        name = /<target dev='(vnet\d+)'\/>/.exec(await conn.getXMLDesc(dom))?.[1] ?? "";
        expect(name).toMatch(/^vnet\d+$/);
        const l = r.requireLink(name);
        expect([l.mac, l.up, l.tun!.vnetHdr]).toEqual(["fe:54:00:aa:00:02", true, false]);
        expect(procFds(qemuPids(`guest=${TAG}-eth2,`)[0]!)).toContain(`tun:${name}`);
      } finally {
        await conn.destroy(dom);
      }
      expect(r.getLink(name)).toBeNull();
    });

    test("managed with host-side IPs, a route and a script: all on the tap before QEMU runs", async () => {
      const script = join(root, "ifup.sh");
      writeFileSync(script, `#!/bin/sh\necho "$@" > ${root}/ifup.out\n`, { mode: 0o755 });
      const nic = `<interface type='ethernet'><mac address='52:54:00:aa:00:0a'/>
        <source><ip address='10.77.0.1' prefix='24'/><ip address='fd00:77::1' family='ipv6' prefix='64'/>
        <route family='ipv4' address='10.78.0.0' prefix='16' gateway='10.77.0.2'/></source>
        <target dev='bvt-hip'/><script path='${script}'/><model type='virtio'/></interface>`;
      await withGuest("eth5", nic, () => {
        const idx = r.requireLink("bvt-hip").index;
        expect(r.listAddresses("bvt-hip").filter((a) => !a.address.startsWith("fe80")).map((a) => `${a.address}/${a.prefix}`).sort()).toEqual(["10.77.0.1/24", "fd00:77::1/64"]);
        const route = r.listRoutes().find((x) => x.dst === "10.78.0.0/16");
        expect([route?.gateway, route?.oif]).toEqual(["10.77.0.2", idx]);
        expect(readFileSync(join(root, "ifup.out"), "utf8")).toBe("bvt-hip\n");
      });
      expect(r.getLink("bvt-hip")).toBeNull();
    });

    test("a failing script stops the start and removes the tap", async () => {
      const script = join(root, "fail.sh");
      writeFileSync(script, "#!/bin/sh\necho no network for $1 >&2\nexit 3\n", { mode: 0o755 });
      await expect(conn.createXML(xml("eth6", `<interface type='ethernet'><mac address='52:54:00:aa:00:0b'/><target dev='bvt-fail'/><script path='${script}'/></interface>`))).rejects.toThrow(
        `domain '${TAG}-eth6' interface 0 (type 'ethernet'): operation failed: script '${script}' for interface 'bvt-fail' failed (exit status 3): no network for bvt-fail`,
      );
      expect(r.getLink("bvt-fail")).toBeNull();
      expect(qemuPids(`guest=${TAG}-eth6,`)).toEqual([]);
    });

    test("managed='no': existing tap used as is and kept", async () => {
      try {
        sh("ip tuntap add dev bvt-own mode tap user 4242 group 4343 && ip link set bvt-own address 02:11:22:33:44:55 mtu 1400");
        const snap = () => ["address", "mtu", "flags", "owner", "group", "tun_flags"].map((a) => sys("bvt-own", a));
        const before = snap();
        // IFF_TAP|IFF_NO_PI|IFF_PERSIST, down, owned by 4242:4343.
        expect(before).toEqual(["02:11:22:33:44:55", "1400", "0x1002", "4242", "4343", "0x1802"]);
        await withGuest("eth3", `<interface type='ethernet'><mac address='52:54:00:aa:00:03'/><target dev='bvt-own' managed='no'/><model type='rtl8139'/></interface>`, (pid) => {
          expect(procFds(pid)).toContain("tun:bvt-own");
          // QEMU holding the queue makes the carrier come up; everything we could change is as it was.
          expect(snap().filter((_, i) => i !== 2)).toEqual(before.filter((_, i) => i !== 2));
          expect(Number(sys("bvt-own", "flags")) & 1).toBe(0); // not brought up by us
        });
        expect(snap()).toEqual(before);
      } finally {
        sh("ip link del bvt-own");
      }
    });

    test("managed='no' on a missing device: clear error naming device and domain", async () => {
      await expect(conn.createXML(xml("eth4", `<interface type='ethernet'><mac address='52:54:00:aa:00:04'/><target dev='bvt-none' managed='no'/></interface>`))).rejects.toThrow(
        `domain '${TAG}-eth4' interface 0 (type 'ethernet'): unmanaged tap device 'bvt-none' does not exist (target managed='no' requires an existing tap)`,
      );
      expect(qemuPids(`guest=${TAG}-eth4,`)).toEqual([]);
      expect((await conn.listAllDomains()).length).toBe(0);
    });
  });

  describe("macvtap", () => {
    // A veth end as the macvtap parent (the dummy module may be missing on CI kernels).
    beforeAll(() => sh("ip link add bvt-dum type veth peer name bvt-dump && ip link set bvt-dum up && ip link set bvt-dump up"));
    afterAll(() => sh("ip link del bvt-dum"));

    test("unmanaged macvtap with the guest's MAC: opened through /dev/tapN, kept", async () => {
      sh("ip link add link bvt-dum name bvt-mvt type macvtap mode bridge && ip link set bvt-mvt address 52:54:00:aa:00:05 up");
      try {
        const idx = r.requireLink("bvt-mvt").index;
        await withGuest("mvt1", `<interface type='ethernet'><mac address='52:54:00:aa:00:05'/><target dev='bvt-mvt' managed='no'/><model type='virtio'/></interface>`, (pid) => {
          expect(procFds(pid)).toContain(`/dev/tap${idx}`);
        });
        expect(r.requireLink("bvt-mvt").mac).toBe("52:54:00:aa:00:05");
      } finally {
        sh("ip link del bvt-mvt");
      }
    });

    test("unmanaged macvtap with another MAC is refused", async () => {
      sh("ip link add link bvt-dum name bvt-mvt2 type macvtap mode bridge && ip link set bvt-mvt2 address 52:54:00:aa:00:99");
      try {
        await expect(conn.createXML(xml("mvt2", `<interface type='ethernet'><mac address='52:54:00:aa:00:06'/><target dev='bvt-mvt2' managed='no'/></interface>`))).rejects.toThrow(
          `domain '${TAG}-mvt2' interface 0 (type 'ethernet'): unmanaged macvtap 'bvt-mvt2' has MAC 52:54:00:aa:00:99, which differs from the guest interface MAC 52:54:00:aa:00:06`,
        );
        expect(qemuPids(`guest=${TAG}-mvt2,`)).toEqual([]);
      } finally {
        sh("ip link del bvt-mvt2");
      }
    });

    test("direct: macvtap made on the source device with the guest MAC, removed at destroy", async () => {
      let name = "";
      await withGuest("dir1", `<interface type='direct'><mac address='52:54:00:aa:00:07'/><source dev='bvt-dum' mode='bridge'/><model type='virtio'/></interface>`, (pid) => {
        const l = r.listLinks().find((x) => x.kind === "macvtap")!;
        name = l.name;
        expect(name).toMatch(/^macvtap\d+$/);
        expect([l.mac, l.up, l.link]).toEqual(["52:54:00:aa:00:07", true, r.requireLink("bvt-dum").index]);
        expect(sys(name, "address")).toBe("52:54:00:aa:00:07");
        expect(procFds(pid)).toContain(`/dev/tap${l.index}`);
      });
      expect(r.getLink(name)).toBeNull();
    });
  });

  test("bridge: tap enslaved to a bridge made here, removed at destroy", async () => {
    sh("ip link add bvt-br type bridge && ip link set bvt-br mtu 1450 up");
    try {
      await withGuest("br1", `<interface type='bridge'><mac address='52:54:00:aa:00:08'/><source bridge='bvt-br'/><target dev='bvt-brp'/><model type='virtio'/></interface>`, (pid) => {
        const l = r.requireLink("bvt-brp");
        expect([l.kind, l.mac, l.up, l.master, l.mtu]).toEqual(["tun", "fe:54:00:aa:00:08", true, r.requireLink("bvt-br").index, 1450]);
        expect(procFds(pid)).toContain("tun:bvt-brp");
      });
      expect(r.getLink("bvt-brp")).toBeNull();
      // An explicit <mtu> wins over the bridge's, and QEMU's NIC is told (host_mtu).
      await withGuest("br2", `<interface type='bridge'><mac address='52:54:00:aa:00:0c'/><source bridge='bvt-br'/><target dev='bvt-brq'/><model type='virtio'/><mtu size='1400'/></interface>`, (pid) => {
        expect(r.requireLink("bvt-brq").mtu).toBe(1400);
        expect(readFileSync(`/proc/${pid}/cmdline`, "utf8")).toContain('"host_mtu":1400');
      });
    } finally {
      sh("ip link del bvt-br");
    }
  });

  test("user networking: QEMU's slirp, no host device", async () => {
    const links = r.listLinks().map((l) => l.name);
    await withGuest("usr1", `<interface type='user'><mac address='52:54:00:aa:00:09'/><model type='virtio'/></interface>`, (pid) => {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      expect(cmd).toContain('{"type":"user","id":"hostnet0"}');
      expect(r.listLinks().map((l) => l.name)).toEqual(links);
    });
  });

  test("no fd leaked by the driver", () => expect(fdGrowth(fdsBefore)).toEqual({}));
}
