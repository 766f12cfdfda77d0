// Runs libvirt's qemuxmlconfdata cases through our defaults + command-line builder with the
// fixed environment of libvirt's test harness (see conformance/README.md).
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parseCapsXml, type QemuCaps } from "../../src/plugins/qemu/caps.ts";
import { parseXml, formatXml } from "../../src/plugins/qemu/xml.ts";
import { applyDefaults } from "../../src/plugins/qemu/defaults.ts";
import { buildCommand, formatArgs, type FdSource } from "../../src/plugins/qemu/command/index.ts";

export const DATA = join(import.meta.dir, "../../../shared/conformance/libvirt/tests");
export const CONF = join(DATA, "qemuxmlconfdata");

let caps: QemuCaps | undefined;
export function testCaps(): QemuCaps {
  if (!caps) {
    caps = parseCapsXml(readFileSync(join(DATA, "qemucapabilitiesdata/caps_9.1.0_x86_64.xml"), "utf8"));
    caps.canonicalize = false; // libvirt's test harness keeps 'pc'/'q35' for the latest caps
  }
  return caps;
}

/** libvirt's mocked fd numbers. */
export const fakeFds: FdSource = {
  monitor: () => 1729,
  tap: (_n, _i, q, kind) => Array.from({ length: q }, (_, j) => (kind === "ethernet" ? 3 : 102) + j),
  vhost: (_n, _i, q) => Array.from({ length: q }, (_, j) => 44 + j),
  listenSocket: () => 1729,
  outputFile: () => 1750,
};

export interface CaseResult {
  name: string;
  args?: string;
  xml?: string;
  error?: string;
}

export function runCase(name: string): CaseResult {
  const r: CaseResult = { name };
  try {
    const dom = parseXml(readFileSync(join(CONF, `${name}.xml`), "utf8"));
    applyDefaults(dom, { caps: testCaps() });
    r.xml = formatXml(dom);
    const cmd = buildCommand(dom, {
      caps: testCaps(),
      id: -1,
      libDir: "/var/lib/libvirt/qemu",
      runDir: "/var/run/libvirt/qemu",
      env: { PATH: "/bin", USER: "test", LOGNAME: "test" },
      fds: fakeFds,
      isCdrom: (p) => p === "/dev/cdrom", // libvirt's test mock: the only host CD-ROM
    });
    r.args = formatArgs(cmd.env, cmd.argv);
  } catch (e) {
    r.error = (e as Error).message;
  }
  return r;
}

export function cases(): { name: string; args?: string; err?: string; xml?: string }[] {
  const files = new Set(readdirSync(CONF));
  return [...files]
    .filter((f) => f.endsWith(".x86_64-latest.args") || f.endsWith(".x86_64-latest.err"))
    .map((f) => f.replace(/\.x86_64-latest\.(args|err)$/, ""))
    .sort()
    .map((name) => {
      const read = (s: string) => {
        if (!files.has(`${name}.${s}`)) return undefined;
        const text = readFileSync(join(CONF, `${name}.${s}`), "utf8");
        // A symlink checked out as a plain file holds its target's name: the output equals that file.
        return /^[\w.+-]+\.xml\n?$/.test(text) ? readFileSync(join(CONF, text.trim()), "utf8") : text;
      };
      return { name, args: read("x86_64-latest.args"), err: read("x86_64-latest.err"), xml: existsSync(join(CONF, `${name}.x86_64-latest.xml`)) ? read("x86_64-latest.xml") : undefined };
    });
}

if (import.meta.main) {
  let argsPass = 0, argsTotal = 0, errPass = 0, errTotal = 0, xmlPass = 0, xmlTotal = 0;
  const fails: string[] = [];
  for (const c of cases()) {
    const r = runCase(c.name);
    if (c.args !== undefined) {
      argsTotal++;
      if (r.args === c.args) argsPass++;
      else fails.push(`${c.name}: ${r.error ?? "args differ"}`);
    }
    if (c.err !== undefined) {
      errTotal++;
      if (r.error !== undefined && r.error + "\n" === c.err) errPass++;
      else fails.push(`${c.name}: expected error, got ${r.error ?? "success"}`);
    }
    if (c.xml !== undefined) {
      xmlTotal++;
      if (r.xml === c.xml) xmlPass++;
    }
  }
  if (process.argv.includes("-v")) console.log(fails.join("\n"));
  console.log(`args ${argsPass}/${argsTotal}  err ${errPass}/${errTotal}  xml ${xmlPass}/${xmlTotal}`);
}
