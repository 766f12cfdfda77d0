import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "suspend",
  summary: "suspend a domain",
  description: "Suspend a running domain.",
  options: [domainOpt()],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    await orFail(`Failed to suspend domain '${dom.name}'`, (await ctx.conn()).suspend(dom));
    ctx.out(`Domain '${dom.name}' suspended\n`);
  },
});
