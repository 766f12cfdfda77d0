// create → running for a kernel-boot domain: bunvirt (in-process API) vs `virsh -c
// qemu:///system create` when libvirtd runs. Run: bun bench/qemu-start.ts [runs] [qemu|kvm]
// (the domain type; kvm starts under -accel kvm, see test/qemu/initramfs.ts about booting).
import { chmodSync, mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { qemuPlugin } from "../src/plugins/qemu/index.ts";
import { parseUri } from "../src/core/uri.ts";
import { buildInitramfs, kernelBootXml } from "../test/qemu/initramfs.ts";


const runs = Number(process.argv[2] ?? 5);
const type = process.argv[3] ?? "qemu";
const root = mkdtempSync(join(tmpdir(), "bunvirt-bench-qemu-"));
const initrd = join(root, "initrd.cpio");
buildInitramfs(initrd, "BENCH");
// libvirt runs QEMU as libvirt-qemu: it must be able to read the initramfs.
chmodSync(root, 0o755);
chmodSync(initrd, 0o644);
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
const ours: number[] = [];
for (let i = 0; i < runs; i++) {
  const t = performance.now();
  const dom = await conn.createXML(kernelBootXml(`bench${i}`, initrd, type));
  ours.push(performance.now() - t);
  await conn.destroy(dom);
}
await conn.close();
console.log(`[${type}] bunvirt create→running: median ${median(ours).toFixed(1)} ms (${ours.map((x) => x.toFixed(0)).join(" ")})`);

if (existsSync("/var/run/libvirt/libvirt-sock")) {
  const theirs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const f = join(root, `lv${i}.xml`);
    writeFileSync(f, kernelBootXml(`lvbench${i}`, initrd, type));
    const t = performance.now();
    const p = Bun.spawnSync(["virsh", "-c", "qemu:///system", "create", f]);
    theirs.push(performance.now() - t);
    if (p.exitCode !== 0) {
      console.log(`libvirt side failed: ${p.stderr.toString().trim().split("\n").pop()} (DESIGN.md anchor: 323 ms → ratio ${(median(ours) / 323).toFixed(2)}x)`);
      theirs.length = 0;
      break;
    }
    Bun.spawnSync(["virsh", "-c", "qemu:///system", "destroy", `lvbench${i}`]);
  }
  if (theirs.length) console.log(`[${type}] libvirt create→running: median ${median(theirs).toFixed(1)} ms; ratio ${(median(ours) / median(theirs)).toFixed(2)}x`);
} else console.log("libvirtd not running: libvirt side skipped");
rmSync(root, { recursive: true, force: true });
