import { attachConsole } from "../console-io.ts";
import { defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "console",
  summary: "connect to the guest console",
  description: "Connect the virtual serial console for the guest",
  options: [domainOpt(), { name: "devname", type: "string", help: "character device name" }, { name: "force", type: "bool", help: "force console connection (disconnect already connected sessions)" }],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    await attachConsole(ctx, await ctx.conn(), dom, o.devname as string | undefined);
  },
});
