// netdev — host network devices for guests and containers (a library used by the lxc and qemu
// drivers, not a hypervisor driver). Everything goes through src/ffi (rtnetlink, /dev/net/tun
// ioctls); nothing here runs `ip`, `brctl` or `tunctl`.
//
// All calls work in the calling process's network namespace (the host's for the daemon) unless
// an `rtnl` (an Rtnl opened with Rtnl.open(netnsRef)) is passed. Errors are VirErrors; kernel
// refusals are NetlinkError/SysError naming the request, device and errno.
//
// QEMU <interface type='ethernet'|'bridge'|'network'> — taps:
//   openTap({ name?, managed = true, mac, vnetHdr?, queues?, bridge?, mtu? }) -> Tap
//     managed: create if absent (default name: kernel-chosen "vnet%d"), MAC = guest MAC with first
//       byte 0xFE, MTU (given, else the bridge's), enslave to `bridge`, bring up; teardown()
//       closes our fds and deletes the device.
//     unmanaged (managed: false, libvirt's <target dev='X' managed='no'/>): X must exist and be a
//       tap; it is opened as is — MAC, flags, MTU, owner untouched — and never deleted.
//       Names starting with "vnet" are fine. Works unprivileged on a tap owned by the caller.
//     Tap = { fd, fds (one per queue), name, ifindex, managed, closeFds(), teardown() }.
//     Hand `fds` to QEMU through Bun.spawn stdio (fd=N), then closeFds() in the daemon.
//
// QEMU <interface type='direct'> — macvtap:
//   createMacvtap({ name?, managed = true, source?, mode = "vepa", mac, vnetHdr?, queues? }) -> Macvtap
//     managed: create on `source` in mode bridge|vepa|private|passthrough with the guest MAC
//       (default name: first free "macvtapN"), bring up, open /dev/tapN (N = ifindex; the node is
//       made from sysfs when /dev lacks it); teardown() deletes the device.
//     unmanaged: the macvtap must exist and carry the guest MAC exactly, else a clear error.
//   createMacvlan({ name?, source, mode?, mac? }) -> name   (for containers' type='direct')
//
// LXC — veth pairs, bridges, namespaces:
//   createVethPair({ host?, peer?, mac?, mtu?, bridge?, up = true, peerNetns? }) -> VethPair
//     = { host, peer, hostIndex, teardown() }; the peer gets the guest MAC, the host end the
//     0xFE variant, bridge MTU inherited.
//   createBridge(name, {mac?, mtu?, up = true}) / deleteBridge(name)
//   attachToBridge(dev, bridge) / detachFromBridge(dev) / bridgeOf(dev)
//   moveToNetns(dev, ns, {newName?}) -> { originalName, name, index }  (ns: {pid}|{fd}|{path})
//   returnFromNetns(nameInside, ns, originalName)   — before the container's netns dies.
//
// deleteDevices(names) — delete many devices in one kernel batch (teardown of a domain's NICs:
//   each single delete waits ~16 ms for an RCU grace period; a batch waits once).
//
// Lower level: rtnl() (the shared Rtnl), hostSideMac(mac), and src/ffi/netlink/rtnl.ts.

export { openTap, type Tap, type TapOptions } from "./tap.ts";
export { createMacvtap, createMacvlan, type Macvtap, type MacvtapOptions, type MacvlanMode } from "./macvtap.ts";
export { createVethPair, type VethOptions, type VethPair } from "./veth.ts";
export { attachToBridge, bridgeOf, createBridge, deleteBridge, detachFromBridge } from "./bridge.ts";
export { moveToNetns, returnFromNetns, type MovedNic, type NetnsRef } from "./netns.ts";
export { closeRtnl, deleteDevices, deleteIfExists, hostSideMac, normalizeMac, rtnl } from "./common.ts";
export { Rtnl, type Link } from "../../ffi/netlink/rtnl.ts";
