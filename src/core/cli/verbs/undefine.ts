import { UndefineFlags as U } from "../../driver.ts";
import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "undefine",
  summary: "undefine a domain",
  description: "Undefine an inactive domain, or convert persistent to transient.",
  options: [
    domainOpt(),
    { name: "managed-save", type: "bool", help: "remove domain managed state file" },
    { name: "snapshots-metadata", type: "bool", help: "remove all domain snapshot metadata (vm must be inactive)" },
    { name: "nvram", type: "bool", help: "remove nvram file" },
    { name: "keep-nvram", type: "bool", help: "keep nvram file" },
  ],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const flags = (o["managed-save"] ? U.MANAGED_SAVE : 0) | (o["snapshots-metadata"] ? U.SNAPSHOTS_METADATA : 0) | (o.nvram ? U.NVRAM : 0) | (o["keep-nvram"] ? U.KEEP_NVRAM : 0);
    await orFail(`Failed to undefine domain '${dom.name}'`, (await ctx.conn()).undefine(dom, flags));
    ctx.out(`Domain '${dom.name}' has been undefined\n`);
  },
});
