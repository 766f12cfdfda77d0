// libvirt's scaled integers (virScaleInteger): b/bytes, k/KiB (1024), KB (1000), M/MiB, MB, G/GiB,
// GB, T/TiB, TB, P/PiB, PB, E/EiB, EB. Units are case-insensitive except that the "B" suffix
// after a prefix means decimal (KB, MB ...) and "iB" or a bare prefix means binary.

const POW: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5, e: 6 };

/** Bytes per unit, or undefined for an unknown unit. */
export function unitScale(unit: string): bigint | undefined {
  const u = unit.toLowerCase();
  if (u === "b" || u === "bytes") return 1n;
  const p = POW[u[0] ?? ""];
  if (p === undefined) return undefined;
  const rest = u.slice(1);
  if (rest === "" || rest === "ib") return 1024n ** BigInt(p);
  if (rest === "b") return 1000n ** BigInt(p);
  return undefined;
}

export type UnitResult = { ok: true; kib: number } | { ok: false; reason: string };

/**
 * Convert `value` in `unit` (default `defUnit`) to KiB, rounding up like libvirt's
 * virDomainParseMemory (which rounds to whole KiB). `max` is in KiB.
 */
export function toKiB(value: string, unit: string | undefined, defUnit = "KiB", max = Number.MAX_SAFE_INTEGER): UnitResult {
  const v = value.trim();
  if (!/^\d+$/.test(v)) return { ok: false, reason: `invalid value '${value}'` };
  const scale = unitScale(unit ?? defUnit);
  if (scale === undefined) return { ok: false, reason: `unknown suffix '${unit}'` };
  const bytes = BigInt(v) * scale;
  const kib = (bytes + 1023n) / 1024n;
  if (kib > BigInt(max)) return { ok: false, reason: `value '${value}' ${unit ?? defUnit} is too large` };
  return { ok: true, kib: Number(kib) };
}
