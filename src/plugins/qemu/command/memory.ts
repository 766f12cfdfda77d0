// Guest RAM: -m, the memory backend objects, NUMA nodes and DIMMs.
import { errors } from "../../../core/errors.ts";
import { json } from "./argv.ts";
import { hasFlag } from "../caps.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import { alignUp, toKiB } from "../units.ts";

const kibOf = (ctx: Ctx, n: string) => Number(ctx.dom.child(n)?.text ?? 0);

export function numaCells(ctx: Ctx) {
  return ctx.dom.child("cpu")?.child("numa")?.all("cell") ?? [];
}

export function buildMemory(ctx: Ctx): void {
  const { dom } = ctx;
  dom.child("currentMemory")?.a("unit");
  dom.child("memory")!.a("unit");
  const cells = numaCells(ctx);
  const dimms = ctx.devs.all("memory");
  const max = dom.child("maxMemory");
  if (max && !cells.length) throw unsupported("At least one numa node has to be configured when enabling memory hotplug");
  const dimmTotal = dimms.reduce((s, d) => s + Number(d.child("target")?.child("size")?.text ?? 0), 0);
  // x86 QEMU needs RAM aligned to 1 MiB; NUMA cells are aligned one by one.
  let boot = alignUp(kibOf(ctx, "memory") - dimmTotal, 1024);
  let m = `size=${boot}k`;
  if (max) {
    max.a("unit");
    m += `,slots=${max.a("slots")},maxmem=${max.text}k`;
  }
  const backing = dom.child("memoryBacking");
  if (backing) {
    if (backing.kids.length !== 1 || backing.kids[0]!.name !== "hugepages" || backing.kids[0]!.kids.length) throw unsupported(backing.path());
    backing.child("hugepages");
  }
  push(ctx, "-m", m);
  if (!cells.length) {
    const o: Record<string, unknown> = backing
      ? {
        "qom-type": "memory-backend-file", id: "pc.ram", "mem-path": `${ctx.opts.hugepagesDir ?? "/dev/hugepages2M"}/libvirt/qemu/${ctx.opts.id}-${ctx.name.slice(0, 20)}`,
        // Keeps the RAM block named 'pc.ram' as with plain RAM, so migration streams stay compatible.
        ...(hasFlag(ctx.opts.caps, "memory-backend-file.x-use-canonical-path-for-ramblock-id") ? { "x-use-canonical-path-for-ramblock-id": false } : {}),
        prealloc: true, size: boot * 1024,
      }
      : { "qom-type": "memory-backend-ram", id: "pc.ram", size: boot * 1024 };
    push(ctx, "-object", json(o));
  }
  void boot;
}

export function buildNuma(ctx: Ctx): void {
  const cells = numaCells(ctx);
  if (!cells.length) return;
  let total = 0;
  const lines: string[][] = [];
  for (const c of cells) {
    const id = c.a("id") ?? String(cells.indexOf(c));
    const kib = toKiB(c.a("memory") ?? "0", c.a("unit") ?? "KiB");
    const aligned = alignUp(kib, 1024);
    if (aligned > 2 ** 53 / 1024) throw unsupported(`memory size of NUMA node '${id}' overflowed after alignment`);
    total += aligned;
    lines.push(["-object", json({ "qom-type": "memory-backend-ram", id: `ram-node${id}`, size: aligned * 1024 }), "-numa", `node,nodeid=${id},cpus=${c.a("cpus")},memdev=ram-node${id}`]);
  }
  void total;
  for (const l of lines) push(ctx, ...l);
}

export function buildDimms(ctx: Ctx): void {
  const dimms = ctx.devs.all("memory");
  dimms.forEach((d, i) => {
    if (d.a("model") !== "dimm") throw unsupported(`memory model '${d.attrs.model}'`);
    const target = d.child("target")!;
    const size = target.child("size")!;
    const kib = toKiB(size.text ?? "0", size.a("unit") ?? "KiB");
    const node = Number(target.t("node") ?? 0);
    const addr = d.child("address");
    const slot = addr?.a("slot") ?? String(i);
    addr?.a("type");
    const base = addr?.a("base");
    const src = d.child("source");
    const id = `memdimm${i}`;
    const o: Record<string, unknown> = { "qom-type": "memory-backend-ram", id, size: kib * 1024 };
    if (src) {
      if (d.a("access") || src.kids.some((k) => k.name !== "pagesize" && k.name !== "nodemask")) throw unsupported(src.path());
      throw errors.configUnsupported(`${src.path()}`);
    }
    push(ctx, "-object", json(o));
    const dev: Record<string, unknown> = { driver: "pc-dimm", node, memdev: id, id: `dimm${i}`, slot: Number(slot) };
    if (base) dev.addr = Number(base);
    push(ctx, "-device", json(dev));
  });
}
