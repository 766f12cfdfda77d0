// Formatter behaviour beyond the golden files: escaping, live vs inactive, normalisation,
// libvirt's device and attribute order, round trips of every modelled element.
import { describe, expect, test } from "bun:test";
import { formatDomainXml, parseDomainXml } from "../../src/core/conf/index.ts";

const head = `<domain type='kvm'>
  <name>vm</name>
  <uuid>0a3c8d52-7f7e-4c2b-9a47-1d3e5f6a7b8c</uuid>
  <memory unit='KiB'>1048576</memory>
  <currentMemory unit='KiB'>1048576</currentMemory>
  <vcpu placement='static'>1</vcpu>
`;
const tail = `  <clock offset='utc'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
`;
const os = `  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <boot dev='hd'/>
  </os>
`;

describe("format", () => {
  test("escaping: libvirt writes &apos; &quot; &lt; &gt; &amp; in text and attributes", () => {
    const def = parseDomainXml(`<domain type='lxc'><name>a&amp;b</name><uuid>0a3c8d52-7f7e-4c2b-9a47-1d3e5f6a7b8c</uuid><description>"q" 'a' &lt;t&gt;</description><memory>1</memory><os><type>exe</type><init>/bin/sh</init><initenv name="X">it's "x"</initenv></os></domain>`);
    const out = formatDomainXml(def);
    expect(out).toContain("  <name>a&amp;b</name>\n");
    expect(out).toContain("  <description>&quot;q&quot; &apos;a&apos; &lt;t&gt;</description>\n");
    expect(out).toContain("    <initenv name='X'>it&apos;s &quot;x&quot;</initenv>\n");
  });

  test("id only on live XML", () => {
    const def = parseDomainXml(head.replace("type='kvm'", "type='kvm' id='7'") + os + "</domain>");
    expect(formatDomainXml(def).startsWith("<domain type='kvm'>\n")).toBe(true);
    expect(formatDomainXml(def, { id: 3 }).startsWith("<domain type='kvm' id='3'>\n")).toBe(true);
    expect(formatDomainXml(def, { id: -1 }).startsWith("<domain type='kvm'>\n")).toBe(true);
    expect(formatDomainXml(def, { id: 3, inactive: true }).startsWith("<domain type='kvm'>\n")).toBe(true);
  });

  test("memory in any unit is printed in KiB; uuid and MAC normalised", () => {
    const def = parseDomainXml(`<domain type='qemu'><name>v</name><uuid>0A3C8D527F7E4C2B9A471D3E5F6A7B8C</uuid><memory unit='G'>2</memory><currentMemory unit='MB'>1000</currentMemory><os><type>hvm</type></os><devices><interface type='user'><mac address='52-54-00-AB-CD-EF'/></interface></devices></domain>`);
    const out = formatDomainXml(def);
    expect(out).toContain("  <uuid>0a3c8d52-7f7e-4c2b-9a47-1d3e5f6a7b8c</uuid>\n  <memory unit='KiB'>2097152</memory>\n  <currentMemory unit='KiB'>976563</currentMemory>\n");
    expect(out).toContain("<mac address='52:54:00:ab:cd:ef'/>");
  });

  test("devices are grouped in libvirt's order, whatever the input order", () => {
    const xml = head + os + tail + `  <devices>
    <memballoon model='none'/>
    <console type='pty'/>
    <hostdev mode='subsystem' type='usb'><source><vendor id='0x1234'/><product id='0xbeef'/></source></hostdev>
    <interface type='user'><mac address='52:54:00:00:00:01'/></interface>
    <disk type='file' device='disk'><source file='/a.img'/><target dev='vda' bus='virtio'/></disk>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
  </devices>
</domain>
`;
    const devices = formatDomainXml(parseDomainXml(xml)).split("<devices>")[1]!;
    const names = [...devices.matchAll(/^    <([a-z]+)/gm)].map((m) => m[1]);
    expect(names).toEqual(["emulator", "disk", "interface", "console", "hostdev", "memballoon"]);
  });

  test("PCI addresses are normalised to libvirt's widths; attributes in libvirt's order", () => {
    const xml = head + os + tail + `  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source>
        <address function='1' slot='3' bus='0' domain='0'/>
      </source>
      <address type='pci' bus='0' function='0' slot='0x1f' domain='0x0'/>
    </hostdev>
    <controller index='0' type='virtio-serial'/>
    <channel type='pty'><target type='virtio' name='org.qemu.guest_agent.0'/><address port='1' bus='0' controller='0' type='virtio-serial'/></channel>
  </devices>
</domain>
`;
    const out = formatDomainXml(parseDomainXml(xml));
    expect(out).toContain("        <address domain='0x0000' bus='0x00' slot='0x03' function='0x1'/>\n");
    expect(out).toContain("      <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x0'/>\n");
    expect(out).toContain("      <address type='virtio-serial' controller='0' bus='0' port='1'/>\n");
  });

  test("modelled LXC elements round-trip exactly", () => {
    const xml = `<domain type='lxc' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'>
  <name>c</name>
  <uuid>0a3c8d52-7f7e-4c2b-9a47-1d3e5f6a7b8c</uuid>
  <title>t</title>
  <description>d</description>
  <memory unit='KiB'>65536</memory>
  <currentMemory unit='KiB'>32768</currentMemory>
  <vcpu placement='static' cpuset='0-1' current='1'>2</vcpu>
  <cputune>
    <shares>512</shares>
  </cputune>
  <resource>
    <partition>/machine</partition>
  </resource>
  <os>
    <type arch='x86_64'>exe</type>
    <init>/sbin/init</init>
    <initarg>-v</initarg>
    <initenv name='A'>b</initenv>
    <initdir>/srv</initdir>
    <inituser>nobody</inituser>
    <initgroup>nogroup</initgroup>
  </os>
  <idmap>
    <uid start='0' target='1000' count='10'/>
    <gid start='0' target='1000' count='10'/>
  </idmap>
  <features>
    <privnet/>
    <capabilities policy='deny'>
      <chown state='on'/>
    </capabilities>
  </features>
  <clock offset='localtime'/>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>restart</on_crash>
  <devices>
    <emulator>/usr/lib/libvirt/libvirt_lxc</emulator>
    <filesystem type='mount' accessmode='passthrough'>
      <source dir='/srv/c'/>
      <target dir='/'/>
      <readonly/>
    </filesystem>
    <filesystem type='ram' accessmode='passthrough'>
      <source usage='2048' units='KiB'/>
      <target dir='/tmp'/>
    </filesystem>
    <interface type='direct'>
      <mac address='52:54:00:11:22:33'/>
      <source dev='eth9' mode='bridge'/>
      <target dev='macvtap0' managed='no'/>
      <guest dev='eth1'/>
      <link state='up'/>
      <mtu size='1400'/>
    </interface>
    <console type='pty'>
      <target type='lxc' port='0'/>
    </console>
    <hostdev mode='capabilities' type='net'>
      <source>
        <interface>eth7</interface>
      </source>
    </hostdev>
  </devices>
  <seclabel type='none' model='none'/>
  <lxc:namespace>
    <lxc:sharenet type='netns' value='red'/>
  </lxc:namespace>
</domain>
`;
    expect(formatDomainXml(parseDomainXml(xml))).toBe(xml);
    expect(formatDomainXml(parseDomainXml(xml, { validate: true }))).toBe(xml);
  });

  test("empty <devices> is printed open and closed, as libvirt does", () => {
    const out = formatDomainXml(parseDomainXml(`<domain type='lxc'><name>c</name><memory>1</memory><os><type>exe</type><init>/x</init></os></domain>`));
    expect(out).toContain("  <devices>\n  </devices>\n");
  });
});
