// bunvirt's entry point: hand the built-in driver list and the remote transport to the API,
// then run the CLI.
import { setBuiltins, setRemoteHook } from "./core/api.ts";
import { remoteHook } from "./core/rpc/client.ts";
import { runCli } from "./core/cli/index.ts";
import { builtinPlugins } from "./plugins/builtin.ts";

setBuiltins(builtinPlugins);
// Remote transports (lxc+unix://, a local daemon's socket) go through the RPC client.
setRemoteHook(remoteHook);

const out = (s: string) => void process.stdout.write(s);
const err = (s: string) => void process.stderr.write(s);
// set process.exitCode rather than exit(): stdout may still hold queued writes to a pipe
process.exitCode = await runCli(process.argv.slice(2), { out, err });
