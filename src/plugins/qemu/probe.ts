// Probe an emulator binary over QMP (version, machine types with aliases, devices, accelerators,
// KVM), cached as JSON keyed by the binary's path and mtime.
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync, rmSync, accessSync, constants } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { errors, ErrorDomain } from "../../core/errors.ts";
import { Qmp } from "./qmp.ts";
import type { QemuCaps } from "./caps.ts";
import { schemaFlags } from "./schema.ts";

/** Bumped whenever what a probe records changes, so older cache files are re-probed. */
const CACHE_FORMAT = 5;

interface CacheFile {
  format: number;
  path: string;
  mtimeMs: number;
  version: number;
  arch: string;
  flags: string[];
  machines: QemuCaps["machines"];
  kvm: boolean;
}

const memo = new Map<string, QemuCaps & { kvm: boolean }>();

export function kvmUsable(): boolean {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export async function probeEmulator(path: string, cacheDir: string): Promise<QemuCaps & { kvm: boolean }> {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw errors.operationFailed(`Cannot find QEMU binary ${path}: No such file or directory`, ErrorDomain.QEMU);
  }
  const key = `${path}@${st.mtimeMs}`;
  const hit = memo.get(key);
  if (hit) return hit;
  const file = join(cacheDir, `${path.replace(/\//g, "_")}.json`);
  if (existsSync(file)) {
    try {
      const c = JSON.parse(readFileSync(file, "utf8")) as CacheFile;
      if (c.path === path && c.mtimeMs === st.mtimeMs && c.format === CACHE_FORMAT) return remember(key, c);
    } catch {}
  }
  const c = await runProbe(path, st.mtimeMs);
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(c));
  return remember(key, c);
}

function remember(key: string, c: CacheFile) {
  const caps = { emulator: c.path, version: c.version, arch: c.arch, flags: new Set(c.flags), machines: c.machines, canonicalize: true, kvm: c.kvm };
  memo.set(key, caps);
  return caps;
}

async function runProbe(path: string, mtimeMs: number): Promise<CacheFile> {
  const dir = join(tmpdir(), `bunvirt-probe-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { mode: 0o700 });
  const sock = join(dir, "qmp.sock");
  const accel = kvmUsable() ? "kvm:tcg" : "tcg";
  const proc = Bun.spawn({
    cmd: [path, "-machine", "none", "-accel", accel.split(":")[0]!, ...(accel.includes(":") ? ["-accel", "tcg"] : []), "-nodefaults", "-nographic", "-qmp", `unix:${sock},server=on,wait=off`],
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    for (let i = 0; i < 200 && !existsSync(sock); i++) {
      if (proc.exitCode !== null) break;
      await Bun.sleep(10);
    }
    if (!existsSync(sock)) {
      const err = await new Response(proc.stderr).text();
      throw errors.operationFailed(`${path} is not a usable QEMU binary: ${err.trim() || "no QMP monitor"}`, ErrorDomain.QEMU);
    }
    const q = await Qmp.connect(sock);
    const ver = await q.cmd("query-version");
    const machines = (await q.cmd("query-machines")) as any[];
    const kvm = (await q.cmd("query-kvm")) as { enabled: boolean; present: boolean };
    const types = ((await q.cmd("qom-list-types", { abstract: false })) as { name: string }[]).map((t) => t.name);
    const target = (await q.cmd("query-target")) as { arch: string };
    const schema = (await q.cmd("query-qmp-schema")) as Parameters<typeof schemaFlags>[0];
    // max-x86_64-cpu's 'migratable' property: libvirt's cpu.migratable.
    const props = async (typename: string) => ((await q.cmd("qom-list-properties", { typename }).catch(() => [])) as { name: string }[]).map((p) => p.name);
    const cpuProps = await props(`max-${target.arch}-cpu`);
    const fileProps = await props("memory-backend-file");
    // Machine-level 'hpet' (QEMU ≥ 8.0) replaces -no-hpet; VGA's vgamem_mb is libvirt's VGA.vgamem_mb.
    const defMachine = machines.find((m) => m["is-default"])?.name as string | undefined;
    const machineProps = defMachine ? await props(`${defMachine}-machine`) : [];
    const vgaProps = await props("VGA");
    q.close();
    const v = ver.qemu as { major: number; minor: number; micro: number };
    const ms = machines.map((m) => ({
      name: m.name as string,
      alias: m.alias as string | undefined,
      maxCpus: m["cpu-max"] as number,
      isDefault: !!m["is-default"],
      acpi: m.acpi as boolean | undefined,
      defaultRamId: m["default-ram-id"] as string | undefined,
      accel: "tcg",
    }));
    const version = v.major * 1e6 + v.minor * 1e3 + v.micro;
    const flags = [...types.map((t) => `device:${t}`), ...schemaFlags(schema), ...(cpuProps.includes("migratable") ? ["cpu.migratable"] : []),
      ...(fileProps.includes("x-use-canonical-path-for-ramblock-id") ? ["memory-backend-file.x-use-canonical-path-for-ramblock-id"] : []),
      ...(machineProps.includes("hpet") ? ["machine-hpet"] : []),
      ...(vgaProps.includes("vgamem_mb") ? ["VGA.vgamem_mb"] : [])];
    if (kvm.present && kvm.enabled) flags.push("kvm");
    return { format: CACHE_FORMAT, path, mtimeMs, version, arch: target.arch, flags, machines: [...ms, ...ms.map((m) => ({ ...m, accel: "kvm" }))], kvm: kvm.present && kvm.enabled };
  } finally {
    proc.kill("SIGKILL");
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}
