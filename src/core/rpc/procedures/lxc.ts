// The LXC program (lxc_protocol.x, 0x00068000 v1): one call, whose reply carries the init
// process's namespace fds (REPLY_WITH_FDS).

import { Program } from "../packet.ts";
import { xStruct, xUint, xVoid } from "../xdr.ts";
import { table } from "./table.ts";
import { xDomain } from "./types.ts";

export const LXC_PROTOCOL_VERSION = 1;
export const LxcProc = { DOMAIN_OPEN_NAMESPACE: 1 } as const;

export const lxcProcs = table(Program.LXC, [
  { proc: LxcProc.DOMAIN_OPEN_NAMESPACE, name: "LXC_DOMAIN_OPEN_NAMESPACE", args: xStruct([["dom", xDomain], ["flags", xUint]] as const), ret: xVoid, readonly: false, api: "virDomainLxcOpenNamespace" },
]);
