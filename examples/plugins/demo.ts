// An external bunvirt driver plugin: an in-memory "demo" hypervisor on demo:///.
// Load it with `bunvirt --plugin-dir examples/plugins -c demo:/// list --all` (or
// BUNVIRT_PLUGIN_DIR=examples/plugins). A plugin is one module whose default export is a factory
// taking the HostApi; it must not import bunvirt's modules at run time (a compiled executable
// cannot resolve them for a loose file), so everything comes from `host`. Type-only imports
// are erased and therefore fine.
import type { Connection, DomainRef, DriverPlugin, HostApi } from "../../src/core/driver.ts";
import type { DomainDef } from "../../src/core/conf/index.ts";

interface Dom {
  def: DomainDef;
  id: number;
  state: number;
  reason: number;
  autostart: boolean;
}

export default function demoPlugin(host: HostApi): DriverPlugin {
  const { errors, DomainState, conf } = host;
  const doms = new Map<string, Dom>();
  let nextId = 1;
  const ref = (d: Dom): DomainRef => ({ name: d.def.name, uuid: d.def.uuid, id: d.id });
  const get = (r: DomainRef): Dom => {
    const d = doms.get(r.name);
    if (!d || d.def.uuid !== r.uuid) throw errors.noDomain(`no domain with matching name '${r.name}'`);
    return d;
  };
  const find = (pred: (d: Dom) => boolean, what: string): DomainRef => {
    for (const d of doms.values()) if (pred(d)) return ref(d);
    throw errors.noDomain(what);
  };

  // Only the methods this driver has: the core answers the rest (suspend, resume, console...)
  // with "this function is not supported by the connection driver".
  const conn = (uri: string): Omit<Connection, "suspend" | "resume"> =>
    ({
      uri,
      getType: () => "DEMO",
      getVersion: async () => 1000000,
      getHostname: async () => "demo",
      getCapabilities: async () => "<capabilities>\n</capabilities>\n",
      listAllDomains: async (flags = 0) =>
        [...doms.values()].filter((d) => !(flags & 3) || (flags & 1 && d.id >= 0) || (flags & 2 && d.id < 0)).map(ref),
      lookupByName: async (n: string) => find((d) => d.def.name === n, `no domain with matching name '${n}'`),
      lookupByUUID: async (u: string) => find((d) => d.def.uuid === u, `no domain with matching uuid '${u}'`),
      lookupByID: async (i: number) => find((d) => d.id === i, `no domain with matching id ${i}`),
      async defineXML(xml: string, flags = 0) {
        const def = conf.parseDomainXml(xml, { validate: !!(flags & 1) });
        const old = doms.get(def.name);
        if (old && old.def.uuid !== def.uuid) throw errors.domExists(`domain '${def.name}' already exists with uuid ${old.def.uuid}`);
        const d: Dom = old ?? { def, id: -1, state: DomainState.SHUTOFF, reason: 0, autostart: false };
        d.def = def;
        doms.set(def.name, d);
        return ref(d);
      },
      async undefine(r: DomainRef) {
        const d = get(r);
        if (d.id >= 0) throw errors.operationInvalid("cannot undefine a running demo domain");
        doms.delete(d.def.name);
      },
      async create(r: DomainRef) {
        const d = get(r);
        if (d.id >= 0) throw errors.operationInvalid("domain is already running");
        Object.assign(d, { id: nextId++, state: DomainState.RUNNING, reason: 1 });
        return ref(d);
      },
      async createXML(xml: string) {
        return this.create(await this.defineXML(xml));
      },
      async destroy(r: DomainRef) {
        const d = get(r);
        if (d.id < 0) throw errors.operationInvalid("domain is not running");
        Object.assign(d, { id: -1, state: DomainState.SHUTOFF, reason: 2 });
      },
      async shutdown(r: DomainRef) {
        await this.destroy(r);
        get(r).reason = 1;
      },
      async reboot(r: DomainRef) {
        if (get(r).id < 0) throw errors.operationInvalid("domain is not running");
      },
      async getInfo(r: DomainRef) {
        const d = get(r);
        return { state: d.state, maxMem: d.def.memory, memory: d.def.currentMemory ?? d.def.memory, nrVirtCpu: d.def.vcpu.count, cpuTime: 0n };
      },
      getState: async (r: DomainRef) => ({ state: get(r).state, reason: get(r).reason }),
      getXMLDesc: async (r: DomainRef) => conf.formatDomainXml(get(r).def, { id: get(r).id }),
      getAutostart: async (r: DomainRef) => get(r).autostart,
      setAutostart: async (r: DomainRef, on: boolean) => void (get(r).autostart = on),
      isActive: async (r: DomainRef) => get(r).id >= 0,
      isPersistent: async () => true,
      close: async () => {},
    }) satisfies Omit<Connection, "suspend" | "resume">;

  return {
    name: "demo",
    schemes: ["demo"],
    // libvirt's virt type for hypervisor-less drivers (the XML parser accepts libvirt's list only)
    domainTypes: ["none"],
    guests: () => [{ osType: "exe", arch: "x86_64", wordsize: 64, domains: [{ type: "none" }] }],
    // suspend/resume are left out on purpose (see above); the host fills them in
    open: async (uri) => conn(uri.raw) as Connection,
  };
}
