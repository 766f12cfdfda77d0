// <interface> formatter (virDomainNetDefFormat's child order).
import { el, type XmlEl } from "../xml.ts";
import type { InterfaceDev } from "../model/devices.ts";
import * as K from "../model/attr-keys.ts";
import { INFO_ORDER, infoEls, ipEl, ordered, routeEl, sortChildren, addressEl, type Fmt } from "./common.ts";

const NET_ORDER = [
  "mac", "source", "vlan", "virtualport", "bandwidth", "ip", "route", "portForward", "script", "downscript",
  "backenddomain", "target", "guest", "model", "driver", "backend", "filterref", "tune", "teaming", "link",
  "mtu", "coalesce", ...INFO_ORDER,
];

export function interfaceEl(n: InterfaceDev, f: Fmt): XmlEl {
  const srcKids: XmlEl[] = [
    ...(n.sourceAddress ? [addressEl(n.sourceAddress)] : []),
    ...n.sourceIps.map(ipEl),
    ...n.sourceRoutes.map(routeEl),
    ...(n.sourceLocal ? [el("local", n.sourceLocal)] : []),
  ];
  const src = n.source || srcKids.length ? el("source", ordered(n.source, K.NET_SOURCE), srcKids) : undefined;
  const drv = n.driver
    ? el("driver", ordered(n.driver.attrs, K.NET_DRIVER), [
        n.driver.host && el("host", ordered(n.driver.host, K.NET_DRIVER_HOST)),
        n.driver.guest && el("guest", ordered(n.driver.guest, K.NET_DRIVER_GUEST)),
      ])
    : undefined;
  return el(
    "interface",
    { type: n.type, managed: n.managed, trustGuestRxFilters: n.trustGuestRxFilters },
    sortChildren(
      [
        n.mac && el("mac", { address: n.mac.address, type: n.mac.type, check: n.mac.check }),
        src,
        n.vlan &&
          el("vlan", { trunk: n.vlan.trunk }, n.vlan.tags.map((t) => el("tag", { id: t.id, nativeMode: t.nativeMode }))),
        n.virtualport &&
          el("virtualport", { type: n.virtualport.type }, [n.virtualport.parameters && el("parameters", ordered(n.virtualport.parameters, K.VPORT_PARAMS))]),
        n.bandwidth,
        ...(n.portForward ?? []),
        ...n.ips.map(ipEl),
        ...n.routes.map(routeEl),
        n.script !== undefined && el("script", { path: n.script }),
        n.downscript !== undefined && el("downscript", { path: n.downscript }),
        n.target && el("target", { dev: n.target.dev, managed: n.target.managed }),
        n.guest && el("guest", { dev: n.guest.dev, actual: n.guest.actual }),
        n.model !== undefined && el("model", { type: n.model }),
        drv,
        n.backend && el("backend", n.backend),
        n.filterref,
        n.linkState && el("link", { state: n.linkState }),
        n.mtu !== undefined && el("mtu", { size: n.mtu }),
        ...(n.extra ?? []),
        ...infoEls(n, f),
      ],
      NET_ORDER,
    ),
  );
}
