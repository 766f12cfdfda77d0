// macvtap/macvlan on a source device, inside a private netns (see netns-harness).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync, unlinkSync } from "node:fs";
import { ErrorCode } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { IFF_MULTI_QUEUE, IFF_NO_PI, IFF_TAP, IFF_VNET_HDR, tunGetIff } from "../../src/ffi/tun.ts";
import { createMacvlan, createMacvtap, rtnl } from "../../src/plugins/netdev/index.ts";
import { privateNetns, virErr } from "./netns-harness.ts";
import { fdGrowth, fdKinds } from "../ffi/fdleak.ts";

const sysDev = (name: string, idx: number) => {
  const [maj, min] = readFileSync(`/sys/class/net/${name}/macvtap/tap${idx}/dev`, "utf8").trim().split(":").map(Number);
  return L.makedev(maj!, min!);
};
const bunvirtNodes = () => readdirSync("/dev").filter((n) => n.startsWith(".bunvirt-"));

if (privateNetns(import.meta.path)) {
  const r = rtnl();
  beforeAll(() => r.createVeth("src0", "src1"));
  afterAll(() => {
    r.deleteLink("src0");
    expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]);
    expect(bunvirtNodes()).toEqual([]);
  });

  describe("managed", () => {
    for (const mode of ["bridge", "vepa", "private"] as const) {
      test(`mode ${mode}: guest MAC, up, /dev/tapN opened, removed at teardown`, () => {
        const m = createMacvtap({ source: "src0", mode, mac: "52:54:00:AB:00:01" });
        let idx = 0;
        try {
          expect(m.name).toMatch(/^macvtap\d+$/);
          const l = r.requireLink(m.name);
          idx = l.index;
          expect(m.ifindex).toBe(l.index);
          expect(l.kind).toBe("macvtap");
          expect(l.macvlanMode).toBe(mode);
          expect(l.mac).toBe("52:54:00:ab:00:01");
          expect(l.up).toBe(true);
          expect(l.link).toBe(r.requireLink("src0").index);
          expect(tunGetIff(m.fd)).toEqual({ name: m.name, flags: IFF_TAP | IFF_NO_PI });
          expect(BigInt(statSync(`/proc/self/fd/${m.fd}`).rdev)).toBe(sysDev(m.name, l.index));
        } finally {
          m.teardown();
        }
        expect(r.getLink(m.name)).toBeNull();
        expect(existsSync(`/dev/tap${idx}`)).toBe(false);
      });
    }

    test("default mode is vepa; vnet_hdr kept when asked; multi-queue", () => {
      const m = createMacvtap({ name: "mvq", source: "src0", mac: "52:54:00:ab:00:02", vnetHdr: true, queues: 2 });
      try {
        expect(r.requireLink("mvq").macvlanMode).toBe("vepa");
        expect(m.fds.length).toBe(2);
        for (const fd of m.fds) expect(tunGetIff(fd)).toEqual({ name: "mvq", flags: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | IFF_MULTI_QUEUE });
      } finally {
        m.teardown();
      }
    });

    test("passthrough: the parent takes the guest MAC, and gets its own back at teardown", () => {
      const parentMac = r.requireLink("src1").mac;
      const m = createMacvtap({ source: "src1", mode: "passthrough", mac: "52:54:00:ab:00:03" });
      try {
        expect(r.requireLink(m.name).macvlanMode).toBe("passthrough");
        expect(r.requireLink(m.name).mac).toBe("52:54:00:ab:00:03");
        expect(r.requireLink("src1").mac).toBe("52:54:00:ab:00:03");
      } finally {
        m.teardown();
      }
      expect(r.requireLink("src1").mac).toBe(parentMac);
    });

    test("errors: missing source, unsupported mode, name taken", () => {
      expect(virErr(() => createMacvtap({ source: "nosrc", mac: "52:54:00:ab:00:04" })).message)
        .toBe("macvtap source device 'nosrc' does not exist");
      expect(virErr(() => createMacvtap({ mac: "52:54:00:ab:00:04" })).code).toBe(ErrorCode.INVALID_ARG);
      expect(virErr(() => createMacvtap({ source: "src0", mode: "source", mac: "52:54:00:ab:00:04" })).message)
        .toBe("unsupported macvtap mode 'source' (bridge, vepa, private, passthrough)");
      let e: any;
      try { createMacvtap({ name: "src1", source: "src0", mac: "52:54:00:ab:00:04" }); } catch (x) { e = x; }
      expect(e.message).toBe("netlink RTM_NEWLINK src1: EEXIST (File exists)");
    });
  });

  describe("unmanaged", () => {
    let idx = 0;
    beforeAll(() => {
      r.createMacvlan("macvtap", "umvt", "src0", "bridge", { mac: "52:54:00:cd:00:01" });
      idx = r.requireLink("umvt").index;
    });
    afterAll(() => r.deleteLink("umvt"));

    test("a MAC different from the guest's is refused", () => {
      const e = virErr(() => createMacvtap({ managed: false, name: "umvt", mac: "52:54:00:cd:00:99" }));
      expect(e.message).toBe("unmanaged macvtap 'umvt' has MAC 52:54:00:cd:00:01, which differs from the guest interface MAC 52:54:00:cd:00:99");
      expect(e.code).toBe(ErrorCode.CONFIG_UNSUPPORTED);
    });

    test("matching MAC: opened without changes, never deleted", () => {
      const before = r.requireLink("umvt");
      const m = createMacvtap({ managed: false, name: "umvt", mac: "52:54:00:CD:00:01" });
      expect(m.managed).toBe(false);
      expect(tunGetIff(m.fd).name).toBe("umvt");
      m.teardown();
      expect(r.requireLink("umvt")).toEqual(before);
    });

    test("missing or wrong kind", () => {
      expect(virErr(() => createMacvtap({ managed: false, name: "nomvt", mac: "52:54:00:cd:00:01" })).message)
        .toBe("unmanaged macvtap device 'nomvt' does not exist (target managed='no' requires an existing macvtap)");
      expect(virErr(() => createMacvtap({ managed: false, name: "src0", mac: "52:54:00:cd:00:01" })).message)
        .toBe("unmanaged device 'src0' is not a macvtap device (kind veth)");
    });

    test("/dev/tapN missing: the node is made from sysfs and removed at teardown", () => {
      const node = `/dev/tap${idx}`;
      // Only ever remove the node that is provably this netns's macvtap.
      expect(BigInt(statSync(node).rdev)).toBe(sysDev("umvt", idx));
      unlinkSync(node);
      const m = createMacvtap({ managed: false, name: "umvt", mac: "52:54:00:cd:00:01" });
      try {
        expect(statSync(node).isCharacterDevice()).toBe(true);
        expect(BigInt(statSync(node).rdev)).toBe(sysDev("umvt", idx));
        expect(statSync(node).mode & 0o777).toBe(0o600);
      } finally {
        m.teardown();
      }
      expect(existsSync(node)).toBe(false);
    });

    test("/dev/tapN of another device: a private node is used and unlinked at once", () => {
      const node = `/dev/tap${idx}`;
      if (existsSync(node)) {
        expect(BigInt(statSync(node).rdev)).toBe(sysDev("umvt", idx));
        unlinkSync(node);
      }
      L.mknod(node, L.S_IFCHR | 0o600, L.makedev(1, 3)); // /dev/null's numbers: a stale stranger
      try {
        const m = createMacvtap({ managed: false, name: "umvt", mac: "52:54:00:cd:00:01" });
        expect(bunvirtNodes()).toEqual([]);
        expect(tunGetIff(m.fd).name).toBe("umvt");
        m.teardown();
        expect(BigInt(statSync(node).rdev)).toBe(L.makedev(1, 3)); // untouched
      } finally {
        unlinkSync(node);
      }
    });
  });

  test("macvlan for containers", () => {
    const name = createMacvlan({ source: "src0", mode: "bridge", mac: "52:54:00:ef:00:01" });
    expect(name).toBe("macvlan0");
    const l = r.requireLink(name);
    expect(l.kind).toBe("macvlan");
    expect(l.macvlanMode).toBe("bridge");
    expect(l.mac).toBe("52:54:00:ef:00:01");
    r.deleteLink(name);
    expect(createMacvlan({ name: "mvl-x", source: "src0" })).toBe("mvl-x");
    expect(r.requireLink("mvl-x").macvlanMode).toBe("vepa");
    r.deleteLink("mvl-x");
  });

  test("100 managed create/teardown cycles leak no fd", () => {
    const before = fdKinds();
    for (let i = 0; i < 100; i++) createMacvtap({ source: "src0", mode: "bridge", mac: "52:54:00:ab:01:00" }).teardown();
    expect(fdGrowth(before)).toEqual({});
    expect(r.listLinks().some((l) => l.kind === "macvtap")).toBe(false);
  });
}
