// Every libvirt lxcxml2xml input, started for real (see xml2xml-fixture.ts for how host-specific
// paths are mapped). Cases libvirt itself could not start here fail with a clear error.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CAP_NAMES, DEFAULT_DROPPED_CAPS } from "../../src/plugins/lxc/spec.ts";
import { haveBusybox, isRoot, removeDir, tempDir } from "./rootfs.ts";

const DATA = join(import.meta.dir, "../../../shared/conformance/libvirt/tests/lxcxml2xmldata");

test.skipIf(!isRoot || !haveBusybox || !existsSync(DATA))("lxcxml2xml cases run as containers (needs root + busybox-static)", () => {
  const dir = tempDir();
  try {
    const bun = join(import.meta.dir, "../../node_modules/.bin/bun");
    // a private mount namespace too: the fixture makes a named netns (a bind mount under /run/netns)
    const r = spawnSync("unshare", ["-n", "-m", "--propagation", "private", bun, join(import.meta.dir, "xml2xml-fixture.ts"), dir, DATA], { encoding: "utf8", timeout: 90_000 });
    expect(r.stderr).toBe("");
    const res = JSON.parse(r.stdout);
    const bnd = BigInt("0x" + /CapBnd:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);
    const keep = CAP_NAMES.map((_, i) => i).filter((i) => !DEFAULT_DROPPED_CAPS.includes(CAP_NAMES[i]!));
    const cap = `CapBnd:\t${(keep.reduce((m, i) => m | (1n << BigInt(i)), 0n) & bnd).toString(16).padStart(16, "0")}\n`;
    // in a user namespace of its own (idmap) the container's root starts with every capability
    const capUserns = `CapBnd:\t${(keep.reduce((m, i) => m | (1n << BigInt(i)), 0n) & ((1n << 41n) - 1n)).toString(16).padStart(16, "0")}\n`;
    const ok = (name: string, ids: string, cwd: string, foo: string, links: string, net = "", caps = cap) => ({ out: `ok ${name} ${ids} ${cwd} FOO=${foo}\n${links}\n${caps}${net}`, status: 0 });
    // containers without interfaces share the test's netns; hostdev moves eth0 in (a veth: it
    // dies with the container's netns, so later cases no longer see eth0/eth0peer)
    const shared = "bri0 eth0 eth0peer lo ";
    const after = "bri0 lo ";
    const route = (name: string, iface: string, dev: string) =>
      `internal error: failed to start domain '${name}': ${iface}: netlink RTM_NEWROUTE 192.168.124.0/24 via 192.168.124.1 dev ${dev}: ENETUNREACH (Network is unreachable): Nexthop has invalid gateway`;
    expect(res).toEqual({
      "lxc-capabilities": ok("lxc-capabilities", "0:0", "/", "", shared),
      "lxc-disk-formats": { error: "unsupported configuration: filesystem type 'file' (target /home) is not supported by the LXC driver; use 'mount' or 'ram'" },
      // routes via 192.168.124.1, which no address of the container reaches
      "lxc-ethernet-hostip": { error: route("8675309", "/domain/devices/interface[1] (eth2)", "vnet0") },
      "lxc-ethernet": { error: route("8675309", "/domain/devices/interface[1] (eth2)", "eth2") },
      "lxc-filesystem-ram": ok("lxc-filesystem-ram", "0:0", "/", "", shared),
      "lxc-filesystem-root": ok("lxc-filesystem-root", "0:0", "/", "", shared),
      "lxc-hostdev": ok("lxc-hostdev", "0:0", "/", "", "eth0 lo ", "eth0 192.168.122.2/24 default via 192.168.122.1 dev eth0 \n"),
      "lxc-idmap": { error: route("jessie", "/domain/devices/interface[1] (eth2)", "eth2") },
      "lxc-initdir": ok("lxc-initdir", "0:0", "/path/to/pwd", "", after),
      "lxc-initenv": ok("lxc-initenv", "0:0", "/", "bar", after),
      "lxc-inituser": ok("lxc-inituser", "1000:1234", "/", "", after),
      "lxc-sharenet": { error: `internal error: failed to start domain 'jessie': cannot share the ipc namespace of pid ${readFileSync("/proc/sys/kernel/pid_max", "utf8").trim()}: no such process` },
      // netns 'red' (only lo), the ipc namespace of a process of ours, the uts of 'container1'
      "lxc-sharenet~present": ok("lxc-sharenet~present", "0:0", "/", "", "lo ", "uts-shared\n"),
      "lxc-systemd": ok("lxc-systemd", "0:0", "/", "", after),
      // the same three without the unreachable route: veth/bridge, guest addresses and routes,
      // user namespace (idmap) — all applied inside the container
      "lxc-ethernet~reachable": ok("lxc-ethernet~reachable", "0:0", "/", "", "eth2 lo ", "eth2 192.168.122.12/24 eth2 192.168.122.13/24 default via 192.168.122.1 dev eth2 \n", capUserns),
      "lxc-idmap~reachable": ok("lxc-idmap~reachable", "0:0", "/", "", "eth2 lo ", "eth2 192.168.122.12/24 eth2 192.168.122.13/24 default via 192.168.122.1 dev eth2 \n", capUserns),
      "lxc-ethernet-hostip~reachable": ok("lxc-ethernet-hostip~reachable", "0:0", "/", "", "eth2 lo ", "eth2 192.168.122.1/32 ", capUserns),
      links: ["bri0", "lo"],
    });
  } finally {
    removeDir(dir);
  }
}, 120_000);
