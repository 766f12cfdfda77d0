// Exact output of each verb against test:///default, captured from virsh 9.0
// (`virsh -c test:///default "..."`) on the same inputs; CPU time is wall-clock there, so masked.
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cli, testDriver } from "./run.ts";

const D1 = join(import.meta.dir, "fixtures", "d1.xml");
const UUID = "6695eb01-f6a4-8304-79aa-97f2502e193f";

const table = (rows: string) => rows;
const ok = (out: string) => ({ code: 0, out, err: "" });

describe("read verbs", () => {
  test("list --all: virsh's table with computed column widths", async () => {
    expect(await testDriver("list --all")).toEqual(ok(" Id   Name   State\n----------------------\n 1    test   running\n\n"));
  });
  test("list -q drops the header and sizes columns on the rows only", async () => {
    expect(await cli(["-q", "-c", "test:///default", "list"])).toEqual(ok(" 1   test   running\n"));
  });
  test("list variants", async () => {
    expect(await testDriver("list --inactive")).toEqual(ok(" Id   Name   State\n--------------------\n\n"));
    expect(await testDriver("list --name --all")).toEqual(ok("test\n\n"));
    expect(await testDriver("list --uuid --name")).toEqual(ok(`${UUID} test\n\n`));
    expect(await testDriver("list --name --inactive")).toEqual(ok("\n"));
    expect(await testDriver(`define ${D1}; list --state-shutoff; list --id --all; list --inactive --state-running`)).toEqual(
      ok(`Domain 'd1' defined from ${D1}\n\n Id   Name   State\n-----------------------\n -    d1     shut off\n\n1\n\n Id   Name   State\n--------------------\n\n`),
    );
  });
  test("dominfo layout", async () => {
    const r = await testDriver("dominfo test");
    expect(r.code).toBe(0);
    expect(r.out.replace(/^CPU time: +\d+\.\ds$/m, "CPU time:       X")).toBe(
      [
        "Id:             1",
        "Name:           test",
        `UUID:           ${UUID}`,
        "OS Type:        linux",
        "State:          running",
        "CPU(s):         2",
        "CPU time:       X",
        "Max memory:     8388608 KiB",
        "Used memory:    2097152 KiB",
        "Persistent:     yes",
        "Autostart:      disable",
        "Managed save:   no",
        "Security model: testSecurity",
        "Security DOI:   ",
        "Security label: libvirt-test (enforcing)",
        "",
        "",
      ].join("\n"),
    );
  });
  test("domstate, domid, domname, domuuid, uri", async () => {
    expect(await testDriver("domstate test --reason; domstate --domain=test; domid test; domname 1; domuuid 1; uri")).toEqual(
      ok(`running (unknown)\n\nrunning\n\n1\n\ntest\n\n${UUID}\n\ntest:///default\n\n`),
    );
  });
  test("version", async () => {
    const { VERSION } = await import("../../src/core/plugins.ts");
    expect(await testDriver("version")).toEqual(
      ok(`Compiled against library: bunvirt ${VERSION}\nUsing library: bunvirt ${VERSION}\nUsing API: TEST ${VERSION}\nRunning hypervisor: TEST 0.0.2\n\n`),
    );
  });
  test("capabilities: libvirt's test-driver document, byte for byte", async () => {
    const want = await Bun.file(join(import.meta.dir, "fixtures", "test-capabilities.xml")).text();
    expect(await testDriver("capabilities")).toEqual(ok(want + "\n\n"));
  });
  test("dumpxml and dumpxml --inactive of the default domain, byte for byte", async () => {
    for (const [args, file] of [["dumpxml test", "test-dumpxml.xml"], ["dumpxml --inactive test", "test-dumpxml-inactive.xml"]]) {
      expect(await testDriver(args!)).toEqual(ok(await Bun.file(join(import.meta.dir, "fixtures", file!)).text()));
    }
  });
  test("--json on read verbs", async () => {
    expect(await testDriver("list --all --json")).toEqual(ok(`[{"id":1,"name":"test","uuid":"${UUID}","state":"running"}]\n`));
    expect(await cli(["--json", "-c", "test:///default", "domstate", "test"])).toEqual(ok(`{"state":"running","reason":"unknown"}\n`));
    const info = JSON.parse((await testDriver("dominfo test --json")).out);
    expect({ ...info, cpuTimeNs: "X" }).toEqual({
      id: 1, name: "test", uuid: UUID, osType: "linux", state: "running", cpus: 2, cpuTimeNs: "X", maxMemoryKiB: 8388608, usedMemoryKiB: 2097152,
      persistent: true, autostart: false, managedSave: false, security: { model: "testSecurity", doi: "", label: "libvirt-test", enforcing: true },
    });
  });
});

describe("test:///PATH", () => {
  const node = join(import.meta.dir, "fixtures", "node.xml");
  test("a <node> file's domains (inline and file=) all start running", async () => {
    expect(await cli(["-c", `test://${node}`, "list --all; domstate a --reason; uri; destroy a; start a; domstate a --reason"])).toEqual(
      ok(` Id   Name   State\n----------------------\n 1    a      running\n 2    d1     running\n\nrunning (unknown)\n\ntest://${node}\n\nDomain 'a' destroyed\n\nDomain 'a' started\n\nrunning (booted)\n\n`),
    );
  });
  test("missing file, wrong root", async () => {
    expect(await cli(["-c", "test:///nonexistent.xml", "list"])).toEqual({
      code: 1,
      out: "",
      err: "error: failed to connect to the hypervisor\nerror: XML error: failed to parse xml document '/nonexistent.xml'\n",
    });
    expect((await cli(["-c", `test://${D1}`, "list"])).err).toBe("error: failed to connect to the hypervisor\nerror: XML error: expecting root element of 'node', not 'domain'\n");
  });
});

describe("lifecycle", () => {
  test("define, start, suspend, resume, shutdown, reboot, destroy, undefine, create: states and reasons", async () => {
    const r = await testDriver(
      `define ${D1}; list --all; start d1; list; domstate d1 --reason; suspend d1; domstate d1 --reason; list --all; resume d1; domstate d1 --reason; ` +
        `shutdown d1; domstate d1 --reason; start d1; reboot d1; domstate d1 --reason; destroy d1; domstate d1 --reason; undefine d1; ` +
        `create ${D1}; list --all; destroy d1; list --all; autostart test; autostart --disable test; dominfo d1`,
    );
    expect(r.code).toBe(1);
    expect(r.err).toBe("error: failed to get domain 'd1'\n");
    expect(r.out).toBe(
      [
        `Domain 'd1' defined from ${D1}\n`,
        " Id   Name   State\n-----------------------\n 1    test   running\n -    d1     shut off\n",
        "Domain 'd1' started\n",
        " Id   Name   State\n----------------------\n 1    test   running\n 2    d1     running\n",
        "running (booted)\n",
        "Domain 'd1' suspended\n",
        "paused (user)\n",
        " Id   Name   State\n----------------------\n 1    test   running\n 2    d1     paused\n",
        "Domain 'd1' resumed\n",
        "running (unpaused)\n",
        "Domain 'd1' is being shutdown\n",
        "shut off (shutdown)\n",
        "Domain 'd1' started\n",
        "Domain 'd1' is being rebooted\n",
        "running (booted)\n",
        "Domain 'd1' destroyed\n",
        "shut off (destroyed)\n",
        "Domain 'd1' has been undefined\n",
        `Domain 'd1' created from ${D1}\n`,
        " Id   Name   State\n----------------------\n 1    test   running\n 4    d1     running\n",
        "Domain 'd1' destroyed\n",
        " Id   Name   State\n----------------------\n 1    test   running\n",
        "Domain 'test' marked as autostarted\n",
        "Domain 'test' unmarked as autostarted\n",
        "",
      ].join("\n") + "\n",
    );
  });

  test("shutting down the persistent default domain keeps it, shut off", async () => {
    expect(await testDriver("shutdown test; list --all; domstate test --reason")).toEqual(
      ok("Domain 'test' is being shutdown\n\n Id   Name   State\n-----------------------\n -    test   shut off\n\nshut off (shutdown)\n\n"),
    );
  });

  test("undefine of a running transient domain leaves it running (libvirt 9.0 test driver)", async () => {
    expect(await testDriver(`create ${D1}; undefine d1; list --all`)).toEqual(
      ok(`Domain 'd1' created from ${D1}\n\nDomain 'd1' has been undefined\n\n Id   Name   State\n----------------------\n 1    test   running\n 2    d1     running\n\n`),
    );
  });

  test("dumpxml --inactive of a defined domain has no id", async () => {
    const r = await testDriver(`define ${D1}; dumpxml d1; start d1; dumpxml d1`);
    expect(r.code).toBe(0);
    expect(r.out).toContain("<domain type='test'>\n  <name>d1</name>\n  <uuid>25382e5c-e833-4a47-bb11-c8fe959dcbb3</uuid>\n");
    expect(r.out).toContain("<domain type='test' id='2'>\n  <name>d1</name>\n");
  });
});

describe("errors and exit codes", () => {
  const fails = (out: string, err: string) => ({ code: 1, out, err });
  test("unknown domain", async () => {
    for (const v of ["start", "dominfo", "domstate", "destroy", "domid"]) {
      expect(await testDriver(`${v} nope`)).toEqual(fails("\n", "error: failed to get domain 'nope'\n"));
    }
  });
  test("operations in the wrong state carry libvirt's message after virsh's", async () => {
    expect(await testDriver("start test")).toEqual(fails("\n", "error: Domain is already active\n"));
    expect(await testDriver("resume test")).toEqual(fails("\n", "error: Failed to resume domain 'test'\nerror: internal error: domain 'test' not paused\n"));
    expect(await testDriver("suspend test; suspend test")).toEqual(
      fails("Domain 'test' suspended\n\n\n", "error: Failed to suspend domain 'test'\nerror: internal error: domain 'test' not running\n"),
    );
    expect(await testDriver(`define ${D1}; destroy d1`)).toEqual(
      fails(`Domain 'd1' defined from ${D1}\n\n\n`, "error: Failed to destroy domain 'd1'\nerror: Requested operation is not valid: domain is not running\n"),
    );
    expect((await testDriver(`define ${D1}; reboot d1`)).err).toBe("error: Failed to reboot domain 'd1'\nerror: Requested operation is not valid: domain is not running\n");
    expect((await testDriver(`define ${D1}; shutdown d1`)).err).toBe("error: Failed to shutdown domain 'd1'\nerror: internal error: domain 'd1' not running\n");
  });
  test("duplicate names and uuids", async () => {
    const r = await testDriver(`create ${D1}; create ${D1}`);
    expect(r.err).toBe(`error: Failed to create domain from ${D1}\nerror: Requested operation is not valid: domain 'd1' is already active\n`);
    const renamed = join(import.meta.dir, "fixtures", "d1-renamed.xml");
    expect((await testDriver(`define ${D1}; define ${renamed}`)).err).toBe(
      `error: Failed to define domain from ${renamed}\nerror: operation failed: domain 'd1' is already defined with uuid 25382e5c-e833-4a47-bb11-c8fe959dcbb3\n`,
    );
    expect((await testDriver(`define ${renamed}; undefine d2; create ${D1}`)).code).toBe(0);
  });
  test("unreadable files", async () => {
    expect(await testDriver("define /nonexistent.xml")).toEqual(fails("\n", "error: Failed to open file '/nonexistent.xml': No such file or directory\n"));
  });
  test("verbs the driver lacks", async () => {
    expect(await testDriver(`domxml-to-native qemu-argv ${D1}`)).toEqual(
      fails("\n", "error: this function is not supported by the connection driver: virConnectDomainXMLToNative\n"),
    );
    expect(await testDriver("lxc-enter-namespace test -- /bin/true")).toEqual(
      fails("\n", "error: this function is not supported by the connection driver: virDomainLxcOpenNamespace\n"),
    );
    expect(await testDriver(`run ${D1}`)).toEqual(fails("", "error: this function is not supported by the connection driver: virDomainWaitForStop\n"));
  });
  test("command-line mistakes", async () => {
    expect(await testDriver("frob")).toEqual(fails("", "error: unknown command: 'frob'\n"));
    expect(await testDriver("list --frob")).toEqual(fails("", "error: command 'list' doesn't support option --frob\n"));
    expect(await cli(["-c", "test:///default", "dominfo"])).toEqual(fails("", "error: command 'dominfo' requires <domain> option\n"));
    expect(await cli(["-c", "test:///default", "dominfo", "test", "extra"])).toEqual(fails("", "error: unexpected data 'extra'\n"));
    expect(await cli(["-c", "test:///default", "start", "--pass-fds"])).toEqual(fails("", "error: expected syntax: --pass-fds <string>\n"));
    expect(await cli(["-c"])).toEqual(fails("", "error: option '-c'/'--connect' requires an argument\n"));
    expect(await cli(["--frob"])).toEqual(fails("", "error: unsupported option '--frob'. See --help.\n"));
    expect(await cli(["-c", "test:///default", "start", "test", "--pass-fds", "1,x"])).toEqual(fails("\n", "error: Unable to parse FD number 'x'\n"));
  });
  test("-r: read-only connections refuse changes with libvirt's message", async () => {
    // the status is the last command's, as in virsh
    expect(await testDriver("destroy test; list", "-r")).toEqual({
      ...fails("\n Id   Name   State\n----------------------\n 1    test   running\n\n", "error: Failed to destroy domain 'test'\nerror: operation forbidden: read only access prevents virDomainDestroy\n"),
      code: 0,
    });
  });
  test("connection failures stop the run", async () => {
    expect(await cli(["-c", "bogus:///x", "list; list"])).toEqual(fails("", "error: failed to connect to the hypervisor\nerror: no connection driver available for bogus:///x\n"));
  });
  test("console needs a terminal", async () => {
    expect(await testDriver("console test")).toEqual(fails("\n", "error: Cannot run interactive console without a controlling TTY\n"));
  });
  test("LIBVIRT_DEFAULT_URI picks the driver", async () => {
    expect(await cli(["uri"], { LIBVIRT_DEFAULT_URI: "test:///default" })).toEqual(ok("test:///default\n\n"));
  });
});

describe("help and version", () => {
  test("--version prints bunvirt's version", async () => {
    const { VERSION } = await import("../../src/core/plugins.ts");
    expect(await cli(["--version"])).toEqual(ok(`${VERSION}\n`));
  });
  test("verb help in virsh's layout", async () => {
    const want =
      "  NAME\n    domstate - domain state\n\n  SYNOPSIS\n    domstate <domain> [--reason] [--json]\n\n  DESCRIPTION\n    Returns state about a domain.\n\n" +
      "  OPTIONS\n    [--domain] <string>  domain name, id or uuid\n    --reason         also print reason for the state\n    --json           print the result as JSON\n\n";
    expect(await cli(["domstate", "--help"])).toEqual(ok(want));
    expect(await cli(["help", "domstate"])).toEqual(ok(want));
  });
  test("every verb has help", async () => {
    const { verbs } = await import("../../src/core/cli/verbs/index.ts");
    for (const v of verbs) {
      const r = await cli([v.name, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out.startsWith(`  NAME\n    ${v.name} - ${v.summary}\n\n  SYNOPSIS\n    ${v.name}`)).toBe(true);
    }
  });
  test("program help lists the verbs", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("\n    list                           list domains\n");
  });
});
