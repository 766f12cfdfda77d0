// Real containers through the LXC driver (lxc:///embed?root=TMP): busybox-static rootfs and the
// shared host root. Needs root and busybox-static.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import type { Connection } from "../../src/core/driver.ts";
import { DEFAULT_DROPPED_CAPS, CAP_NAMES } from "../../src/plugins/lxc/spec.ts";
import { detectLayout } from "../../src/plugins/lxc/cgroup/index.ts";
import { domXml, haveBusybox, isRoot, makeBusyboxRoot, openEmbed, removeDir, destroyAllUnder, runXml, tempDir } from "./rootfs.ts";

const skip = !isRoot || !haveBusybox;
let dir = "", root = "", conn: Connection;

beforeAll(async () => {
  if (skip) return;
  dir = tempDir();
  root = makeBusyboxRoot(dir);
  conn = await openEmbed(`${dir}/state`);
});
afterAll(async () => {
  if (!dir) return;
  await destroyAllUnder(`${dir}/state`);
  removeDir(dir);
});

const hostCapBnd = () => BigInt("0x" + /CapBnd:\s*([0-9a-f]+)/.exec(readFileSync("/proc/self/status", "utf8"))![1]);

describe.skipIf(skip)("busybox container (needs root + busybox-static)", () => {
  test("init runs as pid 1 with hostname, env, private /dev, console, exit status", async () => {
    const script = [
      "echo pid=$$ host=$(hostname)",
      "echo container=$container name=$LIBVIRT_LXC_NAME",
      "echo uuid_ok=$([ \"$LIBVIRT_LXC_UUID\" = \"$container_uuid\" ] && echo yes)",
      "echo PATH=$PATH TERM=$TERM HOME=$HOME",
      "echo dev: $(ls /dev)",
      "echo pts: $(ls /dev/pts)",
      "echo tty: $(readlink /proc/1/fd/0)",
      "grep CapBnd /proc/1/status",
      "echo sys: $(grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1)",
      "ls /proc > /tmp/procs; echo procs: $(grep -c '^[0-9]' /tmp/procs)",
      // the container's own cgroup is the root of what it sees (cgroup namespace), read-only
      "M=/sys/fs/cgroup/memory/memory.limit_in_bytes; [ -e $M ] || M=/sys/fs/cgroup/memory.max",
      "echo cg: $(cat $M) $(cat /proc/self/cgroup | grep -c ':/$')",
      "(echo 1 > $M) 2>/dev/null || echo cg-ro",
      "exit 3",
    ].join("; ");
    const { out, status } = await runXml(conn, domXml({ name: "bb1", root, args: ["-c", script] }));
    const caps = CAP_NAMES.map((_, i) => i).filter((i) => !DEFAULT_DROPPED_CAPS.includes(CAP_NAMES[i]!));
    const bnd = caps.reduce((m, i) => m | (1n << BigInt(i)), 0n) & hostCapBnd();
    expect(out).toBe(
      [
        "pid=1 host=bb1",
        "container=lxc-libvirt name=bb1",
        "uuid_ok=yes",
        "PATH=/bin:/usr/bin:/sbin:/usr/sbin TERM=linux HOME=/",
        "dev: console fd full null ptmx pts random shm stderr stdin stdout tty tty1 urandom zero",
        "pts: ptmx",
        "tty: /dev/console",
        `CapBnd:\t${bnd.toString(16).padStart(16, "0")}`,
        "sys: ro",
        "procs: 2",
        `cg: 134217728 ${readFileSync("/proc/self/cgroup", "utf8").trim().split("\n").length}`,
        "cg-ro",
        "",
      ].join("\n"),
    );
    expect(status).toBe(3);
  });

  test("application container shares the host root with fresh /proc and /dev", async () => {
    const { out, status } = await runXml(conn, domXml({ name: "app1", args: ["-c", "echo $(ls /dev | wc -l) $$; test -d /usr/lib && echo host-root; test -e /bin/busybox || echo no-busybox-root"] }));
    expect(out).toBe("15 1\nhost-root\n" + (existsSync("/bin/busybox") ? "" : "no-busybox-root\n"));
    expect(status).toBe(0);
  });

  test("filesystems: bind (read-only and read-write) and ram", async () => {
    const share = `${dir}/share`;
    mkdirSync(share, { recursive: true });
    writeFileSync(`${share}/f`, "hello-bind\n");
    const devices = `
      <filesystem type='mount'><source dir='${share}'/><target dir='/mnt/ro'/><readonly/></filesystem>
      <filesystem type='mount'><source dir='${share}'/><target dir='/mnt/rw'/></filesystem>
      <filesystem type='ram'><source usage='2048'/><target dir='/mnt/ram'/></filesystem>`;
    const script = "cat /mnt/ro/f; touch /mnt/ro/x 2>/dev/null || echo ro-refused; echo w > /mnt/rw/written; grep ' /mnt/ram ' /proc/mounts | cut -d' ' -f3,4";
    const { out } = await runXml(conn, domXml({ name: "fs1", root, devices, args: ["-c", script] }));
    expect(out).toBe("hello-bind\nro-refused\ntmpfs rw,nosuid,nodev,relatime,size=2048k,mode=755\n");
    expect(readFileSync(`${share}/written`, "utf8")).toBe("w\n");
  });

  test("unsupported filesystem types fail clearly", async () => {
    const devices = `<filesystem type='file'><source file='/tmp/x.img'/><target dir='/mnt'/></filesystem>`;
    expect(conn.createXML(domXml({ name: "fs2", root, devices, args: ["-c", "true"] }))).rejects.toThrow(
      "filesystem type 'file' (target /mnt) is not supported by the LXC driver; use 'mount' or 'ram'",
    );
  });

  test("initdir, inituser, initgroup, initenv", async () => {
    const os = "<initenv name='FOO'>bar baz</initenv><initdir>/tmp</initdir><inituser>nobody</inituser><initgroup>nogroup</initgroup>";
    const { out } = await runXml(conn, domXml({ name: "init1", root, os, args: ["-c", "echo \"$FOO\" $(pwd) $(id -u) $(id -g); grep CapEff /proc/self/status"] }));
    expect(out).toBe("bar baz /tmp 65534 65534\nCapEff:\t0000000000000000\n");
  });

  test("memory limit and device allow-list in the container's cgroup", async () => {
    const dom = await conn.createXML(domXml({ name: "cg1", root, memoryKiB: 65536, extra: "<cputune><shares>512</shares></cputune>", args: ["-c", "sleep 30"] }));
    const layout = detectLayout();
    const uuid = dom.uuid;
    try {
      const mem = layout.v1.get("memory");
      if (mem) expect(readFileSync(`${mem}/bunvirt/lxc-${uuid}/memory.limit_in_bytes`, "utf8")).toBe("67108864\n");
      else expect(readFileSync(`${layout.v2}/bunvirt/lxc-${uuid}/memory.max`, "utf8")).toBe("67108864\n");
      const cpu = layout.v1.get("cpu");
      if (cpu) expect(readFileSync(`${cpu}/bunvirt/lxc-${uuid}/cpu.shares`, "utf8")).toBe("512\n");
      else expect(readFileSync(`${layout.v2}/bunvirt/lxc-${uuid}/cpu.weight`, "utf8")).toBe("512\n");
      const dev = layout.v1.get("devices");
      if (dev) {
        expect(readFileSync(`${dev}/bunvirt/lxc-${uuid}/devices.list`, "utf8")).toBe(
          ["c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 10:229 rwm", "c 136:* rwm", ""].join("\n"),
        );
      }
    } finally {
      await conn.destroy(dom);
    }
    for (const d of [...layout.v1.values()]) expect(existsSync(`${d}/bunvirt/lxc-${uuid}`)).toBe(false);
  });
});
