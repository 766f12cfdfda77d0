import { DestroyFlags } from "../../driver.ts";
import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "destroy",
  summary: "destroy (stop) a domain",
  description: "Forcefully stop a given domain, but leave its resources intact.",
  options: [domainOpt(), { name: "graceful", type: "bool", help: "terminate gracefully" }],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    await orFail(`Failed to destroy domain '${dom.name}'`, (await ctx.conn()).destroy(dom, o.graceful ? DestroyFlags.GRACEFUL : 0));
    ctx.out(`Domain '${dom.name}' destroyed\n`);
  },
});
