import { DefineFlags } from "../../driver.ts";
import { defineVerb, fileOpt, orFail, readXmlFile } from "../verb.ts";

export default defineVerb({
  name: "define",
  summary: "define (but don't start) a domain from an XML file",
  description: "Define a domain.",
  options: [fileOpt, { name: "validate", type: "bool", help: "validate the XML against the schema" }],
  async run(ctx, o) {
    const file = o.file as string;
    const xml = await readXmlFile(file);
    const c = await ctx.conn();
    const dom = await orFail(`Failed to define domain from ${file}`, c.defineXML(xml, o.validate ? DefineFlags.VALIDATE : 0));
    ctx.out(`Domain '${dom.name}' defined from ${file}\n`);
  },
});
