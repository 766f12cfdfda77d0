// `bunvirt -c qemu:///embed?root=DIR domxml-to-native qemu-argv FILE` through the real CLI: the
// definition is parsed like `define` (a missing <uuid> is generated, which used to crash the
// builder with "undefined is not an object"), interfaces print as bare taps, and the output is
// one line with a single trailing newline, as virsh prints libvirt's.
import { afterAll, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";

const MAIN = join(import.meta.dir, "../../src/main.ts");
const dir = mkdtempSync(join(tmpdir(), "bunvirt-qemu-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const XML = `<domain type='qemu'>
  <name>plain</name>
  <memory unit='MiB'>128</memory>
  <os><type>hvm</type></os>
  <devices>
    <interface type='user'><mac address='52:54:00:00:00:01'/><model type='virtio'/></interface>
  </devices>
</domain>`;

test.skipIf(!existsSync("/usr/bin/qemu-system-x86_64"))("domxml-to-native qemu-argv without a uuid", () => {
  const file = join(dir, "plain.xml");
  writeFileSync(file, XML);
  const p = Bun.spawnSync([process.execPath, MAIN, "-c", `qemu:///embed?root=${dir}`, "domxml-to-native", "qemu-argv", file], {
    env: { PATH: "/usr/bin:/bin" }, // USER/LOGNAME unset: not passed through, as libvirt
  });
  expect(p.stderr.toString()).toBe("");
  expect(p.exitCode).toBe(0);
  const out = p.stdout.toString();
  const uuid = /-uuid ([0-9a-f-]{36}) /.exec(out)?.[1];
  expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const d = `${dir}/lib/domain--1-plain`;
  expect(out).toBe(
    `LC_ALL=C PATH=/usr/bin:/bin HOME=${d} XDG_DATA_HOME=${d}/.local/share XDG_CACHE_HOME=${d}/.cache XDG_CONFIG_HOME=${d}/.config ` +
      `/usr/bin/qemu-system-x86_64 -name guest=plain,debug-threads=on -S ` +
      `-object '{"qom-type":"secret","id":"masterKey0","format":"raw","file":"${d}/master-key.aes"}' ` +
      `-machine pc-i440fx-7.2,usb=off,dump-guest-core=off,memory-backend=pc.ram -accel tcg -cpu qemu64 -m size=131072k ` +
      `-object '{"qom-type":"memory-backend-ram","id":"pc.ram","size":134217728}' -overcommit mem-lock=off ` +
      `-smp 1,sockets=1,cores=1,threads=1 -uuid ${uuid} -display none -no-user-config -nodefaults ` +
      `-chardev socket,id=charmonitor,path=${d}/monitor.sock,server=on,wait=off -mon chardev=charmonitor,id=monitor,mode=control ` +
      `-rtc base=utc -no-shutdown -no-acpi -boot strict=on ` +
      `-device '{"driver":"piix3-usb-uhci","id":"usb","bus":"pci.0","addr":"0x1.0x2"}' ` +
      `-netdev '{"type":"tap","fd":"3","id":"hostnet0"}' ` +
      `-device '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:00:00:01","bus":"pci.0","addr":"0x2"}' ` +
      `-audiodev '{"id":"audio1","driver":"none"}' ` +
      `-device '{"driver":"virtio-balloon-pci","id":"balloon0","bus":"pci.0","addr":"0x3"}' ` +
      `-sandbox on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny -msg timestamp=on\n`,
  );
});
