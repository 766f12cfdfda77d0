import { BY, defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "domuuid",
  summary: "convert a domain name or id to domain UUID",
  options: [domainOpt("domain id or name")],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string, BY.ID | BY.NAME);
    ctx.out(ctx.json ? JSON.stringify({ uuid: dom.uuid }) + "\n" : `${dom.uuid}\n`);
  },
});
