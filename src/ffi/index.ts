// src/ffi — the only code that knows pointers, struct layouts, errno and syscalls.
//
//   libc.ts          libc through bun:ffi: files, sockets, namespaces, mounts, processes, ptys;
//                    every failure throws SysError { call, errno, errnoName, detail }.
//   errno.ts         errno names.
//   fdpass.ts        sendFds / recvFds / recvFdsAsync / waitReadable (SCM_RIGHTS, MSG_CTRUNC).
//   process.ts       spawnRaw (posix_spawnp), waitExit(pidfd) async + reap, runRaw.
//   tun.ts           /dev/net/tun: tunAttach, TUNSETIFF/TUNGETIFF/TUNSETPERSIST/…, struct ifreq.
//   netlink/         NlMsg encoding, NetlinkSocket (+ NetlinkError, withNetns), Rtnl (links,
//                    addresses, routes), MAC/IP text <-> bytes.
//   exec/            the post-clone executor (owned by the LXC side; not re-exported here).

export * from "./libc.ts";
export * from "./fdpass.ts";
export * from "./tun.ts";
export * from "./process.ts";
export * from "./netlink/message.ts";
export * from "./netlink/socket.ts";
export * from "./netlink/rtnl.ts";
export * from "./netlink/addr.ts";
