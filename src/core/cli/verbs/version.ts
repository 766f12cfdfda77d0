import { VERSION } from "../../plugins.ts";
import { defineVerb } from "../verb.ts";

/** libvirt encodes versions as major*1e6 + minor*1e3 + micro. */
export const versionString = (v: number) => `${Math.floor(v / 1e6)}.${Math.floor((v % 1e6) / 1e3)}.${v % 1e3}`;

export default defineVerb({
  name: "version",
  summary: "show version",
  description: "Display the system version information.",
  options: [],
  json: true,
  async run(ctx) {
    const c = await ctx.conn();
    const type = c.getType();
    const hv = versionString(await c.getVersion());
    if (ctx.json) return ctx.out(JSON.stringify({ library: VERSION, api: { type, version: VERSION }, hypervisor: { type, version: hv } }) + "\n");
    ctx.out(`Compiled against library: bunvirt ${VERSION}\nUsing library: bunvirt ${VERSION}\nUsing API: ${type} ${VERSION}\nRunning hypervisor: ${type} ${hv}\n`);
  },
});
