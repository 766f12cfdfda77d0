// rtnetlink against the real kernel, inside a private network namespace (see netns-harness).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readlinkSync } from "node:fs";
import { ErrorCode } from "../../src/core/errors.ts";
import * as L from "../../src/ffi/libc.ts";
import { IFF_UP, Rtnl } from "../../src/ffi/netlink/rtnl.ts";
import { IFF_NO_PI, IFF_TAP, tunAttach, tunSetPersist } from "../../src/ffi/tun.ts";
import { NetlinkError, NetlinkSocket, withNetns } from "../../src/ffi/netlink/socket.ts";
import { privateNetns, spawnNetnsHolder } from "../netdev/netns-harness.ts";
import { fdGrowth, fdKinds } from "./fdleak.ts";

function nlErr(f: () => unknown): NetlinkError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(NetlinkError);
    return e as NetlinkError;
  }
  throw new Error("expected a NetlinkError");
}

if (privateNetns(import.meta.path)) {
  let r: Rtnl;
  beforeAll(() => {
    r = Rtnl.open();
  });
  afterAll(() => r.close());

  describe("links", () => {
    test("a fresh netns has only lo", () => {
      const links = r.listLinks();
      expect(links.map((l) => l.name)).toEqual(["lo"]);
      expect(links[0]!.index).toBe(1);
      expect(links[0]!.mac).toBe("00:00:00:00:00:00");
      expect(links[0]!.flags & 0x8).toBe(0x8); // IFF_LOOPBACK
      expect(r.getLink("lo")!.index).toBe(1);
      expect(r.getLink(1)!.name).toBe("lo");
      expect(r.getLink("nosuchdev")).toBeNull();
    });

    test("veth pair: create, inspect, errors, delete", () => {
      r.createVeth("rv0", "rv1", { mac: "02:00:00:00:00:01", peerMac: "02:00:00:00:00:02", mtu: 1400 });
      const a = r.requireLink("rv0"), b = r.requireLink("rv1");
      expect(a.kind).toBe("veth");
      expect(b.kind).toBe("veth");
      expect(a.mac).toBe("02:00:00:00:00:01");
      expect(b.mac).toBe("02:00:00:00:00:02");
      expect(a.mtu).toBe(1400);
      expect(b.mtu).toBe(1400);
      expect(a.link).toBe(b.index); // each end points at its peer
      expect(b.link).toBe(a.index);
      const e = nlErr(() => r.createVeth("rv0", "rv9"));
      expect(e.message).toBe("netlink RTM_NEWLINK rv0: EEXIST (File exists)");
      expect(e.errno).toBe(L.Errno.EEXIST);
      expect(e.errnoName).toBe("EEXIST");
      expect(e.op).toBe("RTM_NEWLINK");
      expect(e.code).toBe(ErrorCode.SYSTEM_ERROR);
      r.deleteLink("rv0");
      expect(r.getLink("rv1")).toBeNull(); // deleting one end removes the pair
      expect(nlErr(() => r.deleteLink("rv0")).message).toBe("netlink RTM_DELLINK rv0: ENODEV (No such device)");
      expect(nlErr(() => r.requireLink(4242)).message).toBe("netlink RTM_GETLINK ifindex 4242: ENODEV (No such device)");
    });

    test("deleteLinks removes many devices in one batch (veth, tap), skipping missing ones", () => {
      for (let i = 0; i < 10; i++) r.createVeth(`dl${i}`, `dp${i}`);
      for (let i = 0; i < 3; i++) {
        const t = tunAttach(`dt${i}`, IFF_TAP | IFF_NO_PI);
        tunSetPersist(t.fd, true);
        L.close(t.fd);
      }
      r.createVeth("keep0", "keep1");
      r.deleteLinks([...Array.from({ length: 10 }, (_, i) => `dl${i}`), "dp3", "dt0", "dt1", "dt2", "missing0"]);
      expect(r.listLinks().map((l) => l.name).sort()).toEqual(["keep0", "keep1", "lo"]);
      expect(r.requireLink("keep0").group).toBe(0); // untouched
      r.deleteLinks(["keep0"]);
      r.deleteLinks([]);
      expect(r.getLink("keep1")).toBeNull();
    });

    test("up/down, MAC, MTU, rename", () => {
      r.createVeth("sa0", "sa1");
      try {
        r.setUp("sa0");
        expect(r.requireLink("sa0").up).toBe(true);
        expect(r.requireLink("sa0").flags & IFF_UP).toBe(IFF_UP);
        r.setDown("sa0");
        expect(r.requireLink("sa0").up).toBe(false);
        r.setMac("sa0", "52:54:00:AA:BB:CC");
        expect(r.requireLink("sa0").mac).toBe("52:54:00:aa:bb:cc");
        r.setMtu("sa0", 9000);
        expect(r.requireLink("sa0").mtu).toBe(9000);
        expect(nlErr(() => r.setMtu("sa0", 10)).message).toMatch(/^netlink RTM_SETLINK sa0: EINVAL \(Invalid argument\)/);
        const idx = r.requireLink("sa0").index;
        r.rename("sa0", "sa0-renamed");
        expect(r.getLink("sa0")).toBeNull();
        expect(r.requireLink("sa0-renamed").index).toBe(idx);
        expect(nlErr(() => r.rename("sa0-renamed", "sa1")).errnoName).toBe("EEXIST");
      } finally {
        r.deleteLink("sa1");
      }
    });

    test("bridge: create, set master, nomaster", () => {
      r.createBridge("rbr0", { mtu: 1450, up: true });
      r.createVeth("rb0", "rb1");
      try {
        const br = r.requireLink("rbr0");
        expect(br.kind).toBe("bridge");
        expect(br.up).toBe(true);
        r.setMaster("rb0", "rbr0");
        expect(r.requireLink("rb0").master).toBe(br.index);
        r.setMaster("rb0", null);
        expect(r.requireLink("rb0").master).toBeUndefined();
        expect(nlErr(() => r.setMaster("rb0", "nosuchbr")).message).toBe("netlink RTM_GETLINK nosuchbr: ENODEV (No such device)");
      } finally {
        r.deleteLink("rb0");
        r.deleteLink("rbr0");
      }
    });

    test("macvlan and macvtap in every mode", () => {
      r.createVeth("mp0", "mp1");
      try {
        for (const kind of ["macvlan", "macvtap"] as const) {
          for (const mode of ["bridge", "vepa", "private", "passthrough"] as const) {
            const name = `${kind === "macvlan" ? "mvl" : "mvt"}-${mode.slice(0, 4)}`;
            r.createMacvlan(kind, name, "mp0", mode, { mac: "52:54:00:00:00:33" });
            const l = r.requireLink(name);
            expect(l.kind).toBe(kind);
            expect(l.macvlanMode).toBe(mode);
            expect(l.link).toBe(r.requireLink("mp0").index);
            // passthrough inherits the parent's MAC (setting one changes the parent's: see netdev).
            expect(l.mac).toBe(mode === "passthrough" ? r.requireLink("mp0").mac : "52:54:00:00:00:33");
            r.deleteLink(name);
          }
        }
        expect(nlErr(() => r.createMacvlan("macvtap", "mvx", "nosuchparent", "vepa")).message)
          .toBe("netlink RTM_GETLINK nosuchparent: ENODEV (No such device)");
        expect(nlErr(() => r.createMacvlan("macvtap", "mvx", "mp0", "bogus" as any)).message)
          .toBe('netlink RTM_NEWLINK mvx: EINVAL (Invalid argument): unknown macvtap mode "bogus"');
      } finally {
        r.deleteLink("mp0");
      }
    });

    test("unknown link kind: the kernel's extended ack is in the message", () => {
      const e = nlErr(() => r.createLink("no-such-kind", "xk0"));
      expect(e.errnoName).toBe("EOPNOTSUPP");
      expect(e.message).toBe(`netlink RTM_NEWLINK xk0: EOPNOTSUPP (Operation not supported)${e.extack ? ": " + e.extack : ""}`);
    });

    test("move to a netns by pid and by fd, and back", async () => {
      const holder = await spawnNetnsHolder();
      const inside = Rtnl.open({ pid: holder.pid });
      try {
        expect(inside.listLinks().map((l) => l.name)).toEqual(["lo"]);
        r.createVeth("mv0", "mv1");
        r.moveToNetns("mv1", { pid: holder.pid }, "eth0");
        expect(r.getLink("mv1")).toBeNull();
        const eth0 = inside.requireLink("eth0");
        expect(eth0.kind).toBe("veth");
        // Its peer is in another netns now: the link index comes with a netns id.
        expect(r.requireLink("mv0").linkNetnsId).toBeGreaterThanOrEqual(0);
        // Back by fd (our own netns), under the original name.
        const self = L.open("/proc/self/ns/net", L.O_RDONLY | L.O_CLOEXEC);
        try {
          inside.moveToNetns("eth0", { fd: self }, "mv1");
        } finally {
          L.close(self);
        }
        expect(inside.getLink("eth0")).toBeNull();
        expect(r.requireLink("mv1").kind).toBe("veth");
        expect(nlErr(() => r.moveToNetns("mv1", { pid: 4194305 })).errnoName).toBe("ESRCH");
        r.deleteLink("mv0");
      } finally {
        inside.close();
        await holder.kill();
      }
    });

    test("veth peer created directly in another netns", async () => {
      const holder = await spawnNetnsHolder();
      const inside = Rtnl.open({ pid: holder.pid });
      try {
        r.createVeth("pn0", "pn1", { peerNetns: { pid: holder.pid } });
        expect(r.getLink("pn1")).toBeNull();
        expect(inside.requireLink("pn1").kind).toBe("veth");
        r.deleteLink("pn0");
        expect(inside.getLink("pn1")).toBeNull();
      } finally {
        inside.close();
        await holder.kill();
      }
    });

    test("withNetns switches only temporarily", async () => {
      const holder = await spawnNetnsHolder();
      try {
        const ours = readlinkSync("/proc/thread-self/ns/net");
        const theirs = withNetns({ pid: holder.pid }, () => readlinkSync("/proc/thread-self/ns/net"));
        expect(theirs).toBe(readlinkSync(`/proc/${holder.pid}/ns/net`));
        expect(theirs).not.toBe(ours);
        expect(readlinkSync("/proc/thread-self/ns/net")).toBe(ours);
        expect(() => withNetns({ path: "/nonexistent/ns" }, () => 1)).toThrow('open("/nonexistent/ns", O_RDONLY|O_CLOEXEC) failed: ENOENT');
        expect(readlinkSync("/proc/thread-self/ns/net")).toBe(ours);
      } finally {
        await holder.kill();
      }
    });
  });

  describe("addresses and routes", () => {
    test("IPv4 and IPv6 addresses, routes via gateway and on-link", () => {
      r.createVeth("ad0", "ad1");
      try {
        r.setUp("ad1");
        r.setUp("ad0");
        r.addAddress("ad0", "10.77.0.1/24");
        r.addAddress("ad0", "fd77::1/64");
        const addrs = r.listAddresses("ad0");
        const idx = r.requireLink("ad0").index;
        expect(addrs.find((a) => a.family === L.AF_INET)).toEqual({ index: idx, family: L.AF_INET, address: "10.77.0.1", prefix: 24, label: "ad0" });
        expect(addrs.find((a) => a.family === L.AF_INET6 && a.address === "fd77::1")).toEqual({ index: idx, family: L.AF_INET6, address: "fd77::1", prefix: 64 });
        expect(nlErr(() => r.addAddress("ad0", "10.77.0.1/24")).message)
          .toMatch(/^netlink RTM_NEWADDR 10\.77\.0\.1\/24 dev ad0: EEXIST \(File exists\)/);

        // Before any default route exists, a gateway off every subnet is unreachable.
        expect(nlErr(() => r.addRoute({ dst: "10.79.0.0/16", gateway: "10.200.0.1" })).message)
          .toMatch(/^netlink RTM_NEWROUTE 10\.79\.0\.0\/16 via 10\.200\.0\.1: ENETUNREACH \(Network is unreachable\)/);
        r.addRoute({ dst: "10.78.0.0/16", gateway: "10.77.0.254" });
        r.addRoute({ dst: "default", dev: "ad0", metric: 100 });
        r.addRoute({ dst: "fd78::/48", gateway: "fd77::fe", dev: "ad0" });
        const v4 = r.listRoutes({ family: L.AF_INET });
        expect(v4.find((x) => x.dst === "10.78.0.0/16")).toEqual({ family: L.AF_INET, table: 254, scope: 0, dst: "10.78.0.0/16", gateway: "10.77.0.254", oif: idx });
        expect(v4.find((x) => x.dst === "default")).toEqual({ family: L.AF_INET, table: 254, scope: 253, dst: "default", oif: idx, metric: 100 });
        expect(v4.find((x) => x.dst === "10.77.0.0/24")?.oif).toBe(idx); // the kernel's prefix route
        const v6 = r.listRoutes({ family: L.AF_INET6 });
        expect(v6.find((x) => x.dst === "fd78::/48")?.gateway).toBe("fd77::fe");
        expect(() => r.addRoute({ dst: "10.79.0.0/16", gateway: "fd77::1" })).toThrow("not in the destination's address family");

        r.deleteRoute({ dst: "10.78.0.0/16", gateway: "10.77.0.254" });
        expect(r.listRoutes({ family: L.AF_INET }).some((x) => x.dst === "10.78.0.0/16")).toBe(false);
        r.deleteAddress("ad0", "10.77.0.1/24");
        expect(r.listAddresses("ad0").some((a) => a.address === "10.77.0.1")).toBe(false);
      } finally {
        r.deleteLink("ad0");
      }
    });
  });

  test("1000 netlink socket open/close and request loops leak no fd", () => {
    const before = fdKinds();
    for (let i = 0; i < 1000; i++) {
      const s = Rtnl.open();
      s.getLink("lo");
      s.close();
    }
    for (let i = 0; i < 1000; i++) r.getLink(1);
    expect(fdGrowth(before)).toEqual({});
    const s = NetlinkSocket.open();
    s.close();
    s.close(); // idempotent
  });

  test("leaves the netns as it found it", () => {
    expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]);
  });
}
