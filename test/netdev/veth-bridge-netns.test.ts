// veth pairs, bridges and netns moves, inside a private netns (see netns-harness).
import { afterAll, describe, expect, test } from "bun:test";
import * as L from "../../src/ffi/libc.ts";
import { Rtnl } from "../../src/ffi/netlink/rtnl.ts";
import {
  attachToBridge, bridgeOf, createBridge, createMacvlan, createVethPair, deleteBridge, detachFromBridge, moveToNetns,
  returnFromNetns, rtnl,
} from "../../src/plugins/netdev/index.ts";
import { privateNetns, spawnNetnsHolder, virErr } from "./netns-harness.ts";

if (privateNetns(import.meta.path)) {
  const r = rtnl();
  afterAll(() => expect(r.listLinks().map((l) => l.name)).toEqual(["lo"]));

  describe("veth pairs", () => {
    test("default names, guest MAC on the peer, 0xFE MAC on the host end, host end up", () => {
      const v = createVethPair({ mac: "52:54:00:01:02:03" });
      try {
        expect([v.host, v.peer]).toEqual(["veth0", "veth1"]);
        const h = r.requireLink("veth0"), p = r.requireLink("veth1");
        expect(v.hostIndex).toBe(h.index);
        expect(h.mac).toBe("fe:54:00:01:02:03");
        expect(p.mac).toBe("52:54:00:01:02:03");
        expect(h.up).toBe(true);
        expect(p.up).toBe(false);
        expect(h.link).toBe(p.index);
        // The next pair takes the next free names.
        const v2 = createVethPair();
        expect([v2.host, v2.peer]).toEqual(["veth2", "veth3"]);
        v2.teardown();
      } finally {
        v.teardown();
      }
      expect(r.getLink("veth0")).toBeNull();
      expect(r.getLink("veth1")).toBeNull();
      v.teardown(); // idempotent
    });

    test("on a bridge with its MTU; explicit names; a taken name is an error", () => {
      createBridge("vbr0", { mtu: 1400 });
      try {
        const v = createVethPair({ host: "vh0", peer: "vp0", bridge: "vbr0", up: false });
        try {
          const h = r.requireLink("vh0");
          expect(h.master).toBe(r.requireLink("vbr0").index);
          expect(h.mtu).toBe(1400);
          expect(r.requireLink("vp0").mtu).toBe(1400);
          expect(h.up).toBe(false);
          let e: any;
          try { createVethPair({ host: "vh0", peer: "vp9" }); } catch (x) { e = x; }
          expect(e.message).toBe("netlink RTM_NEWLINK vh0: EEXIST (File exists)");
        } finally {
          v.teardown();
        }
        expect(virErr(() => createVethPair({ bridge: "nobr" })).message).toBe("bridge 'nobr' does not exist");
      } finally {
        deleteBridge("vbr0");
      }
    });

    test("peer created directly in a container's netns", async () => {
      const c = await spawnNetnsHolder();
      const inside = Rtnl.open({ pid: c.pid });
      try {
        const v = createVethPair({ host: "vc0", peer: "vc1", peerNetns: { pid: c.pid }, mac: "52:54:00:01:02:04" });
        expect(r.getLink("vc1")).toBeNull();
        expect(inside.requireLink("vc1").mac).toBe("52:54:00:01:02:04");
        v.teardown();
        expect(inside.getLink("vc1")).toBeNull();
      } finally {
        inside.close();
        await c.kill();
      }
    });
  });

  describe("bridges", () => {
    test("create, attach, bridgeOf, detach, delete", () => {
      createBridge("br-a", { mac: "02:00:00:00:0b:01" });
      r.createVeth("ba0", "ba1");
      try {
        const br = r.requireLink("br-a");
        expect(br.kind).toBe("bridge");
        expect(br.up).toBe(true);
        expect(br.mac).toBe("02:00:00:00:0b:01");
        expect(bridgeOf("ba0")).toBeUndefined();
        attachToBridge("ba0", "br-a");
        expect(bridgeOf("ba0")).toBe("br-a");
        expect(r.requireLink("ba0").master).toBe(br.index);
        detachFromBridge("ba0");
        expect(bridgeOf("ba0")).toBeUndefined();
        detachFromBridge("ba0"); // no master: no-op
        detachFromBridge("nodev"); // gone: no-op
        expect(virErr(() => attachToBridge("ba0", "nobr")).message).toBe("bridge 'nobr' does not exist");
        expect(virErr(() => attachToBridge("ba0", "ba1")).message).toBe("'ba1' is not a bridge (kind veth)");
      } finally {
        r.deleteLink("ba0");
        expect(deleteBridge("br-a")).toBe(true);
        expect(deleteBridge("br-a")).toBe(false);
      }
    });
  });

  describe("netns moves", () => {
    test("veth peer into a container as eth0 and back under its original name (by pid)", async () => {
      const c = await spawnNetnsHolder();
      const inside = Rtnl.open({ pid: c.pid });
      const v = createVethPair({ mac: "52:54:00:01:02:05" });
      try {
        const moved = moveToNetns(v.peer, { pid: c.pid }, { newName: "eth0" });
        expect(moved.originalName).toBe(v.peer);
        expect(moved.name).toBe("eth0");
        const eth0 = inside.requireLink("eth0");
        expect(moved.index).toBe(eth0.index);
        expect(eth0.mac).toBe("52:54:00:01:02:05");
        expect(r.getLink(v.peer)).toBeNull();
        returnFromNetns("eth0", { pid: c.pid }, moved.originalName);
        expect(inside.getLink("eth0")).toBeNull();
        const back = r.requireLink(v.peer);
        expect(back.mac).toBe("52:54:00:01:02:05");
        expect(back.link).toBe(v.hostIndex);
      } finally {
        v.teardown();
        inside.close();
        await c.kill();
      }
    });

    test("a NIC that is not a veth (macvlan stand-in for a physical NIC), by path and by fd", async () => {
      const c = await spawnNetnsHolder();
      r.createVeth("lower0", "lower1");
      const nic = createMacvlan({ name: "nic0", source: "lower0", mode: "bridge" });
      const fd = L.open(`/proc/${c.pid}/ns/net`, L.O_RDONLY | L.O_CLOEXEC);
      try {
        const moved = moveToNetns(nic, { path: `/proc/${c.pid}/ns/net` });
        expect(moved.name).toBe("nic0");
        expect(r.getLink("nic0")).toBeNull();
        returnFromNetns("nic0", { fd }, "nic0");
        expect(r.requireLink("nic0").kind).toBe("macvlan");
        // Again with a rename inside, returned by fd.
        moveToNetns("nic0", { fd }, { newName: "eth1" });
        returnFromNetns("eth1", { fd }, "nic0");
        expect(r.requireLink("nic0").macvlanMode).toBe("bridge");
      } finally {
        L.close(fd);
        r.deleteLink("lower0"); // takes the macvlan with it
        await c.kill();
      }
      expect(r.getLink("nic0")).toBeNull();
    });

    test("errors: missing device, name taken on return", async () => {
      const c = await spawnNetnsHolder();
      const v = createVethPair({ host: "ea0", peer: "ea1" });
      try {
        expect(virErr(() => moveToNetns("nodev", { pid: c.pid })).message)
          .toBe("cannot move 'nodev' into the container's network namespace: no such device");
        expect(virErr(() => returnFromNetns("eth0", { pid: c.pid }, "ea1")).message)
          .toBe("cannot return 'eth0' from the container's network namespace: no such device there");
        moveToNetns("ea1", { pid: c.pid }, { newName: "eth0" });
        expect(virErr(() => returnFromNetns("eth0", { pid: c.pid }, "ea0")).message)
          .toBe("cannot return 'eth0' as 'ea0': a device with that name exists in this namespace");
      } finally {
        v.teardown(); // deletes the pair, including the end inside the container
        await c.kill();
      }
    });

    test("veth in a dead container's netns is gone with it", async () => {
      const c = await spawnNetnsHolder();
      const v = createVethPair({ host: "dd0", peer: "dd1" });
      moveToNetns("dd1", { pid: c.pid });
      await c.kill();
      // The netns is torn down asynchronously by the kernel.
      for (let i = 0; i < 200 && r.getLink("dd0"); i++) await Bun.sleep(5);
      expect(r.getLink("dd0")).toBeNull();
      v.teardown(); // already gone: no error
    });
  });
}
