// Memory units as libvirt's virScaleInteger understands them, to KiB.
import { errors } from "../../core/errors.ts";

const SCALE: Record<string, number> = {
  b: 1, bytes: 1,
  k: 1024, kib: 1024, kb: 1000,
  m: 1024 ** 2, mib: 1024 ** 2, mb: 1e6,
  g: 1024 ** 3, gib: 1024 ** 3, gb: 1e9,
  t: 1024 ** 4, tib: 1024 ** 4, tb: 1e12,
};

/** Value with a unit (default KiB) to KiB, rounding bytes up as libvirt does. */
export function toKiB(value: string, unit = "KiB"): number {
  const s = SCALE[unit.toLowerCase()];
  if (s === undefined) throw errors.xml(`unknown unit '${unit}'`);
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw errors.xml(`invalid memory value '${value}'`);
  return Math.ceil((n * s) / 1024);
}

export const alignUp = (v: number, a: number) => Math.ceil(v / a) * a;
