// cgroup v2 device access control: v2 has no devices.allow; the kernel asks a
// BPF_PROG_TYPE_CGROUP_DEVICE program instead. This encodes an allow-list as such a program
// (the same shape runc and crun generate) and attaches it to a cgroup directory.
//
// Context (struct bpf_cgroup_dev_ctx): u32 access_type = (access << 16) | type; u32 major; u32 minor
// type: 1 block, 2 char; access bits: 1 mknod, 2 read, 4 write. Return 1 = allow, 0 = deny.

import { ptr } from "bun:ffi";
import { errnoName } from "../errno.ts";
import { ExecError, closeFd, nativeExec, openFd } from "./index.ts";

export interface DeviceAllow {
  type: "a" | "b" | "c";
  major: number; // -1 = any
  minor: number; // -1 = any
  access: string; // subset of "rwm"
}

// instruction opcodes
const LDX_W = 0x61, ALU32_AND_K = 0x54, ALU32_RSH_K = 0x74, ALU32_MOV_X = 0xbc, ALU64_MOV_K = 0xb7;
const JNE_K = 0x55, JNE_X = 0x5d, EXIT = 0x95;

function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt8(code, 0);
  b.writeUInt8((src << 4) | dst, 1);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm, 4);
  return b;
}

/** The program: r2 = type, r3 = access, r4 = major, r5 = minor; each rule falls through to the
 * next when it does not match, and returns 1 when it does; the end returns 0. */
export function deviceProgram(rules: DeviceAllow[]): Buffer {
  const out: Buffer[] = [
    insn(LDX_W, 2, 1, 0, 0),
    insn(ALU32_AND_K, 2, 0, 0, 0xffff),
    insn(LDX_W, 3, 1, 0, 0),
    insn(ALU32_RSH_K, 3, 0, 0, 16),
    insn(LDX_W, 4, 1, 4, 0),
    insn(LDX_W, 5, 1, 8, 0),
  ];
  for (const r of rules) {
    // Each check is some instructions ending in a conditional jump past this rule's block.
    type Jump = { code: number; dst: number; src: number; imm: number };
    const checks: { pre: Buffer[]; jump: Jump }[] = [];
    if (r.type !== "a") checks.push({ pre: [], jump: { code: JNE_K, dst: 2, src: 0, imm: r.type === "b" ? 1 : 2 } });
    const acc = (r.access.includes("m") ? 1 : 0) | (r.access.includes("r") ? 2 : 0) | (r.access.includes("w") ? 4 : 0);
    if (acc !== 7) {
      // requested access must be a subset: (access & acc) == access
      checks.push({ pre: [insn(ALU32_MOV_X, 1, 3, 0, 0), insn(ALU32_AND_K, 1, 0, 0, acc)], jump: { code: JNE_X, dst: 1, src: 3, imm: 0 } });
    }
    if (r.major >= 0) checks.push({ pre: [], jump: { code: JNE_K, dst: 4, src: 0, imm: r.major } });
    if (r.minor >= 0) checks.push({ pre: [], jump: { code: JNE_K, dst: 5, src: 0, imm: r.minor } });
    // instructions after each jump up to the end of the block (the final "return 1" is 2)
    let after = checks.reduce((n, c) => n + c.pre.length + 1, 0) + 2;
    for (const c of checks) {
      after -= c.pre.length + 1;
      out.push(...c.pre, insn(c.jump.code, c.jump.dst, c.jump.src, after, c.jump.imm));
    }
    out.push(insn(ALU64_MOV_K, 0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0));
  }
  out.push(insn(ALU64_MOV_K, 0, 0, 0, 0), insn(EXIT, 0, 0, 0, 0));
  return Buffer.concat(out);
}

/** Load the allow-list program and attach it to the cgroup v2 directory `dir`. */
export function attachDeviceFilter(dir: string, rules: DeviceAllow[]): void {
  const prog = deviceProgram(rules);
  const fd = openFd(dir, 0o200000 /* O_DIRECTORY */);
  try {
    const r = nativeExec().bv_bpf_devices(ptr(prog), prog.length / 8, fd);
    if (r < 0) throw new ExecError(`attaching the device filter to ${dir} failed: ${errnoName(-r)}`, -r);
  } finally {
    closeFd(fd);
  }
}
