import { defineVerb } from "../verb.ts";

export default defineVerb({
  name: "capabilities",
  summary: "capabilities",
  description: "Returns capabilities of hypervisor/driver.",
  options: [],
  json: true,
  async run(ctx) {
    const xml = await (await ctx.conn()).getCapabilities();
    // virsh prints "%s\n" after a document that already ends in a newline
    ctx.out(ctx.json ? JSON.stringify({ xml }) + "\n" : `${xml}\n`);
  },
});
