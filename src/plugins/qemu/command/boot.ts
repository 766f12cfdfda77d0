// Boot order (as per-device bootindex, like libvirt with current QEMU), -boot, direct kernel boot.
import { push, unsupported, type Ctx } from "./context.ts";
import type { El } from "../xml.ts";

export function computeBootIndex(ctx: Ctx): void {
  const os = ctx.dom.child("os")!;
  const devs = ctx.devs.kids;
  for (const d of devs) {
    const b = d.kids.find((k) => k.name === "boot");
    if (b) {
      b.used = true;
      ctx.bootIndex.set(d, Number(b.a("order")));
      b.a("loadparm");
    }
  }
  const boots = os.all("boot");
  if (boots.length && ctx.bootIndex.size) throw unsupported("per-device boot elements cannot be used together with os/boot elements");
  const disks = devs.filter((k) => k.name === "disk");
  const pick: Record<string, () => El | undefined> = {
    hd: () => disks.find((d) => (d.attrs.device ?? "disk") === "disk"),
    cdrom: () => disks.find((d) => d.attrs.device === "cdrom"),
    fd: () => disks.find((d) => d.attrs.device === "floppy"),
    network: () => devs.find((k) => k.name === "interface"),
  };
  boots.forEach((b, i) => {
    const dev = b.a("dev")!;
    if (!pick[dev]) throw unsupported(`boot device '${dev}'`);
    const d = pick[dev]!();
    if (d && !ctx.bootIndex.has(d)) ctx.bootIndex.set(d, i + 1);
  });
}

export function validateBootMenu(os: El): void {
  const menu = os.kids.find((k) => k.name === "bootmenu");
  const t = menu?.attrs.timeout;
  if (t !== undefined && !(/^\d+$/.test(t) && Number(t) <= 65535)) {
    throw unsupported("invalid value for boot menu timeout, must be in range [0,65535]");
  }
}

export function buildBoot(ctx: Ctx): void {
  const os = ctx.dom.child("os")!;
  os.child("type");
  const menu = os.child("bootmenu");
  let opt = "";
  if (menu) {
    const on = menu.a("enable") === "yes";
    opt += `menu=${on ? "on" : "off"},`;
    const t = menu.a("timeout");
    if (on && t !== undefined) opt += `splash-time=${t},`;
  }
  push(ctx, "-boot", `${opt}strict=on`);
  for (const [el, flag] of [["kernel", "-kernel"], ["initrd", "-initrd"], ["cmdline", "-append"], ["dtb", "-dtb"]] as const) {
    const v = os.t(el);
    if (v !== undefined) push(ctx, flag, v);
  }
  for (const k of os.kids) if (!k.used) throw unsupported(k.path());
}
