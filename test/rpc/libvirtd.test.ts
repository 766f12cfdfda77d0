// Side by side with libvirtd 9.0 (started for the test when none runs; CI installs it): the same
// virsh commands against both daemons' test:///default give the same output, and our client talks
// to libvirtd too. Read-only: nothing here changes the other daemon's state.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { openRemote } from "../../src/core/rpc/client.ts";
import { parseUri } from "../../src/core/uri.ts";
import { cleanup, hasVirsh, isRoot, startDaemon, tempRoot, virsh, type DaemonProc } from "./helpers.ts";
import { LIBVIRTD_SOCK, hasLibvirtd, startPeer, type Peer } from "./peer.ts";

const LIBVIRTD = LIBVIRTD_SOCK;
// needs virsh (libvirt-clients), libvirtd (libvirt-daemon) and root to start it
const skip = !hasVirsh || !hasLibvirtd || !isRoot;
if (skip) console.warn("libvirtd.test.ts skipped: needs virsh, libvirtd (Debian libvirt-clients, libvirt-daemon) and root");

describe.skipIf(skip)("bunvirt daemon vs libvirtd (test:///default)", () => {
  let d: DaemonProc;
  let peer: Peer;
  beforeAll(async () => {
    peer = await startPeer();
    d = await startDaemon(tempRoot("peer"));
  });
  afterAll(async () => {
    await d.kill();
    cleanup(d.root);
    await peer.stop();
  });
  const ours = () => `test+unix:///default?socket=${d.ro}`;
  const theirs = `test+unix:///default?socket=${LIBVIRTD}-ro`;

  for (const cmd of [["list", "--all"], ["domstate", "test", "--reason"], ["domid", "test"], ["domuuid", "test"], ["domname", "6695eb01-f6a4-8304-79aa-97f2502e193f"], ["version", "--daemon"], ["start", "test"], ["destroy", "nosuch"]]) {
    test(`virsh ${cmd.join(" ")}`, async () => {
      const [a, b] = await Promise.all([virsh(ours(), cmd), virsh(theirs, cmd)]);
      expect({ code: a.code, stdout: a.stdout, stderr: a.stderr }).toEqual({ code: b.code, stdout: b.stdout, stderr: b.stderr });
    });
  }

  test("virsh dominfo test (CPU time aside)", async () => {
    const strip = (s: string) => s.replace(/^CPU time:.*\n/m, "");
    const [a, b] = await Promise.all([virsh(ours(), ["dominfo", "test"]), virsh(theirs, ["dominfo", "test"])]);
    expect(strip(a.stdout)).toBe(strip(b.stdout));
  });

  test("our client against libvirtd: auth, open, list, lookup, XML, errors", async () => {
    const c = await openRemote(parseUri(theirs));
    expect(c.getType()).toBe("TEST");
    const doms = await c.listAllDomains();
    expect(doms.map((x) => x.name)).toContain("test");
    const t = await c.lookupByName("test");
    expect(t.uuid).toBe("6695eb01-f6a4-8304-79aa-97f2502e193f");
    expect(await c.getXMLDesc(t)).toContain("<name>test</name>");
    expect((await c.getState(t)).state).toBe(1);
    const e = await c.lookupByName("nosuch").catch((x) => x);
    expect([e.code, e.message]).toEqual([42, "Domain not found"]); // libvirt's test driver gives no detail
    const denied = await c.destroy(t).catch((x) => x);
    expect([denied.code, denied.message]).toEqual([29, "operation forbidden: read only access prevents virDomainDestroyFlags"]);
    await c.close();
  });
});
