// -machine, -accel, -cpu, -smp, -uuid, clock and power-management options.
import { json } from "./argv.ts";
import { push, unsupported, type Ctx } from "./context.ts";
import { findMachine, hasFlag } from "../caps.ts";

export function buildMachine(ctx: Ctx, hasNuma: boolean): void {
  const { dom } = ctx;
  const features = dom.child("features");
  const opts = [ctx.machine, "usb=off"];
  const vmport = features?.child("vmport")?.a("state");
  if (vmport) opts.push(`vmport=${vmport}`);
  opts.push("dump-guest-core=off");
  if (!hasNuma) opts.push("memory-backend=pc.ram");
  const clock = dom.child("clock");
  const hpet = clock?.all("timer").find((t) => t.attrs.name === "hpet");
  // The machine property where QEMU has it, else -no-hpet (emitted with the clock options).
  if (hpet && hasFlag(ctx.opts.caps, "machine-hpet")) opts.push(`hpet=${hpet.a("present") === "no" ? "off" : "on"}`);
  if (dom.child("devices")!.kids.some((k) => k.name === "sound" && k.attrs.model === "pcspk")) opts.push(`pcspk-audiodev=audio${ctx.audioId}`);
  if (dom.child("launchSecurity")) opts.push("confidential-guest-support=lsec0");
  // QEMU ≥ 8.0 machines have an 'acpi' property (probed per machine); older ones take -no-acpi.
  const acpiOn = !!features?.child("acpi");
  const accel = dom.a("type") === "kvm" ? "kvm" : "tcg";
  if (findMachine(ctx.opts.caps, ctx.machine, accel)?.acpi) opts.push(`acpi=${acpiOn ? "on" : "off"}`);
  else ctx.noAcpi = !acpiOn;
  if (features) {
    for (const f of features.kids) {
      f.used = true;
      // apic/pae have no command-line form with this QEMU; anything else we don't implement.
      if (!["acpi", "apic", "pae", "vmport"].includes(f.name)) throw unsupported(`${f.path()}`);
      for (const k of Object.keys(f.attrs)) if (f.name !== "vmport" || k !== "state") f.a(k);
    }
  }
  push(ctx, "-machine", opts.join(","));
  push(ctx, "-accel", dom.a("type") === "kvm" ? "kvm" : "tcg");
}

export function buildCpu(ctx: Ctx): void {
  const cpu = ctx.dom.child("cpu");
  const mode = cpu?.a("mode") ?? "custom";
  cpu?.a("match");
  cpu?.a("check");
  if (mode === "host-passthrough") {
    // libvirt defaults host-passthrough to migratable=on when QEMU's host CPU has that property.
    const mig = cpu?.a("migratable") ?? "on";
    push(ctx, "-cpu", hasFlag(ctx.opts.caps, "cpu.migratable") ? `host,migratable=${mig}` : "host");
  }
  else if (mode === "custom") {
    const model = cpu?.child("model");
    model?.a("fallback");
    push(ctx, "-cpu", model?.text ?? "qemu64");
  } else throw unsupported(`cpu mode '${mode}'`);
}

export function buildSmp(ctx: Ctx): void {
  const vcpu = ctx.dom.child("vcpu")!;
  vcpu.a("placement");
  vcpu.a("cpuset");
  const max = Number(vcpu.text ?? 1);
  const cur = Number(vcpu.a("current") ?? max);
  const topo = ctx.dom.child("cpu")?.child("topology");
  let s = String(cur);
  if (cur !== max) s += `,maxcpus=${max}`;
  if (topo) {
    const sockets = topo.a("sockets") ?? "1";
    const dies = topo.a("dies") ?? "1";
    const clusters = topo.a("clusters") ?? "1";
    const cores = topo.a("cores") ?? "1";
    const threads = topo.a("threads") ?? "1";
    if (Number(sockets) * Number(dies) * Number(clusters) * Number(cores) * Number(threads) !== max) {
      throw unsupported("CPUs topology doesn't match maximum vcpu count");
    }
    const caps = ctx.opts.caps;
    s += `,sockets=${sockets}${hasFlag(caps, "smp-dies") ? `,dies=${dies}` : ""}${hasFlag(caps, "smp-clusters") ? `,clusters=${clusters}` : ""},cores=${cores},threads=${threads}`;
  } else s += `,sockets=${max},cores=1,threads=1`;
  push(ctx, "-smp", s);
}

export function buildClock(ctx: Ctx): void {
  const clock = ctx.dom.child("clock");
  const offset = clock?.a("offset") ?? "utc";
  if (offset !== "utc" && offset !== "localtime") throw unsupported(`clock offset '${offset}'`);
  let rtc = `base=${offset}`;
  const globals: string[] = [];
  for (const t of clock?.all("timer") ?? []) {
    const name = t.a("name");
    const policy = t.a("tickpolicy");
    t.a("present");
    if (name === "rtc" && policy === "catchup") rtc += ",driftfix=slew";
    else if (name === "pit" && policy === "delay") globals.push("kvm-pit.lost_tick_policy=delay");
    else if (name === "hpet" || (name && !policy)) continue;
    else throw unsupported(`timer '${name}' tickpolicy '${policy}'`);
  }
  push(ctx, "-rtc", rtc);
  for (const g of globals) push(ctx, "-global", g);
  const hpet = clock?.all("timer").find((t) => t.attrs.name === "hpet");
  if (hpet?.attrs.present === "no" && !hasFlag(ctx.opts.caps, "machine-hpet")) push(ctx, "-no-hpet");
}

export function buildPower(ctx: Ctx): void {
  const { dom } = ctx;
  for (const n of ["on_poweroff", "on_reboot", "on_crash"]) {
    const v = dom.t(n);
    if (v && !["destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart"].includes(v)) {
      throw unsupported(`${n} action '${v}'`);
    }
  }
  // The driver implements on_* itself from QMP events; QEMU must only stop, never exit.
  push(ctx, "-no-shutdown");
  if (ctx.noAcpi) push(ctx, "-no-acpi");
  const pm = dom.child("pm");
  if (pm) {
    for (const [el, n] of [["suspend-to-mem", "s3"], ["suspend-to-disk", "s4"]] as const) {
      const e = pm.child(el);
      if (!e) continue;
      const on = e.a("enabled") === "yes";
      push(ctx, "-global", `${ctx.q35 ? "ICH9-LPC" : "PIIX4_PM"}.disable_${n}=${on ? 0 : 1}`);
    }
  }
}

export function buildSecurity(ctx: Ctx): void {
  const ls = ctx.dom.child("launchSecurity");
  if (!ls) return;
  if (ls.a("type") !== "sev") throw unsupported(`launchSecurity type '${ls.attrs.type}'`);
  ls.a("kernelHashes");
  const o: Record<string, unknown> = { "qom-type": "sev-guest", id: "lsec0" };
  o.cbitpos = Number(ls.t("cbitpos"));
  o["reduced-phys-bits"] = Number(ls.t("reducedPhysBits"));
  o.policy = Number(ls.t("policy"));
  if (ls.t("dhCert") !== undefined) o["dh-cert-file"] = `${ctx.opts.libDir}/${ctx.domainDir}/dh_cert.base64`;
  if (ls.t("session") !== undefined) o["session-file"] = `${ctx.opts.libDir}/${ctx.domainDir}/session.base64`;
  if (ls.attrs.kernelHashes === "yes") o["kernel-hashes"] = true;
  push(ctx, "-object", json(o));
}
