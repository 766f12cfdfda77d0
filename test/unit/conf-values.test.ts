// Table tests for the scalar parsers: units, MAC, UUID, IP addresses.
import { describe, expect, test } from "bun:test";
import { toKiB, unitScale } from "../../src/core/conf/units.ts";
import { parseUuid, randomUuid } from "../../src/core/conf/uuid.ts";
import { ipFamily, parseMac, randomMac } from "../../src/core/conf/parse/common.ts";

describe("units (virScaleInteger)", () => {
  const cases: [string, string | undefined, number][] = [
    ["1024", undefined, 1024], // default KiB
    ["1024", "b", 1],
    ["1024", "bytes", 1],
    ["1025", "bytes", 2], // rounded up to whole KiB
    ["1", "k", 1],
    ["1", "KiB", 1],
    ["1000", "KB", 977], // 1,000,000 B = 976.56 KiB → 977
    ["1", "M", 1024],
    ["1", "MiB", 1024],
    ["1", "MB", 977],
    ["2", "G", 2097152],
    ["1", "GiB", 1048576],
    ["1", "GB", 976563],
    ["1", "T", 1073741824],
    ["1", "TiB", 1073741824],
    ["1", "p", 1099511627776],
    ["0", "MiB", 0],
    [" 512 ", "mib", 524288], // whitespace and case, as libvirt accepts
  ];
  for (const [value, unit, kib] of cases) {
    test(`${value} ${unit ?? "(default)"} = ${kib} KiB`, () => expect(toKiB(value, unit)).toEqual({ ok: true, kib }));
  }
  test("errors", () => {
    expect(toKiB("12", "parsec")).toEqual({ ok: false, reason: "unknown suffix 'parsec'" });
    expect(toKiB("-1", "KiB")).toEqual({ ok: false, reason: "invalid value '-1'" });
    expect(toKiB("1.5", "G")).toEqual({ ok: false, reason: "invalid value '1.5'" });
    expect(toKiB("", undefined)).toEqual({ ok: false, reason: "invalid value ''" });
    expect(toKiB("9", "E", "KiB", 2 ** 40)).toEqual({ ok: false, reason: "value '9' E is too large" });
  });
  test("scales", () => {
    expect(unitScale("KB")).toBe(1000n);
    expect(unitScale("kib")).toBe(1024n);
    expect(unitScale("EiB")).toBe(1024n ** 6n);
    expect(unitScale("Kx")).toBeUndefined();
  });
});

describe("MAC (virMacAddrParse)", () => {
  const good: [string, string][] = [
    ["52:54:00:AA:bb:0c", "52:54:00:aa:bb:0c"],
    ["52-54-00-aa-bb-0c", "52:54:00:aa:bb:0c"],
    ["2:4:6:8:a:c", "02:04:06:08:0a:0c"],
  ];
  for (const [i, o] of good) test(`${i} → ${o}`, () => expect(parseMac(i)).toBe(o));
  for (const bad of ["zz", "52:54:00:aa:bb", "52:54:00:aa:bb:cc:dd", "52:54:00:aa:bb:ccc", "", "52:54:00:aa:bb:g0"]) {
    test(`rejects '${bad}'`, () => expect(parseMac(bad)).toBeUndefined());
  }
  test("random MACs are libvirt's 52:54:00 prefix, unicast", () => {
    for (let i = 0; i < 50; i++) expect(randomMac()).toMatch(/^52:54:00(:[0-9a-f]{2}){3}$/);
  });
});

describe("UUID (virUUIDParse)", () => {
  const good: [string, string][] = [
    ["8369f1ac-7e46-e869-4ca5-759d51478066", "8369f1ac-7e46-e869-4ca5-759d51478066"],
    ["8369F1AC7E46E8694CA5759D51478066", "8369f1ac-7e46-e869-4ca5-759d51478066"],
    ["  8369f1ac-7e46-e869-4ca5-759d51478066\n", "8369f1ac-7e46-e869-4ca5-759d51478066"],
    ["83 69 f1 ac 7e 46 e8 69 4c a5 75 9d 51 47 80 66", "8369f1ac-7e46-e869-4ca5-759d51478066"],
  ];
  for (const [i, o] of good) test(`'${i.trim()}'`, () => expect(parseUuid(i)).toBe(o));
  for (const bad of ["1234", "8369f1ac-7e46-e869-4ca5-759d5147806", "8369f1ac-7e46-e869-4ca5-759d514780666", "8369f1a-c7e46-e869-4ca5-759d51478066", "g369f1ac-7e46-e869-4ca5-759d51478066"]) {
    test(`rejects '${bad}'`, () => expect(parseUuid(bad)).toBeUndefined());
  }
  test("random UUIDs are version 4, variant 1", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const u = randomUuid();
      expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(u);
    }
    expect(seen.size).toBe(50);
  });
});

describe("IP addresses", () => {
  const cases: [string, "ipv4" | "ipv6" | undefined][] = [
    ["192.168.122.1", "ipv4"],
    ["0.0.0.0", "ipv4"],
    ["256.1.1.1", undefined],
    ["1.2.3", undefined],
    ["::", "ipv6"],
    ["2003:db8:1:0:214:1234:fe0b:3596", "ipv6"],
    ["fe80::1", "ipv6"],
    ["::ffff:192.168.1.1", "ipv6"],
    ["1:2:3:4:5:6:7:8:9", undefined],
    ["1::2::3", undefined],
    ["host.name", undefined],
  ];
  for (const [a, f] of cases) test(`${a} → ${f}`, () => expect(ipFamily(a)).toBe(f));
});
