import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "undefine",
  summary: "undefine a domain",
  description: "Undefine an inactive domain, or convert persistent to transient.",
  options: [domainOpt()],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    await orFail(`Failed to undefine domain '${dom.name}'`, (await ctx.conn()).undefine(dom));
    ctx.out(`Domain '${dom.name}' has been undefined\n`);
  },
});
