// A procedure table entry: number, libvirt's name, codecs, and whether a read-only client may
// call it. `api` is the public function name libvirt puts in "read only access prevents …".

import type { Codec } from "../xdr.ts";

export interface ProcDef {
  prog: number;
  proc: number;
  name: string;
  args: Codec<any>;
  ret: Codec<any>;
  /** Allowed on the read-only socket. */
  readonly: boolean;
  api?: string;
}

export function table(prog: number, defs: Omit<ProcDef, "prog">[]): Map<number, ProcDef> {
  const m = new Map<number, ProcDef>();
  for (const d of defs) {
    if (m.has(d.proc)) throw new Error(`duplicate procedure ${d.proc} (${d.name})`);
    m.set(d.proc, { prog, ...d });
  }
  return m;
}
