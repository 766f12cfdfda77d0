// A tiny initramfs for test guests: cpio "newc" written here, with busybox and an /init script.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { POLLIN, poll, read } from "../../src/ffi/libc.ts";

interface Entry {
  name: string;
  mode: number;
  data?: Uint8Array;
  rdev?: [number, number];
}

function newc(entries: Entry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  const pad4 = (n: number) => (4 - (n % 4)) % 4;
  let ino = 1;
  const add = (e: Entry) => {
    const data = e.data ?? new Uint8Array();
    const name = enc.encode(e.name + "\0");
    const h = (n: number) => n.toString(16).padStart(8, "0");
    const hdr = "070701" + [ino++, e.mode, 0, 0, 1, 0, data.length, 0, 0, e.rdev?.[0] ?? 0, e.rdev?.[1] ?? 0, name.length, 0].map(h).join("");
    parts.push(enc.encode(hdr), name, new Uint8Array(pad4(110 + name.length)), data, new Uint8Array(pad4(data.length)));
  };
  for (const e of entries) add(e);
  add({ name: "TRAILER!!!", mode: 0 });
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Write an initramfs whose init prints `marker` on the console, then powers off. The pause
 * lets a console reader drain the pty: on poweroff the driver ends QEMU (on_poweroff=destroy),
 * and a pty's unread input is dropped when QEMU closes its side. `then` picks what init does
 * after the marker instead: "stay" sleeps (the guest stays up), "reboot" reboots the guest
 * (`reboot -f`, after the same pause). */
export function buildInitramfs(path: string, marker: string, then: "poweroff" | "stay" | "reboot" = "poweroff"): void {
  const tail = then === "stay" ? "/bin/busybox sleep 1000\n" : `/bin/busybox sleep 1\n/bin/busybox ${then} -f\n`;
  const init = `#!/bin/busybox sh\n/bin/busybox mount -t proc proc /proc\necho ${marker}\n${tail}`;
  writeFileSync(
    path,
    newc([
      { name: "bin", mode: 0o40755 },
      { name: "proc", mode: 0o40755 },
      { name: "dev", mode: 0o40755 },
      { name: "dev/console", mode: 0o20600, rdev: [5, 1] }, // init's stdio: the serial console
      { name: "bin/busybox", mode: 0o100755, data: readFileSync("/bin/busybox") },
      { name: "init", mode: 0o100755, data: new TextEncoder().encode(init) },
    ]),
  );
}

export function hostKernel(): string | undefined {
  try {
    const k = readdirSync("/boot").filter((f) => f.startsWith("vmlinuz-")).sort().pop();
    return k ? `/boot/${k}` : undefined;
  } catch {
    return undefined;
  }
}

// TCG: these hosts are Firecracker VMs (kernel 6.18-fc) with nested /dev/kvm. Under -accel kvm the
// Debian 6.1 kernel never leaves its decompressor: serial shows SeaBIOS, "Probing EDD… ok" and
// (with earlyprintk) "KASLR disabled", then nothing for 90 s; HMP `info registers` shows RIP
// cycling in 0x4f3a56b–0x4f3a782 (the relocated decompressor) with RSI/RDI changing. Same with
// -cpu qemu64/host/max, host minus pdpe1gb or minus avx*/xsave, q35, kernel-irqchip=off, plain
// qemu-system-x86_64 without bunvirt. Real-mode firmware runs fine; long-mode guest code does not
// progress. TCG boots the same kernel in ~2 s. kvm domains are still started for real (boot.test.ts).
export function kernelBootXml(name: string, initrd: string, type = "qemu"): string {
  return `<domain type='${type}'>
  <name>${name}</name>
  <uuid>${crypto.randomUUID()}</uuid>
  <memory unit='MiB'>256</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>${hostKernel()}</kernel>
    <initrd>${initrd}</initrd>
    <cmdline>console=ttyS0 panic=-1 quiet</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='pty'><target port='0'/></serial>
    <console type='pty'><target type='serial' port='0'/></console>
    <memballoon model='none'/>
  </devices>
</domain>`;
}

export const count = (s: string, m: string) => s.split(m).length - 1;

/** Read a console fd until `marker` has shown up `times` times or time runs out. */
export async function readUntil(fd: number, marker: string, ms: number, times = 1, text = ""): Promise<string> {
  const buf = new Uint8Array(4096);
  const end = Date.now() + ms;
  while (Date.now() < end && count(text, marker) < times) {
    if (poll([{ fd, events: POLLIN }], 0) > 0) {
      let n = 0;
      try {
        n = read(fd, buf);
      } catch {
        break;
      }
      if (n <= 0) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    } else await Bun.sleep(20);
  }
  return text;
}
