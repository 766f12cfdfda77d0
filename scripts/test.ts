// npm test: pure suites first (unit, golden), then the CLI and the compiled binary, then every
// integration suite (root: containers, VMs, netdevs, daemon), each group in its own `bun test`
// process; then a leak check: anything the suites left behind on the host fails the run.
// Arguments are passed straight to `bun test` (e.g. `npm test -- test/unit`).
// Integration suites run one directory per process so a crash in one cannot hide another's result.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const testDir = join(root, "test");
const bun = process.execPath;

const totals = { pass: 0, fail: 0, skip: 0, todo: 0 };

/** Run one `bun test` process, echoing its output and adding its closing counts to `totals`. */
async function bunTest(paths: string[]): Promise<number> {
  const p = Bun.spawn([bun, "test", ...paths], { cwd: root, stdout: "inherit", stderr: "pipe", env: process.env });
  // bun test writes its report (and the closing " N pass" lines) to stderr: stream it through
  let err = "";
  const dec = new TextDecoder();
  for await (const chunk of p.stderr) {
    process.stderr.write(chunk);
    err += dec.decode(chunk, { stream: true });
  }
  await p.exited;
  for (const m of err.matchAll(/^ *(\d+) (pass|fail|skip|todo)$/gm)) totals[m[2] as keyof typeof totals] += Number(m[1]);
  if (p.exitCode !== 0 && !/^ *\d+ fail$/m.test(err)) totals.fail++; // a crash before the report
  return p.exitCode ?? 1;
}

if (process.argv.length > 2) process.exit(await bunTest(process.argv.slice(2)));

const FIRST = ["unit", "golden"];
const SECOND = ["cli"];
const dirs = readdirSync(testDir).filter((d) => statSync(join(testDir, d)).isDirectory()).sort();
const groups = [
  FIRST.filter((d) => dirs.includes(d)),
  SECOND.filter((d) => dirs.includes(d)),
  ...dirs.filter((d) => !FIRST.includes(d) && !SECOND.includes(d)).map((d) => [d]),
].filter((g) => g.length);
// BUNVIRT_TEST_GROUPS=unit,cli runs only those directories (still ordered, still leak-checked)
const only = process.env.BUNVIRT_TEST_GROUPS?.split(",").filter(Boolean);
const selected = only ? groups.map((g) => g.filter((d) => only.includes(d))).filter((g) => g.length) : groups;

/** What the suites could leak: netdevs, mounts, temp dirs, cgroups, processes. */
function snapshot(): Map<string, Set<string>> {
  const s = new Map<string, Set<string>>();
  const ls = (d: string, f: (n: string) => boolean = () => true) => {
    try {
      return readdirSync(d).filter(f);
    } catch {
      return [];
    }
  };
  s.set("netdev", new Set(ls("/sys/class/net")));
  s.set("mount", new Set(readFileSync("/proc/self/mounts", "utf8").split("\n").filter(Boolean)));
  s.set("tmp", new Set(ls(tmpdir(), (n) => n.startsWith("bunvirt"))));
  // a made-up HOME or path that some tool created at the top of the file system
  s.set("rootdir", new Set(ls("/")));
  const cg = new Set<string>();
  for (const c of ls("/sys/fs/cgroup")) {
    for (const n of ls(join("/sys/fs/cgroup", c), (n) => n.includes("bunvirt") || n.startsWith("machine"))) cg.add(`${c}/${n}`);
  }
  s.set("cgroup", cg);
  const procs = new Set<string>();
  for (const pid of ls("/proc", (n) => /^\d+$/.test(n))) {
    if (Number(pid) === process.pid) continue;
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ").trim();
    } catch {
      continue;
    }
    if (/bunvirt|qemu-system/.test(cmd) && !cmd.includes("scripts/test.ts")) procs.add(`${pid} ${cmd}`);
  }
  s.set("process", procs);
  return s;
}

const before = snapshot();
let failed = 0;
for (const g of selected) {
  console.log(`\n=== bun test ${g.map((d) => `test/${d}`).join(" ")}`);
  if (await bunTest(g.map((d) => `test/${d}`)) !== 0) failed++;
}

const leaked = () => {
  const out: string[] = [];
  for (const [kind, now] of snapshot()) for (const x of now) if (!before.get(kind)!.has(x)) out.push(`${kind}: ${x}`);
  return out;
};
let leaks = leaked();
// teardown may still be finishing (a supervisor reaping its container): look again shortly
for (let i = 0; leaks.length && i < 10; i++) {
  Bun.sleepSync(300);
  leaks = leaked();
}
if (leaks.length) {
  console.error(`\nleak check: the suites left ${leaks.length} thing(s) behind:\n  ${leaks.join("\n  ")}`);
  failed++;
} else console.log("\nleak check: nothing left behind");

// the plain closing line CI reads
console.log(`\n${totals.pass} passed, ${totals.fail} failed, ${totals.skip} skipped`);
if (failed) {
  console.error(`${failed} group(s) failed`);
  process.exit(1);
}
console.log(`\nall ${selected.length} test group(s) passed`);
