import { BY, defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "domid",
  summary: "convert a domain name or UUID to domain id",
  options: [domainOpt("domain name or uuid")],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string, BY.NAME | BY.UUID);
    if (ctx.json) return ctx.out(JSON.stringify({ id: dom.id < 0 ? null : dom.id }) + "\n");
    ctx.out(dom.id < 0 ? "-\n" : `${dom.id}\n`);
  },
});
