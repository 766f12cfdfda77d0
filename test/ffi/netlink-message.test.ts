// Pure encoding tests: no sockets, no privileges.
import { describe, expect, test } from "bun:test";
import { ErrorCode, VirError } from "../../src/core/errors.ts";
import { formatIp, formatMac, parseCidr, parseIp, parseMac } from "../../src/ffi/netlink/addr.ts";
import { NlMsg, attrStr, attrU32, parseAttrs, splitMessages } from "../../src/ffi/netlink/message.ts";
import { ifreq, ifreqName, tunFlagsName, IFF_NO_PI, IFF_TAP, IFF_VNET_HDR } from "../../src/ffi/tun.ts";

describe("NlMsg", () => {
  test("header, fixed struct, padded attributes and nests", () => {
    const m = new NlMsg(16, 0x405, new Uint8Array(16)).str(3, "veth0").begin(18).str(1, "veth").end().u32(4, 1400);
    const b = m.finish(7, 0);
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    // 16 hdr + 16 ifinfomsg + (4+6→8 padded… "veth0\0" = 6 → 10 → 12) + nest(4 + (4+5→12)) + (4+4)
    expect(b.byteLength).toBe(16 + 16 + 12 + 16 + 8);
    expect(dv.getUint32(0, true)).toBe(b.byteLength);
    expect(dv.getUint16(4, true)).toBe(16);
    expect(dv.getUint16(6, true)).toBe(0x405);
    expect(dv.getUint32(8, true)).toBe(7);
    const [msg] = splitMessages(b);
    expect(msg!.type).toBe(16);
    expect(msg!.seq).toBe(7);
    const a = parseAttrs(msg!.payload, 16);
    expect(attrStr(a.get(3))).toBe("veth0");
    expect(attrU32(a.get(4))).toBe(1400);
    expect(attrStr(parseAttrs(a.get(18)!).get(1))).toBe("veth");
    expect(dv.getUint16(16 + 16 + 12, true)).toBe(4 + 4 + 8); // children incl. their padding, as nla_nest_end
  });
  test("flagged nests carry NLA_F_NESTED; parseAttrs strips it", () => {
    const b = new NlMsg(1, 0).begin(2, true).u8(1, 9).end().finish(1);
    expect(new DataView(b.buffer, b.byteOffset).getUint16(16 + 2, true)).toBe(2 | 0x8000);
    expect(parseAttrs(b.subarray(16)).has(2)).toBe(true);
  });
  test("grows past its initial buffer", () => {
    const m = new NlMsg(1, 0);
    for (let i = 0; i < 100; i++) m.str(1, "x".repeat(30));
    expect(m.finish(1).byteLength).toBe(16 + 100 * 36);
  });
  test("unbalanced nests are programming errors", () => {
    expect(() => new NlMsg(1, 0).end()).toThrow("NlMsg.end() without begin()");
    expect(() => new NlMsg(1, 0).begin(1).finish(1)).toThrow("NlMsg.finish() with an open nest");
  });
  test("splitMessages stops at a truncated message", () => {
    const one = new NlMsg(3, 2).finish(5);
    const buf = new Uint8Array(one.byteLength * 2 - 4);
    buf.set(one, 0);
    buf.set(one.subarray(0, one.byteLength - 4), one.byteLength);
    expect(splitMessages(buf).length).toBe(1);
  });
});

describe("addresses", () => {
  test("MAC", () => {
    expect(Array.from(parseMac("52:54:00:AB:cd:0f"))).toEqual([0x52, 0x54, 0, 0xab, 0xcd, 0x0f]);
    expect(formatMac(parseMac("2:4:0:a:b:c"))).toBe("02:04:00:0a:0b:0c");
    for (const bad of ["", "52:54:00:ab:cd", "52:54:00:ab:cd:ef:01", "zz:54:00:ab:cd:ef", "525400abcdef"]) {
      let err: any;
      try { parseMac(bad); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(VirError);
      expect(err.code).toBe(ErrorCode.INVALID_MAC);
      expect(err.message).toBe(`invalid MAC address: ${JSON.stringify(bad)}`);
    }
  });
  test("IPv4", () => {
    expect(Array.from(parseIp("10.0.255.1").bytes)).toEqual([10, 0, 255, 1]);
    expect(parseIp("10.0.255.1").family).toBe(2);
    expect(() => parseIp("10.0.256.1")).toThrow('invalid argument: invalid IP address "10.0.256.1"');
    expect(() => parseIp("10.0.1")).toThrow("invalid IP address");
  });
  test("IPv6 parse and RFC 5952 format", () => {
    const cases: [string, string][] = [
      ["fd00::1", "fd00::1"],
      ["::", "::"],
      ["::1", "::1"],
      ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
      ["2001:DB8::", "2001:db8::"],
      ["fe80::a:0:0:0:1", "fe80:0:0:a::1"],
      ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
      ["1:0:3:4:5:6:7:8", "1:0:3:4:5:6:7:8"],
      ["::ffff:10.1.2.3", "::ffff:a01:203"],
    ];
    for (const [inp, out] of cases) {
      const ip = parseIp(inp);
      expect(ip.family).toBe(10);
      expect(formatIp(10, ip.bytes)).toBe(out);
    }
    for (const bad of ["1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "1:2:3:4:5:6:7"]) expect(() => parseIp(bad)).toThrow("invalid IP address");
  });
  test("CIDR", () => {
    expect(parseCidr("10.1.0.0/16").prefix).toBe(16);
    expect(parseCidr("10.1.0.1").prefix).toBe(32);
    expect(parseCidr("fd00::/8").prefix).toBe(8);
    expect(() => parseCidr("10.0.0.0/33")).toThrow("invalid IP address");
    expect(() => parseCidr("10.0.0.0/x")).toThrow("invalid IP address");
  });
});

describe("ifreq", () => {
  test("name and flags", () => {
    const r = ifreq("vnet%d", IFF_TAP | IFF_NO_PI);
    expect(r.byteLength).toBe(40);
    expect(ifreqName(r)).toBe("vnet%d");
    expect(new DataView(r.buffer).getUint16(16, true)).toBe(0x1002);
    expect(tunFlagsName(IFF_TAP | IFF_NO_PI | IFF_VNET_HDR)).toBe("IFF_TAP|IFF_NO_PI|IFF_VNET_HDR");
    expect(() => ifreq("a-name-of-16-chr")).toThrow('ifreq("a-name-of-16-chr") failed: ENAMETOOLONG (File name too long)');
  });
});
