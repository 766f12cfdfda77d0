// Post-parse checks libvirt makes for every driver (virDomainDefValidate and friends), with
// libvirt's exact messages. Driver-specific checks belong to the drivers.
import type { DomainDef } from "../model.ts";
import { errors } from "../../errors.ts";

export function checkDomainDef(def: DomainDef): void {
  const bootable = def.devices.some((d) => "boot" in d && d.boot !== undefined);
  if (bootable && def.os.boot.length) throw errors.configUnsupported("per-device boot elements cannot be used together with os/boot elements");
  if (def.maxMemory && !def.cpu?.numa?.length)
    throw errors.configUnsupported("At least one numa node has to be configured when enabling memory hotplug");
  for (const d of def.devices) {
    if (d.kind === "disk" && d.target?.bus === "usb" && !d.source?.attrs.file && !d.source?.attrs.dev && !d.source?.attrs.name && !d.source?.attrs.dir)
      throw errors.configUnsupported("'usb' disk must not be empty");
    if (d.kind === "interface") {
      if (d.portForward?.length && !(d.type === "user" && d.backend?.type === "passt"))
        throw errors.configUnsupported("The <portForward> element can only be used with <interface type='user'> and its 'passt' backend");
      for (const k of ["rx_queue_size", "tx_queue_size"] as const) {
        const v = d.driver?.attrs[k];
        if (v !== undefined) {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) throw errors.configUnsupported(`${k} has to be a power of two`);
        }
      }
    }
  }
}
