// tap devices, managed and unmanaged, inside a private netns (see netns-harness).
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { fdGrowth, fdKinds } from "../ffi/fdleak.ts";
import { ErrorCode } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_VNET_HDR, tunGetIff } from "../../src/ffi/tun.ts";
import { createBridge, deleteBridge, openTap, rtnl } from "../../src/plugins/netdev/index.ts";
import { privateNetns, virErr } from "./netns-harness.ts";

const sh = (cmd: string) => {
  const p = Bun.spawnSync(["sh", "-c", cmd], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`${cmd}: ${p.stderr}`);
};
if (privateNetns(import.meta.path)) {
  const r = rtnl();
  afterAll(() => expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]));

  describe("managed", () => {
    test("kernel-chosen vnetN: host MAC 0xFE…, up, removed at teardown", () => {
      const t = openTap({ mac: "52:54:00:12:34:56" });
      try {
        expect(t.name).toMatch(/^vnet\d+$/);
        expect(t.managed).toBe(true);
        expect(t.fds).toEqual([t.fd]);
        const l = r.requireLink(t.name);
        expect(l.index).toBe(t.ifindex);
        expect(l.mac).toBe("fe:54:00:12:34:56");
        expect(l.up).toBe(true);
        expect(l.kind).toBe("tun");
        expect(l.tun).toEqual({ type: "tap", vnetHdr: false, multiQueue: false, persist: false });
        expect(tunGetIff(t.fd)).toEqual({ name: t.name, flags: IFF_TAP | IFF_NO_PI });
        expect(L.fcntl(t.fd, L.F_GETFD) & L.FD_CLOEXEC).toBe(L.FD_CLOEXEC);
      } finally {
        t.teardown();
      }
      expect(r.getLink(t.name)).toBeNull();
      t.teardown(); // idempotent
    });

    test("named, vnet_hdr, on a bridge: bridge MTU inherited", () => {
      createBridge("tbr0", { mtu: 1450 });
      try {
        const t = openTap({ name: "tap-a", mac: "52:54:00:00:00:0a", vnetHdr: true, bridge: "tbr0" });
        try {
          const l = r.requireLink("tap-a");
          expect(l.master).toBe(r.requireLink("tbr0").index);
          expect(l.mtu).toBe(1450);
          expect(l.tun!.vnetHdr).toBe(true);
          expect(tunGetIff(t.fd).flags).toBe(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR);
        } finally {
          t.teardown();
        }
        const t2 = openTap({ name: "tap-b", mac: "52:54:00:00:00:0b", bridge: "tbr0", mtu: 1300 });
        expect(r.requireLink("tap-b").mtu).toBe(1300);
        t2.teardown();
        expect(virErr(() => openTap({ mac: "52:54:00:00:00:0b", bridge: "nobr" })).message).toBe("bridge 'nobr' does not exist");
      } finally {
        deleteBridge("tbr0");
      }
    });

    test("multi-queue: one fd per queue", () => {
      const t = openTap({ name: "tap-mq", mac: "52:54:00:00:00:0c", queues: 3, vnetHdr: true });
      try {
        expect(t.fds.length).toBe(3);
        expect(new Set(t.fds).size).toBe(3);
        for (const fd of t.fds) expect(tunGetIff(fd)).toEqual({ name: "tap-mq", flags: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE });
        expect(r.requireLink("tap-mq").tun!.multiQueue).toBe(true);
      } finally {
        t.teardown();
      }
      expect(virErr(() => openTap({ mac: "52:54:00:00:00:0c", queues: 0 })).code).toBe(ErrorCode.INVALID_ARG);
    });

    test("existing tap is reused (and removed at teardown); a non-tap name is refused", () => {
      sh("ip tuntap add name tap-pre mode tap");
      const t = openTap({ name: "tap-pre", mac: "52:54:00:00:00:0d" });
      expect(r.requireLink("tap-pre").mac).toBe("fe:54:00:00:00:0d");
      t.teardown();
      expect(r.getLink("tap-pre")).toBeNull();
      r.createVeth("tv0", "tv1");
      try {
        expect(virErr(() => openTap({ name: "tv0", mac: "52:54:00:00:00:0d" })).message)
          .toBe("cannot use 'tv0' as a tap: a veth device with that name exists");
        expect(r.requireLink("tv0").kind).toBe("veth");
      } finally {
        r.deleteLink("tv0");
      }
    });

    test("a bad guest MAC is INVALID_MAC", () => {
      expect(virErr(() => openTap({ mac: "52:54:00" })).code).toBe(ErrorCode.INVALID_MAC);
    });
  });

  describe("unmanaged", () => {
    test("missing device: clear error naming it", () => {
      const e = virErr(() => openTap({ managed: false, name: "vnet77", mac: "52:54:00:00:00:01" }));
      expect(e.message).toBe("unmanaged tap device 'vnet77' does not exist (target managed='no' requires an existing tap)");
      expect(virErr(() => openTap({ managed: false, mac: "52:54:00:00:00:01" })).message)
        .toBe("an unmanaged tap (managed='no') needs a target device name");
    });

    test("opened as is: MAC, flags, MTU and owner unchanged; never deleted; vnet name allowed", () => {
      sh("ip tuntap add name vnet7 mode tap user 65534 && ip link set vnet7 address 02:11:22:33:44:55 mtu 1300");
      try {
        const before = r.requireLink("vnet7");
        expect(before.tun!.owner).toBe(65534);
        const t = openTap({ managed: false, name: "vnet7", mac: "52:54:00:00:00:02" });
        expect(t.managed).toBe(false);
        expect(tunGetIff(t.fd).name).toBe("vnet7");
        const during = r.requireLink("vnet7");
        expect(during.mac).toBe("02:11:22:33:44:55");
        expect(during.mtu).toBe(1300);
        expect(during.up).toBe(false);
        expect(during.tun).toEqual(before.tun);
        expect(during.master).toBeUndefined();
        t.teardown();
        const after = r.requireLink("vnet7");
        expect(after).toEqual(before);
      } finally {
        sh("ip tuntap del name vnet7 mode tap");
      }
    });

    test("refused: not a tap, a bridge request, queue mismatch", () => {
      r.createVeth("uv0", "uv1");
      sh("ip tuntap add name utap mode tap");
      try {
        expect(virErr(() => openTap({ managed: false, name: "uv0", mac: "52:54:00:00:00:03" })).message)
          .toBe("unmanaged device 'uv0' is not a tap device (kind veth)");
        expect(virErr(() => openTap({ managed: false, name: "utap", mac: "52:54:00:00:00:03", bridge: "br" })).code)
          .toBe(ErrorCode.CONFIG_UNSUPPORTED);
        expect(virErr(() => openTap({ managed: false, name: "utap", mac: "52:54:00:00:00:03", queues: 2 })).message)
          .toBe("unmanaged tap 'utap' was not created multi-queue; cannot open 2 queues");
      } finally {
        r.deleteLink("uv0");
        sh("ip tuntap del name utap mode tap");
      }
    });

    test("multi-queue unmanaged tap: the device's queue mode is used", () => {
      sh("ip tuntap add name umq mode tap multi_queue");
      try {
        const t = openTap({ managed: false, name: "umq", mac: "52:54:00:00:00:04", queues: 2 });
        expect(t.fds.length).toBe(2);
        expect(tunGetIff(t.fd).flags & IFF_MULTI_QUEUE).toBe(IFF_MULTI_QUEUE);
        t.teardown();
        expect(r.getLink("umq")).not.toBeNull();
      } finally {
        sh("ip tuntap del name umq mode tap multi_queue");
      }
    });

    test.skipIf(!Bun.which("setpriv"))("an unprivileged process can open a tap it owns, not one it doesn't", () => {
      sh("ip tuntap add name vnet8 mode tap user 65534 && ip tuntap add name rootonly mode tap user 0");
      const dir = mkdtempSync("/tmp/bunvirt-unpriv-");
      try {
        chmodSync(dir, 0o755);
        const script = `${dir}/open.ts`;
        writeFileSync(script, `
          import { openTap } from ${JSON.stringify(`${import.meta.dir}/../../src/plugins/netdev/index.ts`)};
          const t = openTap({ managed: false, name: "vnet8", mac: "52:54:00:00:00:05" });
          console.log("opened", t.name, process.getuid());
          t.teardown();
          try { openTap({ managed: false, name: "rootonly", mac: "52:54:00:00:00:05" }); }
          catch (e) { console.log(e.message); }
        `);
        const p = Bun.spawnSync(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups", process.execPath, script], {
          env: { PATH: process.env.PATH!, HOME: dir, BUN_INSTALL_CACHE_DIR: dir }, stderr: "pipe", cwd: dir,
        });
        expect(p.stderr.toString()).toBe("");
        expect(p.stdout.toString().trim().split("\n")).toEqual([
          "opened vnet8 65534",
          'ioctl(fd 3, TUNSETIFF, "rootonly" IFF_TAP|IFF_NO_PI) failed: EPERM (Operation not permitted)'.replace("fd 3", p.stdout.toString().match(/fd (\d+)/)?.[0] ?? "fd ?"),
        ]);
        expect(r.getLink("vnet8")).not.toBeNull();
      } finally {
        rmSync(dir, { recursive: true });
        sh("ip tuntap del name vnet8 mode tap && ip tuntap del name rootonly mode tap");
      }
    });
  });

  test("200 managed create/teardown cycles leak no fd and no device", () => {
    const before = fdKinds();
    for (let i = 0; i < 200; i++) openTap({ mac: "52:54:00:00:01:00", vnetHdr: i % 2 === 0 }).teardown();
    expect(fdGrowth(before)).toEqual({});
    expect(fdKinds().has("/dev/net/tun")).toBe(false);
    expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]);
  });
}
