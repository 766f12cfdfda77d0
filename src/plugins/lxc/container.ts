// Starting one container: the host-side policy. Turns a ContainerSpec into an executor program
// (src/ffi/exec) whose processes are:
//   P0  forked from Bun; forks P1 and exits at once (so the container is not Bun's child)
//   P1  setsid; clones init with the namespace flags; reports both pids; execs the supervisor
//       (from a memfd), which thereby becomes init's parent
//   init waits until the driver has placed it in its cgroups, written uid/gid maps and moved its
//       network devices in; then builds its mount tree, pivots, drops capabilities and execs.
// Everything between clone and exec is native (executor.c); this file only decides what to do.

import { CHILD_PID_ARG, Program, closeFd, killPid, pipe, spawnProgram, waitGone, waitPid, writeFd, type Spawned } from "../../ffi/exec/index.ts";
import { supervisorMemfd } from "../../ffi/exec/supervisor.ts";

// clone/unshare flags
export const NS = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
} as const;

const MS = {
  RDONLY: 1, NOSUID: 2, NODEV: 4, NOEXEC: 8, REMOUNT: 32, BIND: 4096, MOVE: 8192, REC: 16384,
  PRIVATE: 1 << 18, SLAVE: 1 << 19, STRICTATIME: 1 << 24,
} as const;
const O = { RDONLY: 0, WRONLY: 1, RDWR: 2, CREAT: 0o100, NOCTTY: 0o400 } as const;
const S_IFCHR = 0o020000, S_IFBLK = 0o060000;
const MNT_DETACH = 2;
const SIGKILL = 9;

export interface SpecMount {
  kind: "bind" | "tmpfs";
  /** host path (bind) */
  source?: string;
  /** path inside the container */
  target: string;
  readonly?: boolean;
  /** tmpfs size in KiB */
  sizeKiB?: number;
  /** the XML element it comes from (named in errors) */
  where?: string;
}

export interface SpecDevice {
  /** path inside the container (same as the host path for hostdev capabilities) */
  path: string;
  type: "c" | "b";
  major: number;
  minor: number;
  /** permission bits */
  mode: number;
  /** the XML element it comes from (named in errors) */
  where?: string;
}

export interface ContainerSpec {
  name: string;
  uuid: string;
  /** host directory to pivot into; undefined = share the host root (application container) */
  rootfs?: string;
  rootReadonly?: boolean;
  /** the XML element of the root filesystem (named in errors) */
  rootWhere?: string;
  mounts: SpecMount[];
  /** clone flags (NS.*) */
  namespaces: number;
  idmap?: { uid: { start: number; target: number; count: number }[]; gid: { start: number; target: number; count: number }[] };
  hostname: string;
  argv: string[];
  env: string[];
  cwd: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  /** capability numbers kept */
  keepCaps: number[];
  devices: SpecDevice[];
  /** host pty slave that becomes /dev/console */
  consoleSlave: string;
  /** cgroup filesystems to show read-only under /sys/fs/cgroup (rooted at the container's
   * cgroup by its cgroup namespace): v1 hierarchies by name and options, and/or cgroup2 */
  cgroupfs?: { v1: { name: string; opts: string }[]; v2?: "root" | "unified" };
}

/** Host-side resources handed to the program. */
export interface LaunchFds {
  /** listening socket for the supervisor */
  listen: number;
  ptyMaster: number;
  ptySlave: number;
  /** fds passed to init as 3.. (caller keeps ownership) */
  pass: number[];
  /** namespaces init joins (setns) instead of creating them (<lxc:namespace>) */
  join?: { fd: number; nstype: number; name: string }[];
}

export interface LaunchPaths {
  socket: string;
  status: string;
  /** staging mount point for an application container's root (host / bound there) */
  stage: string;
  cgroupDirs: string[];
}

/** Default devices of a container's private /dev (libvirt: lxc_container.c). */
const DEV_NODES: [string, number, number][] = [
  ["null", 1, 3], ["zero", 1, 5], ["full", 1, 7], ["random", 1, 8], ["urandom", 1, 9], ["tty", 5, 0],
];

/** makedev as glibc encodes dev_t. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major), mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

// Temporaries for fd placement sit just below the executor's report fd (1023).
const TMP_FD = 1000;
const CONSOLE_TREE_FD = 1020;

/** The three-process program (P0 → P1 = supervisor, init); init waits on goRead for the driver. */
export function buildLaunchProgram(spec: ContainerSpec, fds: LaunchFds, paths: LaunchPaths, goRead: number, goWrite: number): Program {
  const p = new Program();
  const userns = (spec.namespaces & NS.NEWUSER) !== 0;
  const memfd = supervisorMemfd();

  // P0: detach so the supervisor is not our child (no zombie in a long-lived daemon).
  const c0 = p.clone(0, "fork supervisor");
  p.exit(0);

  // P1
  p.child(c0);
  p.setsid();
  const c1 = p.clone(spec.namespaces & ~NS.NEWCGROUP, "clone container init");
  p.reportPid(false).reportPid(true);
  p.close(goRead).close(goWrite);
  // Place the supervisor's fds: via high temporaries so sources and targets cannot clash.
  const supFds = [fds.listen, fds.ptyMaster, fds.ptySlave, memfd];
  supFds.forEach((fd, i) => p.dup2(fd, TMP_FD + i));
  supFds.forEach((_, i) => p.dup2(TMP_FD + i, 3 + i, i === 3));
  p.closeRange(3 + supFds.length);
  p.open("/dev/null", O.RDWR, 0, 0).dup2(0, 1).dup2(0, 2);
  p.execveat(6, ["bunvirt-supervisor", CHILD_PID_ARG, paths.socket, paths.status, ...paths.cgroupDirs], [], "exec supervisor");

  // init
  p.child(c1);
  p.close(goWrite);
  p.waitFd(goRead);
  p.close(goRead);
  // In a new user namespace our credentials are still the host's (unmapped there): become the
  // namespace's root, i.e. the mapped ids, before creating anything.
  if (userns) p.setgroups([]).setgid(0).setuid(0);
  for (const j of fds.join ?? []) p.setns(j.fd, j.nstype, `join ${j.name}`);
  // Join a cgroup namespace rooted at the container's cgroup (the driver placed us there).
  if (spec.namespaces & NS.NEWCGROUP) p.unshare(NS.NEWCGROUP);
  buildMountTree(p, spec, paths, userns);
  if (spec.namespaces & NS.NEWUTS) p.sethostname(spec.hostname);

  // Console as stdio and controlling terminal.
  p.setsid();
  p.open("/dev/console", O.RDWR, 0, 0).setctty(0).dup2(0, 1).dup2(0, 2);
  // Passed fds → 3.., everything else closed (no host fd leaks).
  fds.pass.forEach((fd, i) => p.dup2(fd, TMP_FD + i));
  fds.pass.forEach((_, i) => p.dup2(TMP_FD + i, 3 + i));
  p.closeRange(3 + fds.pass.length);

  p.caps(spec.keepCaps);
  if (spec.gid !== undefined || spec.uid !== undefined) {
    p.setgroups(spec.groups ?? []);
    if (spec.gid !== undefined) p.setgid(spec.gid);
    if (spec.uid !== undefined) p.setuid(spec.uid);
  }
  p.from("/domain/os/initdir", () => p.chdir(spec.cwd));
  // If the supervisor dies, take the container down rather than leave it unmanaged.
  p.pdeathsig(SIGKILL);
  p.from("/domain/os/init", () => p.execve(spec.argv[0]!, spec.argv, spec.env));
  return p;
}

function buildMountTree(p: Program, spec: ContainerSpec, paths: LaunchPaths, userns: boolean): void {
  // Device nodes get exactly the modes we ask for; init starts with the usual 022 again.
  p.umask(0);
  // Nothing we mount may propagate back to the host.
  p.mount(null, "/", null, MS.REC | MS.PRIVATE, null, "make / private");
  // Take the console now: with the host's root as the container's root, the private /dev
  // tmpfs would hide its /dev/pts path (and a bind from an fd of another mount ns is refused).
  p.openTree(spec.consoleSlave, CONSOLE_TREE_FD);
  const R = spec.rootfs ?? paths.stage;
  // pivot_root needs the new root to be a mount point.
  p.from(spec.rootWhere, () => p.mount(spec.rootfs ?? "/", R, null, MS.BIND | MS.REC, null, `bind root ${spec.rootfs ?? "/"}`));
  const at = (t: string) => (t === "/" ? R : R + t);

  for (const m of spec.mounts) {
    if (m.kind === "bind") {
      p.from(m.where && `${m.where}/target/@dir`, () => mkdirs(p, at, m.target));
      p.from(m.where && `${m.where}/source/@dir`, () => p.mount(m.source!, at(m.target), null, MS.BIND | MS.REC, null, `bind ${m.source} on ${m.target}`));
      p.from(m.where, () => m.readonly && p.mount(null, at(m.target), null, MS.BIND | MS.REMOUNT | MS.RDONLY, null, `remount ${m.target} read-only`));
    } else {
      p.from(m.where, () => {
        mkdirs(p, at, m.target);
        p.mount("tmpfs", at(m.target), "tmpfs", MS.NOSUID | MS.NODEV, `size=${m.sizeKiB ?? 65536}k,mode=755`);
      });
    }
  }

  // Fresh /proc (we are pid 1 of a new pid namespace); /proc/sys read-only as libvirt does.
  p.mkdir(at("/proc"));
  p.mount("proc", at("/proc"), "proc", MS.NOSUID | MS.NODEV | MS.NOEXEC);
  p.mount(at("/proc/sys"), at("/proc/sys"), null, MS.BIND, null, "bind /proc/sys");
  p.mount(null, at("/proc/sys"), null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null, "remount /proc/sys read-only");

  // Read-only /sys. A fresh sysfs needs a network namespace we own; otherwise bind the host's.
  p.mkdir(at("/sys"));
  // With the host root shared, its sysfs came along with the recursive bind; the kernel refuses
  // the same sysfs superblock stacked on itself (EBUSY), so drop the host's first.
  if (!spec.rootfs) p.umount(at("/sys"), MNT_DETACH);
  if (!userns || spec.namespaces & NS.NEWNET) {
    // read-only through a bind remount: a read-only mount of a sysfs superblock that is
    // mounted read-write elsewhere (the host's, without a netns of our own) fails with EBUSY
    p.mount("sysfs", at("/sys"), "sysfs", MS.NOSUID | MS.NODEV | MS.NOEXEC);
    p.mount(null, at("/sys"), null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null, "remount /sys read-only");
  } else {
    p.mount("/sys", at("/sys"), null, MS.BIND | MS.REC, null, "bind /sys");
    p.mount(null, at("/sys"), null, MS.BIND | MS.REMOUNT | MS.RDONLY, null, "remount /sys read-only");
  }

  // cgroup filesystems, read-only (a writable memory.limit_in_bytes would let the container lift
  // its own limits), seen from the container's cgroup namespace. Not with a user namespace: a
  // v1 hierarchy cannot be mounted from one.
  if (spec.cgroupfs && !userns && spec.namespaces & NS.NEWCGROUP) {
    // mounted read-write, then made read-only by a bind remount (a read-only mount of a
    // superblock that the host has read-write is refused, as with sysfs)
    const fl = MS.NOSUID | MS.NODEV | MS.NOEXEC;
    const roBind = (t: string, name: string) => p.mount(null, t, null, MS.BIND | MS.REMOUNT | MS.RDONLY | fl, null, `remount ${name} read-only`);
    const cg = at("/sys/fs/cgroup");
    if (spec.cgroupfs.v2 === "root" && !spec.cgroupfs.v1.length) {
      p.mount("cgroup2", cg, "cgroup2", fl);
      roBind(cg, "/sys/fs/cgroup");
    } else {
      p.mount("cgroup", cg, "tmpfs", fl, "mode=755", "mount tmpfs on /sys/fs/cgroup");
      for (const h of spec.cgroupfs.v1) {
        p.mkdir(`${cg}/${h.name}`);
        p.mount("cgroup", `${cg}/${h.name}`, "cgroup", fl, h.opts, `mount cgroup ${h.opts} on /sys/fs/cgroup/${h.name}`);
        roBind(`${cg}/${h.name}`, `/sys/fs/cgroup/${h.name}`);
      }
      if (spec.cgroupfs.v2) {
        p.mkdir(`${cg}/unified`);
        p.mount("cgroup2", `${cg}/unified`, "cgroup2", fl);
        roBind(`${cg}/unified`, "/sys/fs/cgroup/unified");
      }
      roBind(cg, "/sys/fs/cgroup");
    }
  }

  // Private /dev.
  p.mkdir(at("/dev"));
  p.mount("devfs", at("/dev"), "tmpfs", MS.NOSUID | MS.STRICTATIME, "mode=755,size=65536k", "mount tmpfs on /dev");
  for (const [n, ma, mi] of DEV_NODES) devNode(p, at(`/dev/${n}`), `/dev/${n}`, S_IFCHR | 0o666, ma, mi, userns);
  p.mkdir(at("/dev/pts"));
  p.mount("devpts", at("/dev/pts"), "devpts", MS.NOSUID | MS.NOEXEC, userns ? "newinstance,ptmxmode=0666,mode=0620" : "newinstance,ptmxmode=0666,mode=0620,gid=5");
  p.symlink("pts/ptmx", at("/dev/ptmx"));
  p.mkdir(at("/dev/shm"), 0o1777);
  p.mount("shm", at("/dev/shm"), "tmpfs", MS.NOSUID | MS.NODEV, "mode=1777,size=65536k");
  p.symlink("/proc/self/fd", at("/dev/fd"));
  p.symlink("/proc/self/fd/0", at("/dev/stdin"));
  p.symlink("/proc/self/fd/1", at("/dev/stdout"));
  p.symlink("/proc/self/fd/2", at("/dev/stderr"));
  p.open(at("/dev/console"), O.WRONLY | O.CREAT, 0o600, -2);
  p.moveMount(CONSOLE_TREE_FD, at("/dev/console"), "bind console");
  // libvirt gives the first console as /dev/tty1 too (getty-style inits expect it)
  p.open(at("/dev/tty1"), O.WRONLY | O.CREAT, 0o600, -2);
  p.mount(at("/dev/console"), at("/dev/tty1"), null, MS.BIND, null, "bind console on /dev/tty1");
  for (const d of spec.devices) {
    p.from(d.where, () => {
      const dir = d.path.slice(0, d.path.lastIndexOf("/"));
      if (dir && dir !== "/dev") mkdirs(p, at, dir, "/dev");
      devNode(p, at(d.path), d.path, (d.type === "b" ? S_IFBLK : S_IFCHR) | (d.mode & 0o7777), d.major, d.minor, userns);
    });
  }

  // pivot_root(".", ".") stacks the old root on the new one; detach it. No directory needed.
  p.chdir(R);
  p.pivotRoot(".", ".");
  p.umount(".", MNT_DETACH);
  p.chdir("/");
  p.umask(0o022);
  if (spec.rootReadonly) p.mount(null, "/", null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC, null, "remount / read-only");
}

/** mkdir -p of a container path (components up to `known` exist already). */
function mkdirs(p: Program, at: (t: string) => string, dir: string, known = ""): void {
  let cur = "";
  for (const part of dir.split("/").filter(Boolean)) {
    cur += "/" + part;
    if (cur.length > known.length || !known.startsWith(cur)) p.mkdir(at(cur));
  }
}

/** mknod, or in a user namespace (where mknod is refused) bind the host node. */
function devNode(p: Program, path: string, hostPath: string, mode: number, major: number, minor: number, userns: boolean): void {
  if (!userns) {
    p.mknod(path, mode, makedev(major, minor));
  } else {
    p.open(path, O.WRONLY | O.CREAT, 0o600, -2);
    p.mount(hostPath, path, null, MS.BIND, null, `bind ${hostPath}`);
  }
}

export interface Launched {
  initPid: number;
  supervisorPid: number;
}

/**
 * Run the launch program. `setup(initPid)` runs while init waits (cgroups, uid maps, network);
 * if it throws, init is killed. Resolves once init exec'd and the supervisor is running.
 */
export async function launch(
  spec: ContainerSpec,
  fds: LaunchFds,
  paths: LaunchPaths,
  setup: (initPid: number) => Promise<void> | void,
): Promise<Launched> {
  const [goR, goW] = pipe();
  let sp: Spawned | undefined;
  let initPid = 0, supervisorPid = 0;
  let goClosed = false;
  try {
    const prog = buildLaunchProgram(spec, fds, paths, goR, goW);
    try {
      sp = spawnProgram(prog);
    } finally {
      closeFd(goR);
    }
    let r1, r2;
    try {
      r1 = sp.next();
      r2 = sp.next();
    } finally {
      // P0 exits right after forking P1; reap it now.
      waitPid(sp.pid);
    }
    if (!r1 || !r2 || r1.type !== "pid" || r2.type !== "pid") throw new Error("executor: launch reported no pids");
    initPid = r1.value;
    supervisorPid = r2.value;
    await setup(initPid);
    writeFd(goW, "g");
    closeFd(goW);
    goClosed = true;
    sp.drain();
    return { initPid, supervisorPid };
  } catch (e) {
    // Leave nothing running: init and its supervisor (which would otherwise record init's end
    // in the status file after our caller cleaned up). Neither is our child: wait for their end.
    if (initPid) killPid(initPid, SIGKILL);
    if (supervisorPid) killPid(supervisorPid, SIGKILL);
    if (!goClosed) closeFd(goW);
    sp?.close();
    if (initPid) waitGone(initPid, 2000);
    if (supervisorPid) waitGone(supervisorPid, 2000);
    throw e;
  }
}
