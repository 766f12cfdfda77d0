// bunvirt's entry point: hand the built-in driver list and the remote transport to the API,
// then run the CLI.
import { setBuiltins, setRemoteHook } from "./core/api.ts";
import { remoteHook } from "./core/rpc/client.ts";
import { runCli } from "./core/cli/index.ts";
import { builtinPlugins } from "./plugins/builtin.ts";

setBuiltins(builtinPlugins);
// Remote transports (lxc+unix://, a local daemon's socket) go through the RPC client.
setRemoteHook(remoteHook);

/** A reader that went away (`| head`) ends our output, not the program with a stack trace. */
const writer = (stream: NodeJS.WriteStream) => {
  let closed = false;
  stream.on("error", () => void (closed = true));
  return (s: string) => {
    if (closed) return;
    try {
      stream.write(s);
    } catch (e) {
      if ((e as { code?: string }).code !== "EPIPE") throw e;
      closed = true;
    }
  };
};
const out = writer(process.stdout);
const err = writer(process.stderr);
// set process.exitCode rather than exit(): stdout may still hold queued writes to a pipe
process.exitCode = await runCli(process.argv.slice(2), { out, err });
