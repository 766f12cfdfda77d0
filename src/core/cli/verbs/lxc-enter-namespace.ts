import { defineVerb, domainOpt } from "../verb.ts";

export default defineVerb({
  name: "lxc-enter-namespace",
  summary: "LXC Guest Enter Namespace",
  description: "Run an arbitrary command in a lxc guest namespace; use at your own risk",
  options: [
    domainOpt(),
    { name: "noseclabel", type: "bool", help: "Do not change process security label" },
    { name: "cmd", type: "argv", required: true, positional: true, help: "command to run" },
  ],
  async run(ctx, o) {
    const dom = await ctx.domain(o.domain as string);
    const status = await (await ctx.conn()).lxcEnterNamespace(dom, o.cmd as string[], { noSecLabel: !!o.noseclabel });
    // CMD's status is ours (128+N when a signal N ended it), with no error line: a script can
    // tell "grep found nothing" (1) from a failure to enter (an error, exit 1)
    ctx.exitCode = status;
  },
});
