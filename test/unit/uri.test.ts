// libvirt URI grammar: driver[+transport]://[user@][host][:port]/path[?params]
import { describe, expect, test } from "bun:test";
import { parseUri } from "../../src/core/uri.ts";
import { ErrorCode, ErrorDomain, VirError } from "../../src/core/errors.ts";

const cases: [string, Partial<ReturnType<typeof parseUri>>][] = [
  ["test:///default", { driver: "test", transport: undefined, host: undefined, path: "/default", params: {} }],
  ["lxc:///system", { driver: "lxc", path: "/system", params: {} }],
  ["qemu:///system", { driver: "qemu", path: "/system" }],
  ["qemu:///session", { driver: "qemu", path: "/session" }],
  ["lxc:///embed?root=/var/tmp/x", { driver: "lxc", path: "/embed", params: { root: "/var/tmp/x" } }],
  ["qemu:///embed?root=%2Ftmp%2Fa%20b", { driver: "qemu", path: "/embed", params: { root: "/tmp/a b" } }],
  ["lxc+unix:///system?socket=/run/bunvirt/bunvirt-sock", { driver: "lxc", transport: "unix", path: "/system", params: { socket: "/run/bunvirt/bunvirt-sock" } }],
  ["QEMU+SSH://root@host.example:2222/system?keyfile=k&no_verify=1", { driver: "qemu", transport: "ssh", user: "root", host: "host.example", port: 2222, path: "/system", params: { keyfile: "k", no_verify: "1" } }],
  ["qemu+tcp://[::1]:16509/system", { driver: "qemu", transport: "tcp", host: "[::1]", port: 16509, path: "/system" }],
  ["test://host/default", { driver: "test", host: "host", path: "/default" }],
  ["demo:///", { driver: "demo", path: "/" }],
  ["qemu://", { driver: "qemu", path: "" }],
  ["lxc:///system?a&b=", { params: { a: "", b: "" } }],
];

describe("parseUri", () => {
  for (const [raw, want] of cases) {
    test(raw, () => {
      const got = parseUri(raw);
      expect(got.raw).toBe(raw);
      for (const [k, v] of Object.entries(want)) expect(got[k as keyof typeof got]).toEqual(v as never);
    });
  }
  for (const bad of ["", "default", "/system", "lxc:/system", "1qemu:///system"]) {
    test(`rejects ${JSON.stringify(bad)}`, () => {
      let err: unknown;
      try {
        parseUri(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(VirError);
      expect((err as VirError).code).toBe(ErrorCode.INVALID_ARG);
      expect((err as VirError).domain).toBe(ErrorDomain.URI);
      expect((err as VirError).message).toBe(`invalid argument: Unable to parse URI ${bad}`);
    });
  }
});
