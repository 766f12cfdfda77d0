import { defineVerb, domainOpt, orFail } from "../verb.ts";

export default defineVerb({
  name: "autostart",
  summary: "autostart a domain",
  description: "Configure a domain to be automatically started at boot.",
  options: [domainOpt(), { name: "disable", type: "bool", help: "disable autostarting" }],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const on = !o.disable;
    const what = on ? "mark" : "unmark";
    await orFail(`Failed to ${what} domain '${dom.name}' as autostarted`, (await ctx.conn()).setAutostart(dom, on));
    ctx.out(`Domain '${dom.name}' ${what}ed as autostarted\n`);
  },
});
