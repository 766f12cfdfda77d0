import { reasonName, stateName } from "../states.ts";
import { defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "domstate",
  summary: "domain state",
  description: "Returns state about a domain.",
  options: [domainOpt(), { name: "reason", type: "bool", help: "also print reason for the state" }],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const { state, reason } = await (await ctx.conn()).getState(dom);
    if (ctx.json) return ctx.out(JSON.stringify({ state: stateName(state), reason: reasonName(state, reason) }) + "\n");
    ctx.out(o.reason ? `${stateName(state)} (${reasonName(state, reason)})\n` : `${stateName(state)}\n`);
  },
});
