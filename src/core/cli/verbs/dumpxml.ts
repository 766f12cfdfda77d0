import { XmlFlags } from "../../driver.ts";
import { defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "dumpxml",
  summary: "domain information in XML",
  description: "Output the domain information as an XML dump to stdout.",
  options: [
    domainOpt(),
    { name: "inactive", type: "bool", help: "show inactive defined XML" },
    { name: "security-info", type: "bool", help: "include security sensitive information in XML dump" },
    { name: "migratable", type: "bool", help: "provide XML suitable for migrations" },
  ],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const flags = (o.inactive ? XmlFlags.INACTIVE : 0) | (o["security-info"] ? XmlFlags.SECURE : 0) | (o.migratable ? XmlFlags.MIGRATABLE : 0);
    let xml = await (await ctx.conn()).getXMLDesc(dom, flags);
    if (ctx.json) return ctx.out(JSON.stringify({ xml }) + "\n");
    if (!xml.endsWith("\n")) xml += "\n";
    ctx.out(xml);
  },
});
