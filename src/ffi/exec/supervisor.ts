// The per-container supervisor's ELF image: the embedded build (supervisor.gen.ts) when it
// matches supervisor.c, else compiled on demand with gcc into a cache dir (development/tests).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import source from "./supervisor.c" with { type: "text" };
import * as gen from "./supervisor.gen.ts";
import { memfdWith } from "./index.ts";

export function supervisorSourceHash(): string {
  return new Bun.CryptoHasher("sha256").update(source).digest("hex").slice(0, 16);
}

const GCC_FLAGS = [
  "-Os", "-static", "-nostdlib", "-ffreestanding", "-fno-builtin", "-fno-stack-protector",
  "-fno-asynchronous-unwind-tables", "-fno-pie", "-no-pie", "-Wl,--gc-sections", "-Wl,--build-id=none", "-s",
];

/** Compile supervisor.c with gcc; returns the ELF bytes. */
export function compileSupervisor(): Buffer {
  const dir = mkdtempSync(join(tmpdir(), "bunvirt-sup-"));
  try {
    const src = join(dir, "supervisor.c");
    const out = join(dir, "supervisor");
    writeFileSync(src, source, { mode: 0o600 });
    const r = spawnSync("gcc", [...GCC_FLAGS, "-o", out, src], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`building the supervisor with gcc failed: ${r.error?.message ?? r.stderr}`);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

let elf: Buffer | undefined;
export function supervisorElf(): Buffer {
  if (elf) return elf;
  const hash = supervisorSourceHash();
  if (gen.sourceHash === hash && gen.elfBase64) return (elf = Buffer.from(gen.elfBase64, "base64"));
  // The source changed since the last embed: build it (tests, development trees).
  const cacheDir = join(process.env.XDG_CACHE_HOME || join(process.env.HOME || tmpdir(), ".cache"), "bunvirt");
  const cached = join(cacheDir, `supervisor-${hash}`);
  if (existsSync(cached)) return (elf = readFileSync(cached));
  const bytes = compileSupervisor();
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  writeFileSync(`${cached}.tmp${process.pid}`, bytes, { mode: 0o600 });
  renameSync(`${cached}.tmp${process.pid}`, cached);
  return (elf = bytes);
}

let memfd: number | undefined;
/** A memfd (O_CLOEXEC) holding the supervisor, kept open for this process's lifetime. */
export function supervisorMemfd(): number {
  if (memfd === undefined) memfd = memfdWith(supervisorElf());
  return memfd;
}
