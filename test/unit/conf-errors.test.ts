// Error messages, exactly: malformed XML, element paths with reasons, schema (--validate).
import { describe, expect, test } from "bun:test";
import { parseDomainXml, validateDomainDef } from "../../src/core/conf/index.ts";
import { ErrorCode, VirError } from "../../src/core/errors.ts";

const dom = (body: string, attrs = "type='lxc'") =>
  `<domain ${attrs}><name>x</name><memory>1024</memory><os><type>exe</type><init>/bin/sh</init></os>${body}</domain>`;

const INPUTS: Record<string, [string, boolean?]> = {
  "unclosed": ["<domain type='lxc'><name>x</name>"],
  "mismatch": ["<domain type='lxc'><name>x</nam></domain>"],
  "unquoted": ["<domain type=lxc><name>x</name></domain>"],
  "unterminated attr": ["<domain type='lxc><name>x</name></domain>"],
  "junk after": ["<domain type='lxc'><name>x</name></domain>junk"],
  "two roots": ["<domain type='lxc'/><domain type='lxc'/>"],
  "dup attr": ["<domain type='lxc' type='kvm'/>"],
  "bad entity": ["<domain type='lxc'><name>a&nbsp;b</name></domain>"],
  "empty": [""],
  "not domain": ["<network/>"],
  "no type": ["<domain><name>x</name></domain>"],
  "bad type": ["<domain type='vmx'><name>x</name></domain>"],
  "no name": ["<domain type='lxc'><memory>1</memory></domain>"],
  "bad uuid": [dom("").replace("<name>x</name>", "<name>x</name><uuid>1234</uuid>")],
  "bad memory unit": [dom("").replace("<memory>", "<memory unit='parsec'>")],
  "bad vcpu": [dom("<vcpu>x</vcpu>")],
  "vcpu current": [dom("<vcpu current='4'>2</vcpu>")],
  "bad mac": [dom("<devices><interface type='ethernet'/><interface type='ethernet'><mac address='zz'/></interface></devices>")],
  "multicast mac": [dom("<devices><interface type='ethernet'><mac address='01:00:00:00:00:01'/></interface></devices>")],
  "bad ip": [dom("<devices><interface type='ethernet'><ip address='10.0.0.300'/></interface></devices>")],
  "ip family mismatch": [dom("<devices><interface type='bridge'><source bridge='b'/><ip address='::1' family='ipv4'/></interface></devices>")],
  "bad prefix": [dom("<devices><interface type='bridge'><source bridge='b'/><ip address='10.0.0.1' prefix='33'/></interface></devices>")],
  "route no gw": [dom("<devices><interface type='bridge'><source bridge='b'/><route address='0.0.0.0'/></interface></devices>")],
  "bad iface type": [dom("<devices><interface type='wifi'/></devices>")],
  "fs no target": [dom("<devices><filesystem type='mount'><source dir='/'/></filesystem></devices>")],
  "fs ram bad unit": [dom("<devices><filesystem type='ram'><source usage='1' units='furlong'/><target dir='/t'/></filesystem></devices>")],
  "hostdev no block": [dom("<devices><hostdev mode='capabilities' type='storage'><source/></hostdev></devices>")],
  "hostdev bad caps type": [dom("<devices><hostdev mode='capabilities' type='usb'><source/></hostdev></devices>")],
  "pci addr": [dom("<devices><hostdev mode='subsystem' type='pci'><source><address domain='0x0000' bus='0x100' slot='0' function='0'/></source></hostdev></devices>")],
  "initenv name (schema)": [dom("").replace("<init>/bin/sh</init>", "<init>/bin/sh</init><initenv name='1X'>v</initenv>"), true],
  "idmap one-sided": [dom("<idmap><uid start='0' target='1000' count='10'/></idmap>")],
  "idmap root": [dom("<idmap><uid start='1' target='1000' count='10'/><gid start='0' target='1000' count='10'/></idmap>")],
  "lifecycle": [dom("<on_crash>explode</on_crash>")],
  "bad vcpu zero": [dom("<vcpu>0</vcpu>")],
  "name slash": [dom("").replace("<name>x</name>", "<name>a/b</name>")],
  "bad cap": [dom("<features><capabilities policy='allow'><bogus state='on'/></capabilities></features>")],
  "bad port": [dom("<devices><console type='pty'><target port='x'/></console></devices>")],
  "boot order": [dom("<devices><disk type='file'><source file='/x'/><target dev='vda'/><boot order='0'/></disk></devices>")],
  "lxc ns": [dom("<lxc:namespace><lxc:sharenet type='bogus' value='x'/></lxc:namespace>", "type='lxc' xmlns:lxc='http://libvirt.org/schemas/domain/lxc/1.0'")],
  "validate elem": [dom("<bogus/>"), true],
  "validate attr": [dom("<devices><interface type='ethernet' adress='x'/></devices>"), true],
  "validate value": [dom("<devices><interface type='user' trustGuestRxFilters='maybe'/></devices>"), true],
  "validate nested": [dom("<devices><console type='pty'><target type='lxc' port='0' speed='9600'/></console></devices>"), true],
};

const EXPECTED: [string, number, string][] = [
  ["unclosed", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 34: unclosed element <domain>"],
  ["mismatch", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 27: closing tag </nam> does not match <name>"],
  ["unquoted", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 14: attribute 'type' value is not quoted"],
  ["unterminated attr", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 14: unterminated value of attribute 'type'"],
  ["junk after", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 43: content outside the root element"],
  ["two roots", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 21: extra content after the root element"],
  ["dup attr", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 20: duplicate attribute 'type' in <domain>"],
  ["bad entity", ErrorCode.XML_ERROR, "XML error: malformed XML: unknown entity '&nbsp;'"],
  ["empty", ErrorCode.XML_ERROR, "XML error: malformed XML at line 1, column 1: no root element"],
  ["not domain", ErrorCode.XML_ERROR, "XML error: /network: expected root element 'domain', found 'network'"],
  ["no type", ErrorCode.XML_ERROR, "XML error: /domain: missing domain type attribute"],
  ["bad type", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/@type: invalid domain type vmx"],
  ["no name", ErrorCode.NO_NAME, "missing name information"],
  ["bad uuid", ErrorCode.XML_ERROR, "XML error: /domain/uuid: malformed uuid element '1234'"],
  ["bad memory unit", ErrorCode.XML_ERROR, "XML error: /domain/memory: unknown suffix 'parsec'"],
  ["bad vcpu", ErrorCode.XML_ERROR, "XML error: /domain/vcpu: maximum vcpus count must be an integer"],
  ["vcpu current", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/vcpu/@current: maximum vCPU count must not be less than current vCPU count"],
  ["bad mac", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface[2]/mac/@address: unable to parse mac address 'zz'"],
  ["multicast mac", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/mac/@address: expected unicast mac address, found multicast '01:00:00:00:00:01'"],
  ["bad ip", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/ip/@address: Invalid address '10.0.0.300' in <ip>"],
  ["ip family mismatch", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/ip/@address: address '::1' is not ipv4"],
  ["bad prefix", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/ip/@prefix: Invalid prefix value '33' in <ip>"],
  ["route no gw", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/route: Missing required gateway attribute in route definition"],
  ["bad iface type", ErrorCode.XML_ERROR, "XML error: /domain/devices/interface/@type: Invalid value for attribute 'type' in element 'interface': 'wifi'."],
  ["fs no target", ErrorCode.XML_ERROR, "XML error: /domain/devices/filesystem: missing target element"],
  ["fs ram bad unit", ErrorCode.XML_ERROR, "XML error: /domain/devices/filesystem/source/@usage: unknown suffix 'furlong'"],
  ["hostdev no block", ErrorCode.XML_ERROR, "XML error: /domain/devices/hostdev/source: Missing <block> element in hostdev storage device"],
  ["hostdev bad caps type", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/devices/hostdev/@type: unknown host device source address type 'usb'"],
  ["pci addr", ErrorCode.XML_ERROR, "XML error: /domain/devices/hostdev/source/address/@bus: invalid PCI address bus '0x100'"],
  ["initenv name (schema)", ErrorCode.XML_INVALID_SCHEMA, "XML document failed to validate against schema: /domain/os/initenv/@name: invalid environment variable name '1X'"],
  ["idmap one-sided", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/idmap: uid and gid should be mapped both"],
  ["idmap root", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/idmap: You must map the root user of container"],
  ["lifecycle", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/on_crash: unknown on_crash action: explode"],
  ["bad vcpu zero", ErrorCode.XML_ERROR, "XML error: /domain/vcpu: Invalid CPU count '0'"],
  ["name slash", ErrorCode.XML_ERROR, "XML error: /domain/name: name a/b cannot contain '/'"],
  ["bad cap", ErrorCode.CONFIG_UNSUPPORTED, "unsupported configuration: /domain/features/capabilities/bogus: unexpected capability feature 'bogus'"],
  ["bad port", ErrorCode.XML_ERROR, "XML error: /domain/devices/console/target/@port: Invalid port number: x"],
  ["boot order", ErrorCode.XML_ERROR, "XML error: /domain/devices/disk/boot/@order: invalid boot order '0'"],
  ["lxc ns", ErrorCode.INTERNAL_ERROR, "internal error: /domain/lxc:namespace/lxc:sharenet/@type: Unknown LXC namespace source 'bogus'"],
  ["validate elem", ErrorCode.XML_INVALID_SCHEMA, "XML document failed to validate against schema: /domain/bogus: element 'bogus' is not allowed in 'domain'"],
  ["validate attr", ErrorCode.XML_INVALID_SCHEMA, "XML document failed to validate against schema: /domain/devices/interface/@adress: attribute 'adress' is not allowed on element 'interface'"],
  ["validate value", ErrorCode.XML_INVALID_SCHEMA, "XML document failed to validate against schema: /domain/devices/interface/@trustGuestRxFilters: value 'maybe' is not one of 'no', 'yes'"],
  ["validate nested", ErrorCode.XML_INVALID_SCHEMA, "XML document failed to validate against schema: /domain/devices/console/target/@speed: attribute 'speed' is not allowed on element 'target'"],
];

describe("parse errors", () => {
  test("every input has an expectation", () => expect(EXPECTED.map((e) => e[0]).sort()).toEqual(Object.keys(INPUTS).sort()));
  for (const [name, code, message] of EXPECTED) {
    test(name, () => {
      const [xml, validate] = INPUTS[name]!;
      let err: unknown;
      try {
        parseDomainXml(xml, { validate });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VirError);
      expect((err as VirError).code).toBe(code);
      expect((err as VirError).message).toBe(message);
    });
  }
  test("libvirt's own checks keep libvirt's wording", () => {
    expect(() => parseDomainXml(dom("<devices><disk type='file'><source file='/x'/><target dev='vda'/><boot order='1'/></disk></devices>").replace("</os>", "<boot dev='hd'/></os>"))).toThrow(
      "unsupported configuration: per-device boot elements cannot be used together with os/boot elements",
    );
    try {
      parseDomainXml(dom("").replace("</os>", "<bootmenu enable='yes' timeout='65536'/></os>"));
    } catch (e) {
      expect((e as VirError).code).toBe(ErrorCode.CONFIG_UNSUPPORTED);
    }
  });
  test("validate accepts what libvirt's schema allows, even where the model keeps it raw", () => {
    const xml = dom("<memtune><hard_limit unit='KiB'>1024</hard_limit></memtune><metadata><my:x xmlns:my='urn:x' a='1'>t</my:x></metadata>");
    expect(parseDomainXml(xml, { validate: true }).extra.map((e) => e.name)).toEqual(["memtune", "metadata"]);
  });
  test("without validate, elements unknown to libvirt are dropped as libvirt does", () => {
    // initenv names and partitions libvirt only checks in its schema or at start: accepted here.
    expect(parseDomainXml(dom("<resource><partition>machine</partition></resource>").replace("</os>", "<initenv name='1X'>v</initenv></os>")).os.initenv).toEqual([{ name: "1X", value: "v" }]);
    const def = parseDomainXml(dom("<bogus/><devices><frob/><interface type='ethernet'><mac address='52:54:00:00:00:01'/><wat/></interface></devices>"));
    expect(def.extra).toEqual([]);
    expect(def.devices.length).toBe(1);
    expect(def.devices[0]!.kind === "interface" && def.devices[0]!.extra).toBeUndefined();
  });
});

describe("validateDomainDef (valibot model invariants, for definitions built in code)", () => {
  const base = () => parseDomainXml(dom("<devices><interface type='user'><mac address='52:54:00:00:00:01'/></interface></devices>"));
  const msg = (f: () => void) => {
    try {
      f();
    } catch (e) {
      return (e as VirError).message;
    }
    return "no error";
  };
  test("a parsed definition is valid", () => expect(msg(() => validateDomainDef(base()))).toBe("no error"));
  test("exact messages with the model path", () => {
    const d = base();
    if (d.devices[0]!.kind === "interface") d.devices[0]!.mac!.address = "ZZ";
    expect(msg(() => validateDomainDef(d))).toBe("XML error: invalid domain definition at devices.0.mac.address: not a canonical MAC address");
    const e = base();
    e.vcpu = { count: 2, current: 3 };
    expect(msg(() => validateDomainDef(e))).toBe("XML error: invalid domain definition at vcpu: current vcpus exceed the maximum");
    const f = base();
    f.uuid = "8369F1AC-7E46-E869-4CA5-759D51478066";
    expect(msg(() => validateDomainDef(f))).toBe("XML error: invalid domain definition at uuid: not a canonical lower-case UUID");
    const g = base();
    g.memory = 1.5;
    expect(msg(() => validateDomainDef(g))).toBe("XML error: invalid domain definition at memory: Invalid integer: Received 1.5");
  });
});
