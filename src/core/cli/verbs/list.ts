import { ConnectListFlags as F, DomainState as S, type DomainRef } from "../../driver.ts";
import { stateName } from "../states.ts";
import { formatTable } from "../table.ts";
import { defineVerb } from "../verb.ts";

/** virshDomainSorter: running domains by id, then inactive ones by name (case-insensitive). */
function sortDomains(a: DomainRef, b: DomainRef): number {
  if (a.id < 0 && b.id < 0) return a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0;
  if (a.id >= 0 && b.id >= 0) return a.id - b.id;
  return a.id >= 0 ? -1 : 1;
}

export default defineVerb({
  name: "list",
  summary: "list domains",
  description: "Returns list of domains.",
  options: [
    { name: "inactive", type: "bool", help: "list inactive domains" },
    { name: "all", type: "bool", help: "list inactive & active domains" },
    { name: "transient", type: "bool", help: "list transient domains" },
    { name: "persistent", type: "bool", help: "list persistent domains" },
    { name: "state-running", type: "bool", help: "list domains in running state" },
    { name: "state-paused", type: "bool", help: "list domains in paused state" },
    { name: "state-shutoff", type: "bool", help: "list domains in shutoff state" },
    { name: "state-other", type: "bool", help: "list domains in other states" },
    { name: "autostart", type: "bool", help: "list domains with autostart enabled" },
    { name: "no-autostart", type: "bool", help: "list domains with autostart disabled" },
    { name: "uuid", type: "bool", help: "list uuid's only" },
    { name: "name", type: "bool", help: "list domain names only" },
    { name: "id", type: "bool", help: "list domain IDs only" },
    { name: "table", type: "bool", help: "list table (default)" },
  ],
  json: true,
  async run(ctx, o) {
    const states: number[] = [];
    if (o["state-running"]) states.push(S.RUNNING);
    if (o["state-paused"]) states.push(S.PAUSED);
    if (o["state-shutoff"]) states.push(S.SHUTOFF);
    const other = !!o["state-other"];
    const byState = states.length > 0 || other;
    // a state filter alone looks at every domain, as virsh's does
    let flags = o.all ? F.ACTIVE | F.INACTIVE : o.inactive ? F.INACTIVE : byState ? 0 : F.ACTIVE;
    if (o.transient) flags |= F.TRANSIENT;
    if (o.persistent) flags |= F.PERSISTENT;
    if (o.autostart) flags |= F.AUTOSTART;
    if (o["no-autostart"]) flags |= F.NO_AUTOSTART;
    const c = await ctx.conn();
    let doms = (await c.listAllDomains(flags)).sort(sortDomains);
    if (byState) {
      const keep: DomainRef[] = [];
      for (const d of doms) {
        const st = (await c.getState(d)).state;
        const known = st === S.RUNNING || st === S.PAUSED || st === S.SHUTOFF;
        if (states.includes(st) || (other && !known)) keep.push(d);
      }
      doms = keep;
    }
    if (ctx.json) {
      const rows = [];
      for (const d of doms) rows.push({ id: d.id < 0 ? null : d.id, name: d.name, uuid: d.uuid, state: stateName((await c.getState(d)).state) });
      return ctx.out(JSON.stringify(rows) + "\n");
    }
    if (o.name || o.uuid || o.id) {
      let out = "";
      for (const d of doms) {
        if (o.id && d.id < 0) continue;
        const parts = [o.id ? String(d.id) : "", o.uuid ? d.uuid : "", o.name ? d.name : ""].filter(Boolean);
        out += parts.join(" ") + "\n";
      }
      return ctx.out(out);
    }
    const rows: string[][] = [];
    for (const d of doms) rows.push([d.id < 0 ? "-" : String(d.id), d.name, stateName((await c.getState(d)).state)]);
    ctx.out(formatTable(["Id", "Name", "State"], rows, !ctx.quiet));
  },
});
