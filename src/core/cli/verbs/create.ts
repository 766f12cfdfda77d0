import { CreateFlags } from "../../driver.ts";
import { defineVerb, fileOpt, orFail, parseFds, readXmlFile } from "../verb.ts";
import { attachConsole } from "../console-io.ts";

export default defineVerb({
  name: "create",
  summary: "create a domain from an XML file",
  description: "Create a domain.",
  options: [
    fileOpt,
    { name: "console", type: "bool", help: "attach to console after creation" },
    { name: "paused", type: "bool", help: "leave the guest paused after creation" },
    { name: "autodestroy", type: "bool", help: "automatically destroy the guest when virsh disconnects" },
    { name: "pass-fds", type: "string", help: "pass file descriptors N,M,... to the guest" },
    { name: "validate", type: "bool", help: "validate the XML against the schema" },
  ],
  async run(ctx, o) {
    const file = o.file as string;
    const fds = parseFds(o["pass-fds"] as string | undefined);
    const xml = await readXmlFile(file);
    const c = await ctx.conn();
    const flags = (o.paused ? CreateFlags.START_PAUSED : 0) | (o.autodestroy ? CreateFlags.START_AUTODESTROY : 0) | (o.validate ? CreateFlags.START_VALIDATE : 0);
    const dom = await orFail(`Failed to create domain from ${file}`, c.createXML(xml, flags, fds));
    ctx.out(`Domain '${dom.name}' created from ${file}\n`);
    if (o.console) await attachConsole(ctx, c, dom);
  },
});
