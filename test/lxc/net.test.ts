// Container interfaces (ethernet, bridge, direct), hostdev net and privnet — all inside a
// network namespace made for this test (`unshare -n`), never on the host's interfaces.
import { expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { haveBusybox, isRoot, removeDir, tempDir } from "./rootfs.ts";

test.skipIf(!isRoot || !haveBusybox)("interfaces and hostdev net in a private netns (needs root + busybox-static)", () => {
  const dir = tempDir();
  try {
    const bun = join(import.meta.dir, "../../node_modules/.bin/bun");
    const r = spawnSync("unshare", ["-n", bun, join(import.meta.dir, "net-fixture.ts"), dir], { encoding: "utf8", timeout: 60_000 });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.ethernet).toEqual({
      text: "52:54:00:12:34:56\n192.168.77.2/24\n10.9.0.0/16 via 192.168.77.1 dev eth0 \n",
      hostUp: true,
      liveTarget: true,
      liveAlias: true,
      liveGuest: true,
      after: false,
    });
    expect(out.bridge).toEqual({ text: "eth0 lo ", master: "vnet0:br0" });
    expect(out.direct).toEqual({ text: "eth0 lo ", kind: "macvlan" });
    expect(out.hostdevNet).toEqual({ text: "hd0 lo ", hostSeenWhileRunning: false, back: true });
    expect(out.privnet).toBe("lo ");
    expect(out.cycles).toEqual({ same: true, bridgePorts: 0 });
    expect(out.linksAfter).toEqual(out.linksBefore);
  } finally {
    removeDir(dir);
  }
}, 90_000);
