import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "resume",
  summary: "resume a domain",
  description: "Resume a previously suspended domain.",
  options: [domainOpt()],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    await orFail(`Failed to resume domain '${dom.name}'`, (await ctx.conn()).resume(dom));
    ctx.out(`Domain '${dom.name}' resumed\n`);
  },
});
