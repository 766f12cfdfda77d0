// XDR codec and packet framing, byte for byte against RFC 4506 / virnetprotocol.x.
import { describe, expect, test } from "bun:test";
import { XdrError, XdrReader, decode, encode, xArray, xInt, xOptional, xString, xStruct, xUhyper } from "../../src/core/rpc/xdr.ts";
import { FrameDecoder, MessageType, Program, buildPacket, errorBody, virErrorFromRemote, xRemoteError } from "../../src/core/rpc/packet.ts";
import { remoteProcs, RemoteProc } from "../../src/core/rpc/procedures/remote.ts";
import { xCharArray, xDomain } from "../../src/core/rpc/procedures/types.ts";
import { VirError } from "../../src/core/errors.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("xdr", () => {
  test("strings are length-prefixed and padded to 4 bytes", () => {
    expect(hex(encode(xString(), "abcde"))).toBe("00000005" + "6162636465" + "000000");
    expect(hex(encode(xString(), ""))).toBe("00000000");
  });
  test("optional, hyper, arrays, structs", () => {
    expect(hex(encode(xOptional(xInt), null))).toBe("00000000");
    expect(hex(encode(xOptional(xInt), -2))).toBe("00000001fffffffe");
    expect(hex(encode(xUhyper, 9000000n))).toBe("0000000000895440");
    const s = xStruct([["a", xInt], ["b", xArray(xString())]] as const);
    const v = { a: 7, b: ["x", "yz"] };
    expect(decode(s, encode(s, v))).toEqual(v);
  });
  test("remote_nonnull_domain carries the uuid as 16 raw bytes", () => {
    const d = { name: "demo", uuid: "11111111-2222-3333-4444-555555555555", id: -1 };
    const b = encode(xDomain, d);
    expect(hex(b)).toBe("0000000464656d6f" + "11111111222233334444555555555555" + "ffffffff");
    expect(decode(xDomain, b)).toEqual(d);
  });
  test("char<> is one 4-byte unit per char, NUL included (rpcgen xdr_char)", () => {
    expect(hex(encode(xCharArray(10), "ab"))).toBe("00000003" + "00000061" + "00000062" + "00000000");
    expect(decode(xCharArray(10), encode(xCharArray(10), "ab"))).toBe("ab");
  });
  test("truncated data and absurd lengths are refused", () => {
    expect(() => decode(xString(), new Uint8Array([0, 0, 0, 9, 1, 2]))).toThrow(XdrError);
    expect(() => decode(xArray(xInt), new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toThrow(XdrError);
    expect(() => decode(xInt, new Uint8Array(8))).toThrow("4 unexpected trailing bytes");
    expect(() => new XdrReader(new Uint8Array(2)).int()).toThrow("truncated XDR data");
  });
});

describe("packets", () => {
  const hdr = { prog: Program.REMOTE, vers: 1, proc: RemoteProc.CONNECT_GET_TYPE, type: MessageType.CALL, serial: 5, status: 0 };
  test("frame = length (counting itself) + 24-byte header + body", () => {
    const p = buildPacket(hdr, new Uint8Array([1, 2, 3, 4]));
    expect(hex(p)).toBe("00000020" + "20008086" + "00000001" + "00000003" + "00000000" + "00000005" + "00000000" + "01020304");
  });
  test("decoder reassembles packets split at any byte", () => {
    const a = buildPacket(hdr, new Uint8Array([9, 9, 9, 9]));
    const b = buildPacket({ ...hdr, serial: 6 }, new Uint8Array(0));
    const all = new Uint8Array([...a, ...b]);
    const d = new FrameDecoder();
    const got: number[] = [];
    for (const byte of all) {
      d.push(new Uint8Array([byte]));
      for (let p = d.next(); p; p = d.next()) got.push(p.header.serial);
    }
    expect(got).toEqual([5, 6]);
  });
  test("WITH_FDS: the fd count follows the header, fds follow the packet with one byte each", () => {
    const p = buildPacket({ ...hdr, type: MessageType.CALL_WITH_FDS }, new Uint8Array(4), 2);
    expect(hex(p.subarray(28, 32))).toBe("00000002");
    const d = new FrameDecoder();
    d.push(p);
    expect(d.next()).toBeNull(); // waiting for the fds
    d.pushFds([100]);
    d.push(new Uint8Array(1));
    expect(d.next()).toBeNull();
    d.pushFds([101]);
    d.push(new Uint8Array(1));
    const got = d.next()!;
    expect(got.nfds).toBe(2);
    expect(got.fds).toEqual([100, 101]);
  });
  test("malformed frames throw", () => {
    const d = new FrameDecoder();
    d.push(new Uint8Array([0, 0, 0, 8, 0, 0, 0, 0]));
    expect(() => d.next()).toThrow("shorter than a header");
    const d2 = new FrameDecoder();
    d2.push(new Uint8Array([0x7f, 0xff, 0xff, 0xff]));
    expect(() => d2.next()).toThrow("exceeds maximum");
  });
  test("remote_error round-trips code, domain and message", () => {
    const e = new VirError(42, 10, "Domain not found: no domain with matching name 'x'");
    const back = virErrorFromRemote(decode(xRemoteError, errorBody(e)));
    expect([back.code, back.domain, back.message]).toEqual([42, 10, e.message]);
  });
  test("procedure table numbers match remote_protocol.x", () => {
    const n = (name: string) => [...remoteProcs.values()].find((p) => p.name === name)?.proc;
    expect([n("CONNECT_OPEN"), n("DOMAIN_GET_XML_DESC"), n("CONNECT_LIST_ALL_DOMAINS"), n("DOMAIN_CREATE_XML_WITH_FILES"), n("DOMAIN_DEFINE_XML_FLAGS")]).toEqual([1, 14, 273, 309, 350]);
  });
});

describe("large packets", () => {
  test("a 4 MiB body arriving in 64 KiB pieces comes out whole", () => {
    const body = new Uint8Array(4 << 20).map((_, i) => i & 0xff);
    const frame = buildPacket({ prog: Program.REMOTE, vers: 1, proc: 14, type: MessageType.REPLY, serial: 9, status: 0 }, body);
    const d = new FrameDecoder();
    let got = null;
    for (let o = 0; o < frame.length; o += 65536) {
      d.push(frame.subarray(o, o + 65536));
      got ??= d.next();
    }
    expect(got!.header.serial).toBe(9);
    expect(Buffer.from(got!.frame.subarray(got!.bodyStart)).equals(Buffer.from(body))).toBe(true);
    expect(d.next()).toBeNull();
  });
});
