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
  // x86 QEMU needs RAM aligned to 1 MiB; with NUMA the initial RAM is the sum of the cells,
  // each aligned (libvirt's qemuDomainAlignMemorySizes).
  const boot = cells.length
    ? cells.reduce((s, c) => s + alignUp(toKiB(c.attrs.memory ?? "0", c.attrs.unit ?? "KiB"), 1024), 0)
    : alignUp(kibOf(ctx, "memory") - dimmTotal, 1024);
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
    // pc-dimm sizes are rounded up to 2 MiB, as libvirt does for x86.
    const kib = alignUp(toKiB(size.text ?? "0", size.a("unit") ?? "KiB"), 2048);
    const node = Number(target.t("node") ?? 0);
    const addr = d.child("address");
    const slot = addr?.a("slot") ?? String(i);
    addr?.a("type");
    const base = addr?.a("base");
    const src = d.child("source");
    const id = `memdimm${i}`;
    const o: Record<string, unknown> = { "qom-type": "memory-backend-ram", id, size: kib * 1024 };
    if (src) {
      if (src.kids.some((k) => k.name !== "pagesize" && k.name !== "nodemask")) throw unsupported(src.path());
      const ps = src.child("pagesize");
      if (ps) {
        // Hugepage-backed: a file on the hugetlbfs mount of that page size, preallocated.
        const page = toKiB(ps.text ?? "0", ps.a("unit") ?? "KiB");
        const mount = page === 2048 ? (ctx.opts.hugepagesDir ?? "/dev/hugepages2M") : page === 1048576 ? "/dev/hugepages1G" : undefined;
        if (!mount) throw unsupported(`${ps.path()} ${page} KiB`);
        o["qom-type"] = "memory-backend-file";
        delete o.size;
        Object.assign(o, { "mem-path": `${mount}/libvirt/qemu/${ctx.opts.id}-${ctx.name.slice(0, 20)}`, prealloc: true, size: kib * 1024 });
      }
      const mask = src.t("nodemask");
      if (mask !== undefined) Object.assign(o, { "host-nodes": expandSet(mask), policy: "bind" });
    }
    push(ctx, "-object", json(o));
    const dev: Record<string, unknown> = { driver: "pc-dimm", node, memdev: id, id: `dimm${i}`, slot: Number(slot) };
    if (base) dev.addr = Number(base);
    push(ctx, "-device", json(dev));
  });
}

/** A libvirt node/cpu set ("1-3,^2,5") as a sorted list. */
export function expandSet(spec: string): number[] {
  const on = new Set<number>();
  for (const part of spec.split(",").map((x) => x.trim()).filter(Boolean)) {
    const neg = part.startsWith("^");
    const [a, b] = part.replace("^", "").split("-").map(Number);
    for (let n = a!; n <= (b ?? a!); n++) neg ? on.delete(n) : on.add(n);
  }
  return [...on].sort((x, y) => x - y);
}
