import { CreateFlags } from "../../driver.ts";
import { CliError, defineVerb, domainOpt, orFail, parseFds } from "../verb.ts";
import { attachConsole } from "../console-io.ts";

export default defineVerb({
  name: "start",
  summary: "start a (previously defined) inactive domain",
  description: "Start a domain, either from the last managedsave\nstate, or via a fresh boot if no managedsave state\nis present.",
  options: [
    domainOpt("name of the inactive domain"),
    { name: "console", type: "bool", help: "attach to console after creation" },
    { name: "paused", type: "bool", help: "leave the guest paused after creation" },
    { name: "autodestroy", type: "bool", help: "automatically destroy the guest when virsh disconnects" },
    { name: "pass-fds", type: "string", help: "pass file descriptors N,M,... to the guest" },
  ],
  async run(ctx, o) {
    const fds = parseFds(o["pass-fds"] as string | undefined);
    const dom = await ctx.domain(o.domain as string);
    const c = await ctx.conn();
    // virsh checks this itself before asking the driver
    if (dom.id >= 0) throw new CliError(["Domain is already active"]);
    const flags = (o.paused ? CreateFlags.START_PAUSED : 0) | (o.autodestroy ? CreateFlags.START_AUTODESTROY : 0);
    const started = await orFail(`Failed to start domain '${dom.name}'`, c.create(dom, flags, fds));
    ctx.out(`Domain '${dom.name}' started\n`);
    if (o.console) await attachConsole(ctx, c, started);
  },
});
