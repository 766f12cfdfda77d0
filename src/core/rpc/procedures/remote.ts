// The remote program (REMOTE_PROGRAM 0x20008086, version 1): the procedures virsh and
// python-libvirt use for domains, with argument/return layouts from remote_protocol.x.

import { Program } from "../packet.ts";
import { xArray, xInt, xStruct, xUhyper, xUint, xVoid } from "../xdr.ts";
import { table, type ProcDef } from "./table.ts";
import { REMOTE_DOMAIN_LIST_MAX, xCharArray, xCharVector, xDomain, xNonnullString, xOptDomain, xRemoteString, xUuid } from "./types.ts";

export const REMOTE_PROTOCOL_VERSION = 1;

export const RemoteProc = {
  CONNECT_OPEN: 1,
  CONNECT_CLOSE: 2,
  CONNECT_GET_TYPE: 3,
  CONNECT_GET_VERSION: 4,
  CONNECT_GET_MAX_VCPUS: 5,
  NODE_GET_INFO: 6,
  CONNECT_GET_CAPABILITIES: 7,
  DOMAIN_CREATE: 9,
  DOMAIN_CREATE_XML: 10,
  DOMAIN_DEFINE_XML: 11,
  DOMAIN_DESTROY: 12,
  DOMAIN_GET_XML_DESC: 14,
  DOMAIN_GET_AUTOSTART: 15,
  DOMAIN_GET_INFO: 16,
  DOMAIN_GET_MAX_MEMORY: 17,
  DOMAIN_GET_OS_TYPE: 19,
  CONNECT_LIST_DEFINED_DOMAINS: 21,
  DOMAIN_LOOKUP_BY_ID: 22,
  DOMAIN_LOOKUP_BY_NAME: 23,
  DOMAIN_LOOKUP_BY_UUID: 24,
  CONNECT_NUM_OF_DEFINED_DOMAINS: 25,
  DOMAIN_REBOOT: 27,
  DOMAIN_RESUME: 28,
  DOMAIN_SET_AUTOSTART: 29,
  DOMAIN_SHUTDOWN: 33,
  DOMAIN_SUSPEND: 34,
  DOMAIN_UNDEFINE: 35,
  CONNECT_LIST_DOMAINS: 37,
  CONNECT_NUM_OF_DOMAINS: 51,
  CONNECT_GET_HOSTNAME: 59,
  CONNECT_SUPPORTS_FEATURE: 60,
  AUTH_LIST: 66,
  AUTH_POLKIT: 70,
  CONNECT_DOMAIN_EVENT_REGISTER: 105,
  CONNECT_DOMAIN_EVENT_DEREGISTER: 106,
  DOMAIN_EVENT_LIFECYCLE: 107,
  CONNECT_GET_URI: 110,
  DOMAIN_GET_SECURITY_LABEL: 121,
  NODE_GET_SECURITY_MODEL: 122,
  CONNECT_DOMAIN_XML_TO_NATIVE: 136,
  CONNECT_IS_SECURE: 149,
  DOMAIN_IS_ACTIVE: 150,
  DOMAIN_IS_PERSISTENT: 151,
  CONNECT_GET_LIB_VERSION: 157,
  CONNECT_DOMAIN_EVENT_REGISTER_ANY: 167,
  CONNECT_DOMAIN_EVENT_DEREGISTER_ANY: 168,
  DOMAIN_HAS_MANAGED_SAVE_IMAGE: 183,
  DOMAIN_SNAPSHOT_NUM: 187,
  DOMAIN_CREATE_WITH_FLAGS: 196,
  DOMAIN_OPEN_CONSOLE: 201,
  DOMAIN_IS_UPDATED: 202,
  DOMAIN_GET_STATE: 212,
  DOMAIN_UNDEFINE_FLAGS: 231,
  DOMAIN_DESTROY_FLAGS: 234,
  DOMAIN_SHUTDOWN_FLAGS: 258,
  CONNECT_LIST_ALL_DOMAINS: 273,
  DOMAIN_CREATE_XML_WITH_FILES: 309,
  DOMAIN_CREATE_WITH_FILES: 310,
  CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY: 316,
  CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: 317,
  DOMAIN_EVENT_CALLBACK_LIFECYCLE: 318,
  DOMAIN_DEFINE_XML_FLAGS: 350,
  CONNECT_REGISTER_CLOSE_CALLBACK: 360,
  CONNECT_UNREGISTER_CLOSE_CALLBACK: 361,
  DOMAIN_GET_MESSAGES: 426,
} as const;

/** virDrvFeature numbers the client asks about with CONNECT_SUPPORTS_FEATURE. */
export const DrvFeature = {
  FD_PASSING: 8,
  TYPED_PARAM_STRING: 9,
  PROGRAM_KEEPALIVE: 10,
  REMOTE_EVENT_CALLBACK: 14,
  REMOTE_CLOSE_CALLBACK: 15,
} as const;

/** virDomainEventID: only LIFECYCLE (0) is ever emitted. */
export const DomainEventId = { LIFECYCLE: 0 } as const;

const P = RemoteProc;
const dom = xStruct([["dom", xDomain]] as const);
const domFlags = xStruct([["dom", xDomain], ["flags", xUint]] as const);
const int = (name: string) => xStruct([[name, xInt]] as const);
const str = (name: string) => xStruct([[name, xNonnullString]] as const);
const xmlFlags = xStruct([["xml", xNonnullString], ["flags", xUint]] as const);
const xmlDescFlags = xStruct([["xml_desc", xNonnullString], ["flags", xUint]] as const);
const lifecycleMsg = xStruct([["dom", xDomain], ["event", xInt], ["detail", xInt]] as const);

export const xLifecycleMsg = lifecycleMsg;
export const xCallbackLifecycleMsg = xStruct([["callbackID", xInt], ["msg", lifecycleMsg]] as const);

const R = true; // allowed read-only
const W = false;

export const remoteProcs: Map<number, ProcDef> = table(Program.REMOTE, [
  { proc: P.CONNECT_OPEN, name: "CONNECT_OPEN", args: xStruct([["name", xRemoteString], ["flags", xUint]] as const), ret: xVoid, readonly: R },
  { proc: P.CONNECT_CLOSE, name: "CONNECT_CLOSE", args: xVoid, ret: xVoid, readonly: R },
  { proc: P.CONNECT_GET_TYPE, name: "CONNECT_GET_TYPE", args: xVoid, ret: str("type"), readonly: R },
  { proc: P.CONNECT_GET_VERSION, name: "CONNECT_GET_VERSION", args: xVoid, ret: xStruct([["hv_ver", xUhyper]] as const), readonly: R },
  { proc: P.NODE_GET_INFO, name: "NODE_GET_INFO", args: xVoid, readonly: R,
    ret: xStruct([["model", xCharVector(32)], ["memory", xUhyper], ["cpus", xInt], ["mhz", xInt], ["nodes", xInt], ["sockets", xInt], ["cores", xInt], ["threads", xInt]] as const) },
  { proc: P.CONNECT_GET_CAPABILITIES, name: "CONNECT_GET_CAPABILITIES", args: xVoid, ret: str("capabilities"), readonly: R },
  { proc: P.DOMAIN_CREATE, name: "DOMAIN_CREATE", args: dom, ret: xVoid, readonly: W, api: "virDomainCreate" },
  { proc: P.DOMAIN_CREATE_XML, name: "DOMAIN_CREATE_XML", args: xmlDescFlags, ret: dom, readonly: W, api: "virDomainCreateXML" },
  { proc: P.DOMAIN_DEFINE_XML, name: "DOMAIN_DEFINE_XML", args: str("xml"), ret: dom, readonly: W, api: "virDomainDefineXML" },
  { proc: P.DOMAIN_DESTROY, name: "DOMAIN_DESTROY", args: dom, ret: xVoid, readonly: W, api: "virDomainDestroy" },
  { proc: P.DOMAIN_GET_XML_DESC, name: "DOMAIN_GET_XML_DESC", args: domFlags, ret: str("xml"), readonly: R },
  { proc: P.DOMAIN_GET_AUTOSTART, name: "DOMAIN_GET_AUTOSTART", args: dom, ret: int("autostart"), readonly: R },
  { proc: P.DOMAIN_GET_INFO, name: "DOMAIN_GET_INFO", args: dom, readonly: R,
    // unsigned char / unsigned short take a full 4-byte unit in XDR
    ret: xStruct([["state", xUint], ["maxMem", xUhyper], ["memory", xUhyper], ["nrVirtCpu", xUint], ["cpuTime", xUhyper]] as const) },
  { proc: P.DOMAIN_GET_MAX_MEMORY, name: "DOMAIN_GET_MAX_MEMORY", args: dom, ret: xStruct([["memory", xUhyper]] as const), readonly: R },
  { proc: P.DOMAIN_GET_OS_TYPE, name: "DOMAIN_GET_OS_TYPE", args: dom, ret: str("type"), readonly: R },
  { proc: P.CONNECT_LIST_DEFINED_DOMAINS, name: "CONNECT_LIST_DEFINED_DOMAINS", args: int("maxnames"), ret: xStruct([["names", xArray(xNonnullString, REMOTE_DOMAIN_LIST_MAX)]] as const), readonly: R },
  { proc: P.DOMAIN_LOOKUP_BY_ID, name: "DOMAIN_LOOKUP_BY_ID", args: int("id"), ret: dom, readonly: R },
  { proc: P.DOMAIN_LOOKUP_BY_NAME, name: "DOMAIN_LOOKUP_BY_NAME", args: str("name"), ret: dom, readonly: R },
  { proc: P.DOMAIN_LOOKUP_BY_UUID, name: "DOMAIN_LOOKUP_BY_UUID", args: xStruct([["uuid", xUuid]] as const), ret: dom, readonly: R },
  { proc: P.CONNECT_NUM_OF_DEFINED_DOMAINS, name: "CONNECT_NUM_OF_DEFINED_DOMAINS", args: xVoid, ret: int("num"), readonly: R },
  { proc: P.DOMAIN_REBOOT, name: "DOMAIN_REBOOT", args: domFlags, ret: xVoid, readonly: W, api: "virDomainReboot" },
  { proc: P.DOMAIN_RESUME, name: "DOMAIN_RESUME", args: dom, ret: xVoid, readonly: W, api: "virDomainResume" },
  { proc: P.DOMAIN_SET_AUTOSTART, name: "DOMAIN_SET_AUTOSTART", args: xStruct([["dom", xDomain], ["autostart", xInt]] as const), ret: xVoid, readonly: W, api: "virDomainSetAutostart" },
  { proc: P.DOMAIN_SHUTDOWN, name: "DOMAIN_SHUTDOWN", args: dom, ret: xVoid, readonly: W, api: "virDomainShutdown" },
  { proc: P.DOMAIN_SUSPEND, name: "DOMAIN_SUSPEND", args: dom, ret: xVoid, readonly: W, api: "virDomainSuspend" },
  { proc: P.DOMAIN_UNDEFINE, name: "DOMAIN_UNDEFINE", args: dom, ret: xVoid, readonly: W, api: "virDomainUndefine" },
  { proc: P.CONNECT_LIST_DOMAINS, name: "CONNECT_LIST_DOMAINS", args: int("maxids"), ret: xStruct([["ids", xArray(xInt, REMOTE_DOMAIN_LIST_MAX)]] as const), readonly: R },
  { proc: P.CONNECT_NUM_OF_DOMAINS, name: "CONNECT_NUM_OF_DOMAINS", args: xVoid, ret: int("num"), readonly: R },
  { proc: P.CONNECT_GET_HOSTNAME, name: "CONNECT_GET_HOSTNAME", args: xVoid, ret: str("hostname"), readonly: R },
  { proc: P.CONNECT_SUPPORTS_FEATURE, name: "CONNECT_SUPPORTS_FEATURE", args: int("feature"), ret: int("supported"), readonly: R },
  { proc: P.AUTH_LIST, name: "AUTH_LIST", args: xVoid, ret: xStruct([["types", xArray(xInt, 20)]] as const), readonly: R },
  { proc: P.AUTH_POLKIT, name: "AUTH_POLKIT", args: xVoid, ret: int("complete"), readonly: R },
  { proc: P.CONNECT_DOMAIN_EVENT_REGISTER, name: "CONNECT_DOMAIN_EVENT_REGISTER", args: xVoid, ret: int("cb_registered"), readonly: R },
  { proc: P.CONNECT_DOMAIN_EVENT_DEREGISTER, name: "CONNECT_DOMAIN_EVENT_DEREGISTER", args: xVoid, ret: int("cb_registered"), readonly: R },
  { proc: P.CONNECT_GET_URI, name: "CONNECT_GET_URI", args: xVoid, ret: str("uri"), readonly: R },
  { proc: P.DOMAIN_GET_SECURITY_LABEL, name: "DOMAIN_GET_SECURITY_LABEL", args: dom, ret: xStruct([["label", xCharArray(4097)], ["enforcing", xInt]] as const), readonly: R },
  { proc: P.NODE_GET_SECURITY_MODEL, name: "NODE_GET_SECURITY_MODEL", args: xVoid, ret: xStruct([["model", xCharArray(257)], ["doi", xCharArray(257)]] as const), readonly: R },
  { proc: P.CONNECT_DOMAIN_XML_TO_NATIVE, name: "CONNECT_DOMAIN_XML_TO_NATIVE", readonly: W, api: "virConnectDomainXMLToNative",
    args: xStruct([["nativeFormat", xNonnullString], ["domainXml", xNonnullString], ["flags", xUint]] as const), ret: str("nativeConfig") },
  { proc: P.CONNECT_IS_SECURE, name: "CONNECT_IS_SECURE", args: xVoid, ret: int("secure"), readonly: R },
  { proc: P.DOMAIN_IS_ACTIVE, name: "DOMAIN_IS_ACTIVE", args: dom, ret: int("active"), readonly: R },
  { proc: P.DOMAIN_IS_PERSISTENT, name: "DOMAIN_IS_PERSISTENT", args: dom, ret: int("persistent"), readonly: R },
  { proc: P.DOMAIN_IS_UPDATED, name: "DOMAIN_IS_UPDATED", args: dom, ret: int("updated"), readonly: R },
  { proc: P.CONNECT_GET_LIB_VERSION, name: "CONNECT_GET_LIB_VERSION", args: xVoid, ret: xStruct([["lib_ver", xUhyper]] as const), readonly: R },
  { proc: P.CONNECT_DOMAIN_EVENT_REGISTER_ANY, name: "CONNECT_DOMAIN_EVENT_REGISTER_ANY", args: int("eventID"), ret: xVoid, readonly: R },
  { proc: P.CONNECT_DOMAIN_EVENT_DEREGISTER_ANY, name: "CONNECT_DOMAIN_EVENT_DEREGISTER_ANY", args: int("eventID"), ret: xVoid, readonly: R },
  { proc: P.DOMAIN_HAS_MANAGED_SAVE_IMAGE, name: "DOMAIN_HAS_MANAGED_SAVE_IMAGE", args: domFlags, ret: int("result"), readonly: R },
  { proc: P.DOMAIN_SNAPSHOT_NUM, name: "DOMAIN_SNAPSHOT_NUM", args: domFlags, ret: int("num"), readonly: R },
  { proc: P.DOMAIN_CREATE_WITH_FLAGS, name: "DOMAIN_CREATE_WITH_FLAGS", args: domFlags, ret: dom, readonly: W, api: "virDomainCreateWithFlags" },
  { proc: P.DOMAIN_OPEN_CONSOLE, name: "DOMAIN_OPEN_CONSOLE", args: xStruct([["dom", xDomain], ["dev_name", xRemoteString], ["flags", xUint]] as const), ret: xVoid, readonly: W, api: "virDomainOpenConsole" },
  { proc: P.DOMAIN_GET_STATE, name: "DOMAIN_GET_STATE", args: domFlags, ret: xStruct([["state", xInt], ["reason", xInt]] as const), readonly: R },
  { proc: P.DOMAIN_UNDEFINE_FLAGS, name: "DOMAIN_UNDEFINE_FLAGS", args: domFlags, ret: xVoid, readonly: W, api: "virDomainUndefineFlags" },
  { proc: P.DOMAIN_DESTROY_FLAGS, name: "DOMAIN_DESTROY_FLAGS", args: domFlags, ret: xVoid, readonly: W, api: "virDomainDestroyFlags" },
  { proc: P.DOMAIN_SHUTDOWN_FLAGS, name: "DOMAIN_SHUTDOWN_FLAGS", args: domFlags, ret: xVoid, readonly: W, api: "virDomainShutdownFlags" },
  { proc: P.CONNECT_LIST_ALL_DOMAINS, name: "CONNECT_LIST_ALL_DOMAINS", readonly: R,
    args: xStruct([["need_results", xInt], ["flags", xUint]] as const),
    ret: xStruct([["domains", xArray(xDomain, REMOTE_DOMAIN_LIST_MAX)], ["ret", xUint]] as const) },
  { proc: P.DOMAIN_CREATE_XML_WITH_FILES, name: "DOMAIN_CREATE_XML_WITH_FILES", args: xmlDescFlags, ret: dom, readonly: W, api: "virDomainCreateXMLWithFiles" },
  { proc: P.DOMAIN_CREATE_WITH_FILES, name: "DOMAIN_CREATE_WITH_FILES", args: domFlags, ret: dom, readonly: W, api: "virDomainCreateWithFiles" },
  { proc: P.CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, name: "CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY", readonly: R,
    args: xStruct([["eventID", xInt], ["dom", xOptDomain]] as const), ret: int("callbackID") },
  { proc: P.CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, name: "CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY", args: int("callbackID"), ret: xVoid, readonly: R },
  { proc: P.DOMAIN_DEFINE_XML_FLAGS, name: "DOMAIN_DEFINE_XML_FLAGS", args: xmlFlags, ret: dom, readonly: W, api: "virDomainDefineXMLFlags" },
  { proc: P.CONNECT_REGISTER_CLOSE_CALLBACK, name: "CONNECT_REGISTER_CLOSE_CALLBACK", args: xVoid, ret: xVoid, readonly: R },
  { proc: P.CONNECT_UNREGISTER_CLOSE_CALLBACK, name: "CONNECT_UNREGISTER_CLOSE_CALLBACK", args: xVoid, ret: xVoid, readonly: R },
  { proc: P.DOMAIN_GET_MESSAGES, name: "DOMAIN_GET_MESSAGES", args: domFlags, ret: xStruct([["msgs", xArray(xNonnullString, 2048)]] as const), readonly: R },
]);
