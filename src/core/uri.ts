// libvirt connection URIs: driver[+transport]://[user@][host][:port]/path[?params]
import { errors, VirError, ErrorCode, ErrorDomain } from "./errors.ts";

export interface ParsedUri {
  /** The URI as given. */
  raw: string;
  /** Driver part of the scheme ("lxc", "qemu", "test"). */
  driver: string;
  /** Transport after '+', e.g. "unix"; undefined when absent. */
  transport?: string;
  user?: string;
  host?: string;
  port?: number;
  /** Path, e.g. "/system", "/embed", "/default". */
  path: string;
  params: Record<string, string>;
}

export function parseUri(raw: string): ParsedUri {
  const m = /^([A-Za-z][A-Za-z0-9.-]*)(?:\+([A-Za-z0-9.-]+))?:\/\/(?:([^@/]*)@)?(\[[^\]]*\]|[^:/?]*)(?::(\d+))?(\/[^?]*)?(?:\?(.*))?$/.exec(raw);
  if (!m) throw new VirError(ErrorCode.INVALID_ARG, ErrorDomain.URI, `invalid argument: Unable to parse URI ${raw}`);
  const params: Record<string, string> = {};
  if (m[7]) {
    for (const kv of m[7].split("&")) {
      if (!kv) continue;
      const i = kv.indexOf("=");
      const k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      params[k] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    }
  }
  return {
    raw,
    driver: m[1]!.toLowerCase(),
    transport: m[2]?.toLowerCase(),
    user: m[3] ? decodeURIComponent(m[3]) : undefined,
    host: m[4] ? m[4] : undefined,
    port: m[5] ? Number(m[5]) : undefined,
    path: m[6] ?? "",
    params,
  };
}

export function requireParam(uri: ParsedUri, name: string): string {
  const v = uri.params[name];
  if (!v) throw errors.invalidArg(`URI '${uri.raw}' requires the '${name}' parameter`);
  return v;
}
