// libvirt-style capability queries against QEMU's QMP schema (query-qmp-schema): a path such as
// "block-stream/arg-type/backing-mask-protocol" names a command, then the member types to walk;
// "+stream" selects a union variant. This is how libvirt derives most flags from a binary.
interface SchemaEntry {
  name: string;
  "meta-type": string;
  "arg-type"?: string;
  "ret-type"?: string;
  "element-type"?: string;
  members?: { name: string; type: string }[];
  variants?: { case: string; type: string }[];
}

export class QmpSchema {
  private readonly byName = new Map<string, SchemaEntry>();
  constructor(entries: SchemaEntry[]) {
    for (const e of entries) this.byName.set(e.name, e);
  }

  private deref(name: string | undefined): SchemaEntry | undefined {
    let e = name === undefined ? undefined : this.byName.get(name);
    while (e?.["meta-type"] === "array") e = this.byName.get(e["element-type"]!);
    return e;
  }

  /** Whether the path exists in this QEMU's schema. */
  has(path: string): boolean {
    const [cmd, ...rest] = path.split("/");
    let e = this.byName.get(cmd!);
    if (!e || e["meta-type"] !== "command") return false;
    for (const step of rest) {
      if (!e) return false;
      if (step === "arg-type" || step === "ret-type") e = this.deref(e[step]);
      else if (step.startsWith("+")) e = this.deref(e.variants?.find((v) => v.case === step.slice(1))?.type);
      else {
        const m = e.members?.find((x) => x.name === step);
        if (!m) return false;
        e = this.deref(m.type);
      }
    }
    return !!e;
  }
}

/** libvirt flag name → the schema path libvirt probes for it (the ones the builder uses). */
export const SCHEMA_FLAGS: Record<string, string> = {
  "blockjob.backing-mask-protocol": "block-stream/arg-type/backing-mask-protocol",
  "netdev.stream": "netdev_add/arg-type/+stream",
  "netdev.stream.reconnect": "netdev_add/arg-type/+stream/reconnect",
  "smp-dies": "query-hotpluggable-cpus/ret-type/props/die-id",
  "smp-clusters": "query-hotpluggable-cpus/ret-type/props/cluster-id",
  "set-action": "set-action",
};

export function schemaFlags(entries: SchemaEntry[]): string[] {
  const s = new QmpSchema(entries);
  return Object.entries(SCHEMA_FLAGS).filter(([, p]) => s.has(p)).map(([f]) => f);
}
