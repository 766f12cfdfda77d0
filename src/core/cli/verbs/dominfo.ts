import { ErrorCode, VirError } from "../../errors.ts";
import { stateName } from "../states.ts";
import { defineVerb, domainOpt } from "../verb.ts";

const row = (k: string, v: string) => `${k.padEnd(15)} ${v}\n`;
/** Run a query the way virsh does for optional lines: NO_SUPPORT hides the line. */
async function opt<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof VirError && e.code === ErrorCode.NO_SUPPORT) return undefined;
    throw e;
  }
}
const osTypeOf = (xml: string) => /<os[\s>][\s\S]*?<type[^>]*>([^<]+)<\/type>/.exec(xml)?.[1];
const settle = async <T>(p: Promise<T>) => p.then((v) => ({ v }), () => undefined);

export default defineVerb({
  name: "dominfo",
  summary: "domain information",
  description: "Returns basic information about the domain.",
  options: [domainOpt()],
  json: true,
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const c = await ctx.conn();
    // drivers without virDomainGetOSType report the <os><type> of their XML, as libvirt's do
    const osType = (await settle(c.getOSType(dom)))?.v ?? (await settle(c.getXMLDesc(dom).then(osTypeOf)))?.v;
    const info = (await settle(c.getInfo(dom)))?.v;
    const persistent = (await settle(c.isPersistent(dom)))?.v;
    const autostart = (await settle(c.getAutostart(dom)))?.v;
    const managed = (await settle(c.hasManagedSaveImage(dom)))?.v;
    const sec = await opt(c.getSecurityModel());
    const label = sec?.model ? await c.getSecurityLabel(dom) : undefined;
    if (ctx.json) {
      const j = {
        id: dom.id < 0 ? null : dom.id,
        name: dom.name,
        uuid: dom.uuid,
        osType: osType ?? null,
        state: info ? stateName(info.state) : null,
        cpus: info?.nrVirtCpu ?? null,
        cpuTimeNs: info ? info.cpuTime.toString() : null,
        maxMemoryKiB: info?.maxMem ?? null,
        usedMemoryKiB: info?.memory ?? null,
        persistent: persistent ?? null,
        autostart: autostart ?? null,
        managedSave: managed ?? null,
        security: sec?.model ? { model: sec.model, doi: sec.doi, label: label?.label || null, enforcing: label?.label ? label.enforcing : null } : null,
      };
      return ctx.out(JSON.stringify(j) + "\n");
    }
    let out = row("Id:", dom.id < 0 ? "-" : String(dom.id)) + row("Name:", dom.name) + row("UUID:", dom.uuid);
    if (osType) out += row("OS Type:", osType);
    if (info) {
      out += row("State:", stateName(info.state)) + row("CPU(s):", String(info.nrVirtCpu));
      if (info.cpuTime !== 0n) out += row("CPU time:", `${(Number(info.cpuTime) / 1e9).toFixed(1)}s`);
      out += row("Max memory:", info.maxMem === 0xffffffff ? "no limit" : `${info.maxMem} KiB`);
      out += row("Used memory:", `${info.memory} KiB`);
    }
    out += row("Persistent:", persistent === undefined ? "unknown" : persistent ? "yes" : "no");
    if (autostart !== undefined) out += row("Autostart:", autostart ? "enable" : "disable");
    out += row("Managed save:", managed === undefined ? "unknown" : managed ? "yes" : "no");
    if (sec?.model) {
      out += row("Security model:", sec.model) + row("Security DOI:", sec.doi);
      if (label?.label) out += row("Security label:", `${label.label} (${label.enforcing ? "enforcing" : "permissive"})`);
    }
    ctx.out(out);
  },
});
