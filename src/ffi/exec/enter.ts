// The common tail of every "run a command inside a container's namespaces" (libvirt-lxc
// enterNamespace, in-process and through the daemon's OPEN_NAMESPACE fds): the caller's program
// has joined the namespaces; here we fork into the pid namespace, exec the command with a PATH
// search and relay its wait status.

import { ErrorDomain, errors } from "../../core/errors.ts";
import { ExecError, Op, Program, decodeWaitStatus, errnoText, killPid, spawnProgram, waitPid } from "./index.ts";

/** The environment of an entered command when the caller gives none (libvirt's). */
export const ENTER_ENV = (): string[] => ["PATH=/bin:/usr/bin:/sbin:/usr/sbin", `TERM=${process.env.TERM ?? "linux"}`, "container=lxc-libvirt"];
const SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/**
 * Append to `program` (which has entered the namespaces) a fork into the pid namespace, chdir /,
 * close every inherited fd above stdio, and exec argv (a bare name is searched in the usual
 * directories). Runs it and resolves with the command's shell-style status (128+N for signal N).
 * The command inherits this process's stdio. A command that cannot be run at all is an error.
 */
export async function runInEnteredNamespaces(program: Program, argv: string[], envp: string[] = ENTER_ENV()): Promise<number> {
  const p = program;
  // a pid namespace applies to children: fork once more, relay the child's status
  const c = p.clone(0, "fork into the pid namespace");
  p.waitChild();
  p.child(c);
  p.chdir("/");
  p.closeRange(3);
  const cmd = argv[0]!;
  if (cmd.includes("/")) p.execve(cmd, argv, envp);
  else SEARCH.forEach((d, i) => p.execve(`${d}/${cmd}`, argv, envp, i < SEARCH.length - 1));
  const sp = spawnProgram(p);
  let status: number | undefined;
  try {
    for (let r = await sp.nextAsync(24 * 3600_000); r; r = await sp.nextAsync(24 * 3600_000)) {
      if (r.type === "status") status = r.value;
    }
  } catch (e) {
    killPid(sp.pid, 9);
    waitPid(sp.pid);
    if (e instanceof ExecError && e.step !== undefined && p.steps[e.step]?.op === Op.EXECVE) {
      const where = cmd.includes("/") ? "" : ` (searched ${SEARCH.join(":")})`;
      throw errors.operationFailed(`cannot run '${cmd}' inside the container${where}: ${errnoText(e.errno)}`, ErrorDomain.LXC);
    }
    throw e;
  }
  waitPid(sp.pid);
  if (status === undefined) throw errors.operationFailed("lxc-enter-namespace: the command's status was not reported", ErrorDomain.LXC);
  return decodeWaitStatus(status).shellStatus;
}
