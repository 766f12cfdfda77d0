import { defineVerb } from "../verb.ts";
import { CliError } from "../verb.ts";

export default defineVerb({
  name: "daemon",
  summary: "serve the libvirt protocol on UNIX sockets (like libvirtd)",
  description:
    "Listens on /run/bunvirt/bunvirt-sock (root only, or --group) and bunvirt-sock-ro (everyone, read-only);\n" +
    "with --root DIR, on DIR/bunvirt-sock{,-ro} with driver state under DIR. virsh reaches it with\n" +
    "-c 'lxc+unix:///system?socket=DIR/bunvirt-sock'.",
  options: [
    { name: "root", type: "string", help: "directory for the sockets and all driver state" },
    { name: "group", type: "string", help: "numeric gid allowed on the read-write socket (mode 0660)" },
  ],
  local: true,
  async run(_ctx, o) {
    let group: number | undefined;
    if (typeof o.group === "string") {
      group = Number(o.group);
      if (!Number.isInteger(group) || group < 0) throw new CliError([`invalid group id '${o.group}'`]);
    }
    // loaded here, not at start-up: every other verb would otherwise pay for the daemon and FFI
    const { runDaemon } = await import("../../daemon/index.ts");
    await runDaemon({ root: typeof o.root === "string" ? o.root : undefined, group });
    // serve until SIGTERM/SIGINT (runDaemon exits the process then)
    await new Promise(() => {});
  },
});
