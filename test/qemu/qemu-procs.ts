// Finding the QEMU processes a test started (by guest name in their command line), and whether
// any are left — running, or a zombie child of this process (negative pid).
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

export function qemuPids(marker: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (cmd.startsWith("/usr/bin/qemu-system") && cmd.includes(marker)) out.push(Number(d));
      else if (cmd === "") {
        // A zombie has an empty cmdline: ours are the unreaped QEMU children of this process.
        const st = readFileSync(`/proc/${d}/stat`, "utf8");
        const [state, ppid] = st.slice(st.lastIndexOf(")") + 2).split(" ");
        if (st.includes("(qemu-system-x86)") && state === "Z" && Number(ppid) === process.pid) out.push(-Number(d));
      }
    } catch {}
  }
  return out;
}

/** What the fds of `pid` point at: "/dev/net/tun iff=NAME" for taps, else the link target. */
export function procFds(pid: number): string[] {
  const out: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const t = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (t === "/dev/net/tun") {
        const iff = /iff:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8"))?.[1];
        out.push(`tun:${iff}`);
      } else out.push(t);
    } catch {}
  }
  return out;
}
