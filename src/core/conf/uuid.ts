// UUIDs as libvirt accepts them (virUUIDParse): 32 hex digits, dashes and spaces allowed
// between byte pairs; printed lower-case in 8-4-4-4-12 form.

/** Canonical form, or undefined if `s` is not a UUID. */
export function parseUuid(s: string): string | undefined {
  const t = s.trim();
  const hex = t.replace(/[- ]/g, "");
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  // Separators may only sit between byte pairs, as in libvirt.
  let pos = 0;
  for (const ch of t) {
    if (ch === "-" || ch === " ") {
      if (pos % 2) return undefined;
    } else pos++;
  }
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A random version-4 UUID. */
export function randomUuid(): string {
  return crypto.randomUUID();
}
