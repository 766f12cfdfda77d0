// virsh's words for domain states and their reasons (virshDomainStateToString and
// virshDomainStateReasonToString, libvirt 9.0).

const STATES = ["no state", "running", "idle", "paused", "in shutdown", "shut off", "crashed", "pmsuspended"];

const REASONS: string[][] = [
  ["unknown"],
  ["unknown", "booted", "migrated", "restored", "from snapshot", "unpaused", "migration canceled", "save canceled", "event wakeup", "crashed", "post-copy", "post-copy failed"],
  ["unknown"],
  ["unknown", "user", "migrating", "saving", "dumping", "I/O error", "watchdog", "from snapshot", "shutting down", "creating snapshot", "crashed", "starting up", "post-copy", "post-copy failed", "api error"],
  ["unknown", "user"],
  ["unknown", "shutdown", "destroyed", "crashed", "migrated", "saved", "failed", "from snapshot", "daemon"],
  ["unknown", "panicked"],
  ["unknown"],
];

export const stateName = (s: number): string => STATES[s] ?? "no state";
export const reasonName = (s: number, r: number): string => REASONS[s]?.[r] ?? "unknown";
