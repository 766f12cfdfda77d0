// Verbs that reach driver features the test driver lacks, through a recording stand-in driver
// loaded with --plugin-dir: what the CLI passes (fds, argv, flags) and how it reports results.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cli } from "./run.ts";

const dir = join(import.meta.dir, "fixtures", "fake");
const xml = join(import.meta.dir, "..", "..", "examples", "plugins", "demo.xml");
const fake = (...args: string[]) => cli(["--plugin-dir", dir, "-c", "fake:///", ...args]);
const calls = () => (globalThis as { __bunvirtFake?: unknown[] }).__bunvirtFake;

describe("driver-backed verbs", () => {
  test("start --pass-fds and create --pass-fds hand the fd numbers to the driver", async () => {
    expect(await fake("start", "c1", "--pass-fds", "3,4")).toEqual({ code: 0, out: "Domain 'c1' started\n\n", err: "" });
    expect(calls()).toEqual([["create", "c1", 0, [3, 4]]]);
    expect(await fake("create", xml, "--pass-fds=5", "--paused")).toEqual({ code: 0, out: `Domain 'one' created from ${xml}\n\n`, err: "" });
    expect(calls()).toEqual([["createXML", "one", 1, [5]]]);
    expect(await fake("start", "c1")).toEqual({ code: 0, out: "Domain 'c1' started\n\n", err: "" });
    expect(calls()).toEqual([["create", "c1", 0, undefined]]);
  });

  test("lxc-enter-namespace passes argv after -- and --noseclabel; the command's status is the verb's (issue 4)", async () => {
    expect(await fake("lxc-enter-namespace", "c1", "--noseclabel", "--", "/bin/echo", "-n", "--x")).toEqual({ code: 0, out: "\n", err: "" });
    expect(calls()).toEqual([["enter", "c1", ["/bin/echo", "-n", "--x"], { noSecLabel: true }]]);
    expect(await fake("lxc-enter-namespace", "c1", "/bin/false")).toEqual({ code: 1, out: "\n", err: "" });
    expect(calls()).toEqual([["enter", "c1", ["/bin/false"], { noSecLabel: false }]]);
  });

  test("domxml-to-native prints the driver's native form", async () => {
    expect(await fake("domxml-to-native", "fake-argv", xml)).toEqual({ code: 0, out: "run one\n", err: "" });
    expect(await fake("domxml-to-native", "fake-argv", "--domain", "c1", "--xml", xml)).toEqual({
      code: 1,
      out: "\n",
      err: "error: Options --domain and --xml are mutually exclusive\n",
    });
    expect(await fake("domxml-to-native", "qemu-argv", xml)).toEqual({ code: 1, out: "\n", err: "error: invalid argument: unsupported config type qemu-argv\n" });
  });
});
