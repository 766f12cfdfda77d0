// libvirt's error model: every failure carries a code and a domain (virErrorNumber /
// virErrorDomain from libvirt's virterror.h) so the CLI, the API and the wire protocol
// report the same thing libvirt would.

export const ErrorCode = {
  OK: 0,
  INTERNAL_ERROR: 1,
  NO_MEMORY: 2,
  NO_SUPPORT: 3,
  UNKNOWN_HOST: 4,
  NO_CONNECT: 5,
  INVALID_CONN: 6,
  INVALID_DOMAIN: 7,
  INVALID_ARG: 8,
  OPERATION_FAILED: 9,
  OS_TYPE: 16,
  NO_SOURCE: 19,
  NO_TARGET: 20,
  NO_NAME: 21,
  NO_OS: 22,
  NO_DEVICE: 23,
  XML_ERROR: 27,
  DOM_EXIST: 28,
  OPERATION_DENIED: 29,
  OPEN_FAILED: 30,
  READ_FAILED: 31,
  PARSE_FAILED: 32,
  WRITE_FAILED: 34,
  XML_DETAIL: 35,
  SYSTEM_ERROR: 38,
  RPC: 39,
  NO_DOMAIN: 42,
  INVALID_MAC: 44,
  AUTH_FAILED: 45,
  OPERATION_INVALID: 55,
  CONFIG_UNSUPPORTED: 67,
  OPERATION_TIMEOUT: 68,
  ARGUMENT_UNSUPPORTED: 74,
  OPERATION_UNSUPPORTED: 84,
  XML_INVALID_SCHEMA: 92,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ErrorDomain = {
  NONE: 0,
  XML: 5,
  DOM: 6,
  RPC: 7,
  CONF: 9,
  QEMU: 10,
  NET: 11,
  TEST: 12,
  REMOTE: 13,
  LXC: 17,
  DOMAIN: 20,
  SECURITY: 24,
  CAPABILITIES: 44,
  URI: 45,
  DEVICE: 49,
  CGROUP: 54,
} as const;
export type ErrorDomainValue = (typeof ErrorDomain)[keyof typeof ErrorDomain];

/** An error as libvirt reports it: `code` and `domain` are libvirt's numbers. */
export class VirError extends Error {
  constructor(
    public readonly code: number,
    public readonly domain: number,
    message: string,
  ) {
    super(message);
    this.name = "VirError";
  }
}

// libvirt prefixes messages by code; these helpers keep the wording in one place.
export const errors = {
  internal: (msg: string, dom: number = ErrorDomain.NONE) =>
    new VirError(ErrorCode.INTERNAL_ERROR, dom, `internal error: ${msg}`),
  noSupport: (what: string, dom: number = ErrorDomain.NONE) =>
    new VirError(ErrorCode.NO_SUPPORT, dom, `this function is not supported by the connection driver: ${what}`),
  noDomain: (detail: string, dom: number = ErrorDomain.DOMAIN) =>
    new VirError(ErrorCode.NO_DOMAIN, dom, `Domain not found: ${detail}`),
  operationInvalid: (detail: string, dom: number = ErrorDomain.DOMAIN) =>
    new VirError(ErrorCode.OPERATION_INVALID, dom, `Requested operation is not valid: ${detail}`),
  operationFailed: (detail: string, dom: number = ErrorDomain.DOMAIN) =>
    new VirError(ErrorCode.OPERATION_FAILED, dom, `operation failed: ${detail}`),
  operationDenied: (detail: string, dom: number = ErrorDomain.NONE) =>
    new VirError(ErrorCode.OPERATION_DENIED, dom, `operation forbidden: ${detail}`),
  invalidArg: (detail: string, dom: number = ErrorDomain.NONE) =>
    new VirError(ErrorCode.INVALID_ARG, dom, `invalid argument: ${detail}`),
  xml: (detail: string) => new VirError(ErrorCode.XML_ERROR, ErrorDomain.DOMAIN, `XML error: ${detail}`),
  xmlDetail: (detail: string) => new VirError(ErrorCode.XML_DETAIL, ErrorDomain.XML, detail),
  schema: (detail: string) =>
    new VirError(ErrorCode.XML_INVALID_SCHEMA, ErrorDomain.DOMAIN, `XML document failed to validate against schema: ${detail}`),
  configUnsupported: (detail: string, dom: number = ErrorDomain.DOMAIN) =>
    new VirError(ErrorCode.CONFIG_UNSUPPORTED, dom, `unsupported configuration: ${detail}`),
  domExists: (detail: string, dom: number = ErrorDomain.DOMAIN) =>
    new VirError(ErrorCode.DOM_EXIST, dom, `operation failed: ${detail}`),
  system: (detail: string, dom: number = ErrorDomain.NONE) => new VirError(ErrorCode.SYSTEM_ERROR, dom, detail),
  noConnect: (detail: string) =>
    new VirError(ErrorCode.NO_CONNECT, ErrorDomain.NONE, `no connection driver available for ${detail}`),
};

/** Wrap anything thrown into a VirError (unknown exceptions are internal errors). */
export function toVirError(e: unknown): VirError {
  if (e instanceof VirError) return e;
  if (e instanceof Error) return errors.internal(e.message);
  return errors.internal(String(e));
}
