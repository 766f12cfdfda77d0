// bunvirt's entry point: hand the built-in driver list and the remote transport to the API,
// then run the CLI.
import { setBuiltins, setRemoteHook } from "./core/api.ts";
import { remoteHook } from "./core/rpc/client.ts";
import { runCli } from "./core/cli/index.ts";
import { writeAll } from "./core/cli/write.ts";
import { builtinPlugins } from "./plugins/builtin.ts";

setBuiltins(builtinPlugins);
// Remote transports (lxc+unix://, a local daemon's socket) go through the RPC client.
setRemoteHook(remoteHook);

const out = (s: string) => writeAll(1, s);
const err = (s: string) => writeAll(2, s);
const code = await runCli(process.argv.slice(2), { out, err });
// Exit as soon as the command is done, as virsh does: a driver's timers or sockets must not keep
// the CLI alive.
process.exit(code);
