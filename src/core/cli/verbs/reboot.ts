import { defineVerb, domainOpt, orFail, parseShutdownMode } from "../verb.ts";

export default defineVerb({
  name: "reboot",
  summary: "reboot a domain",
  description: "Run a reboot command in the target domain.",
  options: [domainOpt(), { name: "mode", type: "string", help: "shutdown mode: acpi|agent|initctl|signal|paravirt" }],
  async run(ctx, o) {
    const flags = parseShutdownMode(o.mode as string | undefined);
    const dom = await ctx.domain(o.domain as string);
    await orFail(`Failed to reboot domain '${dom.name}'`, (await ctx.conn()).reboot(dom, flags));
    ctx.out(`Domain '${dom.name}' is being rebooted\n`);
  },
});
