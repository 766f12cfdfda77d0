// Our domxml-to-native output vs libvirt 9.0's (test/golden/qemu-host/*.args) for the same
// inputs, using the host QEMU's probed capabilities. See qemu-host/README.md for the normalisation.
import { readFileSync, readdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { probeEmulator } from "../../src/plugins/qemu/probe.ts";
import { xmlToNative } from "../../src/plugins/qemu/native.ts";

export const HOST_DIR = join(import.meta.dir, "qemu-host");

/** Differences that come from the fd numbers libvirtd happened to have free, and from libvirt
 * 9.0 vs 10.x (the reference we implement): `-m N` became `-m size=Nk`, and q35 guests gained
 * the implicit iTCO watchdog (libvirt 9.1), i.e. `-global ICH9-LPC.noreboot=off -watchdog-action reset`,
 * a protocol node's "cache" moved after "discard", -smp gained clusters= (libvirt 10.0), and
 * -no-hpet became the machine property hpet=off where QEMU has it (QEMU ≥ 5.2 does).
 * Applied to both sides. */
export function normalise(s: string): string {
  return s
    .replace(/"fd":"\d+"/g, '"fd":"N"')
    .replace(/ -m (\d+) /, (_, m) => ` -m size=${Number(m) * 1024}k `)
    .replace(" -global ICH9-LPC.noreboot=off -watchdog-action reset", "")
    .replace(/(-smp \S*dies=\d+),(cores=)/, "$1,clusters=1,$2")
    .replace(/(-machine \S+),hpet=off /, "$1 ")
    .replace(" -no-hpet", "")
    .replace(/("cache":\{[^}]*\}),("auto-read-only":true,"discard":"unmap")/g, "$2,$1");
}

/** The inputs: NAME.xml (NAME.inactive.xml is libvirt's dumpxml of it). */
export const inputs = () => readdirSync(HOST_DIR).filter((f) => f.endsWith(".xml") && !f.endsWith(".inactive.xml")).sort();

export async function hostCases(): Promise<{ name: string; ours: string; theirs: string }[]> {
  const cache = mkdtempSync(join(tmpdir(), "bunvirt-caps-"));
  try {
    const caps = await probeEmulator("/usr/bin/qemu-system-x86_64", cache);
    return inputs().map((f) => {
      const theirs = readFileSync(join(HOST_DIR, f.replace(/\.xml$/, ".args")), "utf8");
      const path = /^LC_ALL=C PATH=(\S+) /.exec(theirs)?.[1];
      let ours: string;
      try {
        ours = xmlToNative(readFileSync(join(HOST_DIR, f), "utf8"), caps, "/var/lib/libvirt/qemu", "/var/run/libvirt/qemu", { PATH: path });
      } catch (e) {
        ours = `error: ${(e as Error).message}\n`;
      }
      return { name: f.replace(/\.xml$/, ""), ours: normalise(ours), theirs: normalise(theirs) };
    });
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const split = (s: string) => s.split(/ (?=-[a-z])/);
  let pass = 0;
  const all = await hostCases();
  for (const c of all) {
    if (c.ours === c.theirs) pass++;
    else if (process.argv.includes("-v")) {
      const a = split(c.ours), b = split(c.theirs);
      console.log(`== ${c.name}\n` + b.filter((x) => !a.includes(x)).map((x) => `- ${x}`).join("\n") + "\n" + a.filter((x) => !b.includes(x)).map((x) => `+ ${x}`).join("\n"));
    }
  }
  console.log(`host libvirt 9.0 / QEMU 7.2: ${pass}/${all.length}`);
}

/** libvirt 9.0 → 10.x changes in the defined XML: topology gained clusters (10.0), q35 gained the
 * implicit iTCO watchdog (9.1), and virtio consoles behind the serial compat console are
 * renumbered from 1. Applied to both sides, plus virsh's trailing blank line. */
export function normaliseXml(s: string): string {
  return s
    .replace(/ clusters='1'/g, "")
    .replace(/\n\s*<watchdog model='itco' action='reset'\/>/g, "")
    .replace(/<target type='virtio' port='\d+'\/>/g, "<target type='virtio' port='N'/>")
    .trimEnd() + "\n";
}

/** define + dumpxml --inactive through our driver vs libvirt's NAME.inactive.xml. */
export async function hostXmlCases(): Promise<{ name: string; ours: string; theirs: string }[]> {
  const { qemuPlugin } = await import("../../src/plugins/qemu/index.ts");
  const { parseUri } = await import("../../src/core/uri.ts");
  const root = mkdtempSync(join(tmpdir(), "bunvirt-host-xml-"));
  const conn = await qemuPlugin().open(parseUri(`qemu:///embed?root=${root}`));
  try {
    const out: { name: string; ours: string; theirs: string }[] = [];
    for (const f of inputs()) {
      const name = f.replace(/\.xml$/, "");
      const dom = await conn.defineXML(readFileSync(join(HOST_DIR, f), "utf8"));
      const ours = await conn.getXMLDesc(dom, 2 /* VIR_DOMAIN_XML_INACTIVE */);
      await conn.undefine(dom);
      out.push({ name, ours: normaliseXml(ours), theirs: normaliseXml(readFileSync(join(HOST_DIR, `${name}.inactive.xml`), "utf8")) });
    }
    return out;
  } finally {
    await conn.close();
    rmSync(root, { recursive: true, force: true });
  }
}
