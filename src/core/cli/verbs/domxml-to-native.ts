import { CliError, defineVerb, readXmlFile } from "../verb.ts";

export default defineVerb({
  name: "domxml-to-native",
  summary: "Convert domain XML to native config",
  description: "Convert domain XML config to a native guest configuration format.",
  options: [
    { name: "format", type: "string", required: true, positional: true, help: "target config data type format" },
    { name: "domain", type: "string", help: "domain name, id or uuid" },
    { name: "xml", type: "string", positional: true, help: "xml data file to export from" },
  ],
  async run(ctx, o) {
    const c = await ctx.conn();
    let xml: string;
    if (o.domain !== undefined && o.xml !== undefined) throw new CliError(["Options --domain and --xml are mutually exclusive"]);
    if (o.domain !== undefined) xml = await c.getXMLDesc(await ctx.domain(o.domain as string));
    else if (o.xml !== undefined) xml = await readXmlFile(o.xml as string);
    else throw new CliError(["Either --domain or --xml must be specified"]);
    const native = await c.domainXMLToNative(o.format as string, xml);
    // virsh prints the native form without its own trailing newline; the CLI adds the final one.
    ctx.out(native.replace(/\n$/, ""));
  },
});
