// hostdev capabilities (storage/misc), passing fds to init, and namespace entry.
// Needs root and busybox-static.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, mkdirSync, openSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import type { Connection } from "../../src/core/driver.ts";
import { detectLayout } from "../../src/plugins/lxc/cgroup/index.ts";
import { domXml, haveBusybox, isRoot, makeBusyboxRoot, openEmbed, removeDir, destroyAllUnder, runXml, tempDir } from "./rootfs.ts";

const skip = !isRoot || !haveBusybox;
let dir = "", root = "", state = "", conn: Connection;

beforeAll(async () => {
  if (skip) return;
  dir = tempDir();
  root = makeBusyboxRoot(dir);
  state = `${dir}/state`;
  conn = await openEmbed(state);
  mkdirSync(`${dir}/dev`);
  // device nodes of our own (a loop minor nobody uses, and /dev/null's numbers)
  expect(spawnSync("mknod", ["-m", "0640", `${dir}/dev/blk`, "b", "7", "200"]).status).toBe(0);
  expect(spawnSync("mknod", ["-m", "0666", `${dir}/dev/chr`, "c", "1", "3"]).status).toBe(0);
});
afterAll(async () => {
  if (!dir) return;
  await destroyAllUnder(state);
  removeDir(dir);
});

const runtime = (name: string) => JSON.parse(readFileSync(`${state}/run/${name}.json`, "utf8")).runtime as { initPid: number };

describe.skipIf(skip)("hostdev mode='capabilities' (needs root + busybox-static)", () => {
  test("storage <block> and misc <char> appear at the same path with host numbers and mode, allowed in the devices cgroup", async () => {
    const devices = `
      <hostdev mode='capabilities' type='storage'><source><block>${dir}/dev/blk</block></source></hostdev>
      <hostdev mode='capabilities' type='misc'><source><char>${dir}/dev/chr</char></source></hostdev>`;
    const script = `stat -c '%F %t:%T %a' ${dir}/dev/blk ${dir}/dev/chr; echo hi > ${dir}/dev/chr && echo wrote; sleep 5`;
    const dom = await conn.createXML(domXml({ name: "hd1", root, devices, args: ["-c", script] }));
    try {
      const devs = detectLayout().v1.get("devices");
      if (devs) {
        const list = readFileSync(`${devs}/bunvirt/lxc-${dom.uuid}/devices.list`, "utf8");
        expect(list).toContain("b 7:200 rwm\n");
        expect(list).toContain("c 1:3 rwm\n");
      }
      const cs = await conn.openConsole!(dom);
      const { readConsole } = await import("./rootfs.ts");
      const out = readConsole(cs.fd, 300).replace(/\r\n/g, "\n");
      cs.close();
      expect(out).toBe("block special file 7:c8 640\ncharacter special file 1:3 666\nwrote\n");
    } finally {
      await conn.destroy(dom);
    }
  });

  test("a source of the wrong node type is refused clearly", async () => {
    const devices = `<hostdev mode='capabilities' type='storage'><source><block>${dir}/dev/chr</block></source></hostdev>`;
    expect(conn.createXML(domXml({ name: "hd2", root, devices, args: ["-c", "true"] }))).rejects.toThrow(`unsupported configuration: /domain/devices/hostdev[1]/source/block: hostdev storage: ${dir}/dev/chr is not a block device`);
    const misc = `<hostdev mode='capabilities' type='misc'><source><char>${dir}/dev/blk</char></source></hostdev>`;
    expect(conn.createXML(domXml({ name: "hd3", root, devices: misc, args: ["-c", "true"] }))).rejects.toThrow(`hostdev misc: ${dir}/dev/blk is not a char device`);
  });
});

describe.skipIf(skip)("passing fds to init (needs root + busybox-static)", () => {
  test("fds arrive renumbered from 3 with LISTEN_FDS and LISTEN_PID=1", async () => {
    writeFileSync(`${dir}/a`, "first\n");
    writeFileSync(`${dir}/b`, "second\n");
    const a = openSync(`${dir}/a`, "r"), b = openSync(`${dir}/b`, "r");
    try {
      const script = "echo $LISTEN_FDS $LISTEN_PID; cat <&3; cat <&4; ls /proc/1/fd > /tmp/fds; cat /tmp/fds | tr '\\n' ' '";
      const { out, status } = await runXml(conn, domXml({ name: "fds1", root, args: ["-c", script] }), [b, a].reverse());
      // ash keeps one fd (10) of its own for the redirection it saved
      expect(out).toBe("2 1\nfirst\nsecond\n0 1 10 2 3 4 ");
      expect(status).toBe(0);
    } finally {
      closeSync(a);
      closeSync(b);
    }
  });
});

describe.skipIf(skip)("namespace entry (needs root + busybox-static)", () => {
  test("lxcOpenNamespace returns init's namespaces; lxcEnterNamespace runs inside and returns the status", async () => {
    const dom = await conn.createXML(domXml({ name: "ns1", root, init: "/bin/sleep", args: ["300"] }));
    try {
      const { initPid } = runtime("ns1");
      const fds = await conn.lxcOpenNamespace!(dom);
      expect(fds.map((fd) => readlinkSync(`/proc/self/fd/${fd}`))).toEqual(["ipc", "mnt", "net", "pid", "user", "uts"].map((n) => readlinkSync(`/proc/${initPid}/ns/${n}`)));
      for (const fd of fds) closeSync(fd);

      const script = "hostname > /tmp/entered; echo $$ >> /tmp/entered; cat /proc/1/cmdline | tr '\\0' ' ' >> /tmp/entered; echo >> /tmp/entered; cat /proc/self/cgroup | grep -c ':/$' >> /tmp/entered; exit 5";
      const status = await conn.lxcEnterNamespace!(dom, ["sh", "-c", script]);
      expect(status).toBe(5);
      const lines = readFileSync(`${root}/tmp/entered`, "utf8").split("\n");
      expect(lines[0]).toBe("ns1");
      expect(Number(lines[1])).toBeGreaterThan(1); // a pid of the container's namespace
      expect(lines[2]).toBe("/bin/sleep 300 ");
      // every hierarchy shows '/' (the container's cgroup namespace root)
      expect(Number(lines[3])).toBe(readFileSync("/proc/self/cgroup", "utf8").trim().split("\n").length);
    } finally {
      await conn.destroy(dom);
    }
  });
});
