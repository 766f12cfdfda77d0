// Capabilities XML: libvirt's layout from a host model, and a host model read from this machine.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { formatCapabilities, hostArch, hostCapabilities, parseCpuList, probeHost } from "../../src/core/capabilities.ts";
import type { GuestCaps } from "../../src/core/driver.ts";

const lxcGuest: GuestCaps = { osType: "exe", arch: "x86_64", wordsize: 64, emulator: "/usr/libexec/bunvirt", domains: [{ type: "lxc" }] };
const kvmGuest: GuestCaps = {
  osType: "hvm",
  arch: "x86_64",
  wordsize: 64,
  emulator: "/usr/bin/qemu-system-x86_64",
  machines: [{ name: "pc-i440fx-7.2", maxCpus: 255 }, { name: "pc", canonical: "pc-i440fx-7.2", maxCpus: 255 }],
  domains: [{ type: "qemu" }, { type: "kvm", emulator: "/usr/bin/qemu-system-x86_64" }],
  features: [{ name: "acpi", default: "on", toggle: "yes" }, { name: "apic", default: "on", toggle: "no" }],
};

describe("formatCapabilities", () => {
  test("host and guests in libvirt's element order and spacing", () => {
    const xml = formatCapabilities(
      {
        uuid: "a25c794c-34ad-11b2-a85c-b030533115b8",
        arch: "x86_64",
        vendor: "Intel",
        microcode: 45,
        topology: { sockets: 1, dies: 1, cores: 2, threads: 1 },
        maxPhysAddrBits: 39,
        pageSizes: [4, 2048],
        powerManagement: ["suspend_mem"],
        iommu: false,
        migration: { live: true, transports: ["tcp"] },
        cells: [{ id: 0, memoryKiB: 4096, pages: [{ size: 4, count: 1024 }, { size: 2048, count: 0 }], distances: [{ id: 0, value: 10 }], cpus: [{ id: 0, socketId: 0, dieId: 0, coreId: 0, siblings: "0" }] }],
        cache: [{ id: 0, level: 3, type: "both", size: 20, unit: "MiB", cpus: "0-1" }],
        secmodels: [{ model: "none", doi: "0" }],
      },
      [lxcGuest, kvmGuest],
    );
    expect(xml).toBe(`<capabilities>

  <host>
    <uuid>a25c794c-34ad-11b2-a85c-b030533115b8</uuid>
    <cpu>
      <arch>x86_64</arch>
      <vendor>Intel</vendor>
      <microcode version='45'/>
      <topology sockets='1' dies='1' cores='2' threads='1'/>
      <maxphysaddr mode='emulate' bits='39'/>
      <pages unit='KiB' size='4'/>
      <pages unit='KiB' size='2048'/>
    </cpu>
    <power_management>
      <suspend_mem/>
    </power_management>
    <iommu support='no'/>
    <migration_features>
      <live/>
      <uri_transports>
        <uri_transport>tcp</uri_transport>
      </uri_transports>
    </migration_features>
    <topology>
      <cells num='1'>
        <cell id='0'>
          <memory unit='KiB'>4096</memory>
          <pages unit='KiB' size='4'>1024</pages>
          <pages unit='KiB' size='2048'>0</pages>
          <distances>
            <sibling id='0' value='10'/>
          </distances>
          <cpus num='1'>
            <cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0'/>
          </cpus>
        </cell>
      </cells>
    </topology>
    <cache>
      <bank id='0' level='3' type='both' size='20' unit='MiB' cpus='0-1'/>
    </cache>
    <secmodel>
      <model>none</model>
      <doi>0</doi>
    </secmodel>
  </host>

  <guest>
    <os_type>exe</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/libexec/bunvirt</emulator>
      <domain type='lxc'/>
    </arch>
  </guest>

  <guest>
    <os_type>hvm</os_type>
    <arch name='x86_64'>
      <wordsize>64</wordsize>
      <emulator>/usr/bin/qemu-system-x86_64</emulator>
      <machine maxCpus='255'>pc-i440fx-7.2</machine>
      <machine canonical='pc-i440fx-7.2' maxCpus='255'>pc</machine>
      <domain type='qemu'/>
      <domain type='kvm'>
        <emulator>/usr/bin/qemu-system-x86_64</emulator>
      </domain>
    </arch>
    <features>
      <acpi default='on' toggle='yes'/>
      <apic default='on' toggle='no'/>
    </features>
  </guest>

</capabilities>
`);
  });
});

describe("probeHost (this machine)", () => {
  const h = probeHost();
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const online = parseCpuList(readFileSync("/sys/devices/system/cpu/online", "utf8"));

  test("arch, uuid, secmodel", () => {
    expect(h.arch).toBe(hostArch());
    expect(["x86_64", "aarch64", "i686", "ppc64le", "s390x", "riscv64"]).toContain(h.arch);
    expect(h.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(h.secmodels).toEqual([{ model: "none", doi: "0" }]);
  });

  test("every online cpu appears in exactly one NUMA cell", () => {
    const ids = h.cells.flatMap((c) => c.cpus.map((x) => x.id)).sort((a, b) => a - b);
    expect(ids).toEqual(online);
    expect((cpuinfo.match(/^processor\s*:/gm) ?? []).length).toBe(online.length);
  });

  test("cell memory is the node's MemTotal (or the host's without NUMA)", () => {
    for (const c of h.cells) {
      let text: string;
      try {
        text = readFileSync(`/sys/devices/system/node/node${c.id}/meminfo`, "utf8");
      } catch {
        text = readFileSync("/proc/meminfo", "utf8");
      }
      expect(c.memoryKiB).toBe(Number(/MemTotal:\s+(\d+) kB/.exec(text)![1]));
      expect(c.pages[0]!.size).toBe(4);
      const huge = c.pages.slice(1).reduce((a, p) => a + p.size * p.count, 0);
      expect(c.pages[0]!.count).toBe(Math.floor((c.memoryKiB - huge) / 4));
    }
  });

  test("topology multiplies out to the cpu count", () => {
    const t = h.topology!;
    expect(t.sockets * t.dies * t.cores * t.threads).toBe(online.length);
  });

  test("parseCpuList", () => {
    expect(parseCpuList("0-3,8,10-11\n")).toEqual([0, 1, 2, 3, 8, 10, 11]);
    expect(parseCpuList("")).toEqual([]);
  });

  test("hostCapabilities is a document with this host and the given guests", () => {
    const xml = hostCapabilities([lxcGuest]);
    expect(xml.startsWith("<capabilities>\n\n  <host>\n")).toBe(true);
    expect(xml).toContain(`    <cpu>\n      <arch>${h.arch}</arch>\n`);
    expect(xml.endsWith("  <guest>\n    <os_type>exe</os_type>\n    <arch name='x86_64'>\n      <wordsize>64</wordsize>\n      <emulator>/usr/libexec/bunvirt</emulator>\n      <domain type='lxc'/>\n    </arch>\n  </guest>\n\n</capabilities>\n")).toBe(true);
  });
});
