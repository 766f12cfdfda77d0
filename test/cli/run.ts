// Run the CLI in-process (fast) with captured stdout/stderr, as a fresh `bunvirt` would.
import { setBuiltins } from "../../src/core/api.ts";
import { runCli } from "../../src/core/cli/index.ts";
import { builtinPlugins } from "../../src/plugins/builtin.ts";

setBuiltins(builtinPlugins);

export interface Result {
  code: number;
  out: string;
  err: string;
}

export async function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  let out = "";
  let err = "";
  const code = await runCli(args, { out: (s) => void (out += s), err: (s) => void (err += s), env });
  return { code, out, err };
}

/** `bunvirt -c test:///default "<commands>"`: one connection, so state carries across commands. */
export const testDriver = (commands: string, ...extra: string[]) => cli(["-c", "test:///default", ...extra, commands]);
