// lxc-enter-namespace for a remote connection, done the way virsh does it: the daemon hands
// over the init's namespace fds (LXC OPEN_NAMESPACE); this process forks a child that joins the
// cgroups of host pid `dom.id` (an LXC domain id is such a pid, as in libvirt), setns()es into
// the namespaces and execs the command. setns into mnt/user needs a single-threaded process, so the
// child is an executor program (src/ffi/exec), never JavaScript.

import { readlinkSync } from "node:fs";
import { Program, closeFd } from "../../ffi/exec/index.ts";
import { runInEnteredNamespaces } from "../../ffi/exec/enter.ts";

// CLONE_NEW* per namespace kind; entered user first (it grants the rights for the rest), mnt last.
const NS_FLAG: Record<string, number> = { user: 0x10000000, cgroup: 0x02000000, ipc: 0x08000000, uts: 0x04000000, net: 0x40000000, pid: 0x20000000, mnt: 0x00020000 };
const ORDER = ["user", "cgroup", "ipc", "uts", "net", "pid", "mnt"];

const link = (p: string) => {
  try {
    return readlinkSync(p); // "mnt:[4026531840]"
  } catch {
    return "";
  }
};

/** Run argv inside the cgroups `cgroupDirs` (host paths) and the namespaces behind `nsFds`
 * (closed here); resolves with the shell-style status. */
export async function enterNamespaceFds(nsFds: number[], argv: string[], cgroupDirs: string[] = []): Promise<number> {
  try {
    const fds = nsFds
      .map((fd) => ({ fd, id: link(`/proc/self/fd/${fd}`) }))
      .map((x) => ({ ...x, kind: x.id.split(":")[0]! }))
      // setns into a namespace we are already in is pointless, and fails for user namespaces
      .filter((x) => x.kind in NS_FLAG && x.id !== link(`/proc/self/ns/${x.kind}`))
      .sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
    const p = new Program();
    // cgroups before the cgroup namespace (as virsh: virDomainLxcEnterCGroup, then setns)
    for (const d of cgroupDirs) p.writeFile(`${d}/cgroup.procs`, "0");
    for (const x of fds) p.setns(x.fd, NS_FLAG[x.kind]!, `setns ${x.kind}`);
    return await runInEnteredNamespaces(p, argv);
  } finally {
    for (const fd of nsFds) closeFd(fd);
  }
}
