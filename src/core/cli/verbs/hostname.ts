import { defineVerb } from "../verb.ts";

export default defineVerb({
  name: "hostname",
  summary: "print the hypervisor hostname",
  options: [],
  json: true,
  async run(ctx) {
    const hostname = await (await ctx.conn()).getHostname();
    ctx.out(ctx.json ? JSON.stringify({ hostname }) + "\n" : `${hostname}\n`);
  },
});
