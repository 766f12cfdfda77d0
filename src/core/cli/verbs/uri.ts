import { defineVerb } from "../verb.ts";

export default defineVerb({
  name: "uri",
  summary: "print the hypervisor canonical URI",
  options: [],
  json: true,
  async run(ctx) {
    const uri = (await ctx.conn()).uri;
    ctx.out(ctx.json ? JSON.stringify({ uri }) + "\n" : `${uri}\n`);
  },
});
