// libvirt-lxc namespace API: open the init's namespace fds, and run a command inside all of the
// container's namespaces, root and cgroup. setns into a mount or user namespace is refused in a
// multi-threaded process (Bun), so the entering happens in an executor child.

import { readlinkSync } from "node:fs";
import { Program, closeFd, openFd } from "../../ffi/exec/index.ts";
import { runInEnteredNamespaces } from "../../ffi/exec/enter.ts";
import { NS } from "./container.ts";
import type { DomainDef } from "../../core/conf/index.ts";

// libvirt's order (virProcessNamespaces): ipc, mnt, net, pid, user, uts
const NS_NAMES = ["ipc", "mnt", "net", "pid", "user", "uts"] as const;
const NS_FLAG: Record<string, number> = { ipc: NS.NEWIPC, mnt: NS.NEWNS, net: NS.NEWNET, pid: NS.NEWPID, user: NS.NEWUSER, uts: NS.NEWUTS, cgroup: NS.NEWCGROUP };

const nsId = (pid: number | "self", n: string) => {
  try {
    return readlinkSync(`/proc/${pid}/ns/${n}`);
  } catch {
    return "";
  }
};

/** Namespaces of `pid` that differ from ours (setns into our own user ns fails). */
function ownNamespaces(pid: number, names: readonly string[]): string[] {
  return names.filter((n) => nsId(pid, n) !== "" && nsId(pid, n) !== nsId("self", n));
}

/** fds (O_CLOEXEC, caller owns) of init's namespaces, in libvirt's order. */
export function openNamespaces(initPid: number, _def?: DomainDef): number[] {
  const out: number[] = [];
  try {
    for (const n of NS_NAMES) out.push(openFd(`/proc/${initPid}/ns/${n}`));
  } catch (e) {
    for (const fd of out) closeFd(fd);
    throw e;
  }
  return out;
}

const TMP = 1000;

/** Run argv inside init's namespaces, root and cgroups; resolves with its shell-style status.
 * The command inherits this process's stdio. */
export async function enterNamespaces(initPid: number, cgroupDirs: string[], argv: string[], env?: string[]): Promise<number> {
  const names = ownNamespaces(initPid, ["user", "cgroup", "ipc", "uts", "net", "pid", "mnt"]);
  const p = new Program();
  // Open every namespace first: after setns(mnt), /proc is the container's.
  names.forEach((n, i) => p.open(`/proc/${initPid}/ns/${n}`, 0, 0, TMP + i));
  // Join the container's cgroups (host paths) before its cgroup namespace.
  for (const d of cgroupDirs) p.writeFile(`${d}/cgroup.procs`, "0");
  names.forEach((n, i) => p.setns(TMP + i, NS_FLAG[n]!, `setns ${n}`));
  return runInEnteredNamespaces(p, argv, env);
}
