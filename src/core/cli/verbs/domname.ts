import { BY, defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "domname",
  summary: "convert a domain id or UUID to domain name",
  options: [domainOpt("domain id or uuid")],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string, BY.ID | BY.UUID);
    ctx.out(ctx.json ? JSON.stringify({ name: dom.name }) + "\n" : `${dom.name}\n`);
  },
});
