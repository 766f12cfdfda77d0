import { join } from "node:path";
import { cgWrite } from "../util.ts";
import { devRuleText, type CgroupLimits } from "../types.ts";

/** devices controller: deny all, then allow the list. */
export function applyDevices(dir: string, l: CgroupLimits): void {
  cgWrite(join(dir, "devices.deny"), "a");
  for (const r of l.devices) cgWrite(join(dir, "devices.allow"), devRuleText(r));
}
