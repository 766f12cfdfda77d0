import { API_NAMES, supports } from "../../api.ts";
import { ErrorCode, errors, VirError } from "../../errors.ts";
import { attachConsole } from "../console-io.ts";
import { defineVerb, fileOpt, orFail, parseFds, readXmlFile } from "../verb.ts";

// bunvirt's own verb, like `crun run`: create a transient domain, wire its console to stdio,
// wait for it to stop and exit with init's status.
export default defineVerb({
  name: "run",
  summary: "create a transient domain, attach its console to stdio and wait for it to end",
  description: "Create a domain from FILE, connect its console to this terminal (or pipes),\nwait for it to stop, and exit with the status of its init.",
  raw: true,
  options: [fileOpt, { name: "pass-fds", type: "string", help: "pass file descriptors N,M,... to the guest" }],
  async run(ctx, o) {
    const file = o.file as string;
    const fds = parseFds(o["pass-fds"] as string | undefined);
    const xml = await readXmlFile(file);
    const c = await ctx.conn();
    // check before creating, so an unsupported driver leaves nothing running
    if (!supports(c, "waitForStop")) throw errors.noSupport(API_NAMES.waitForStop);
    const dom = await orFail(`Failed to create domain from ${file}`, c.createXML(xml, 0, fds));
    const stopped = c.waitForStop(dom);
    // SIGINT/SIGTERM/SIGHUP to `run` stop the domain (as crun run forwards them to init), so an
    // interrupted run leaves nothing behind; the exit status is then 128+signal, as a shell's.
    let signalled: number | undefined;
    const SIGNALS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
    const onSignal = (name: keyof typeof SIGNALS) => {
      signalled ??= SIGNALS[name];
      void c.destroy(dom).catch(() => {});
    };
    for (const n of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.on(n, onSignal);
    // a driver without consoles still runs the domain to completion
    const detach = attachConsole(ctx, c, dom, undefined, { banner: false, until: stopped.then(() => {}), requireTty: false }).catch((e) => {
      if (!(e instanceof VirError && e.code === ErrorCode.NO_SUPPORT)) throw e;
    });
    let st: { exitStatus?: number };
    try {
      st = await stopped;
      await detach;
    } finally {
      for (const n of Object.keys(SIGNALS) as (keyof typeof SIGNALS)[]) process.off(n, onSignal);
    }
    ctx.exitCode = signalled !== undefined ? 128 + signalled : (st.exitStatus ?? 0);
  },
});
