// virsh's vshTable layout: each cell is " " + text, every column but the last is padded to the
// column's widest cell + 2, and the header rule is (width + 3) dashes per column.

/** Display width as virsh counts it (wide East Asian characters count 2). */
export function cellWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    w += (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) || (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) || (c >= 0x20000 && c <= 0x3fffd) ? 2 : 1;
  }
  return w;
}

/** Non-printable characters become \xNN, as vshTableSafeEncode does. */
function safe(s: string): string {
  return s.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

export function formatTable(header: string[], rows: string[][], withHeader = true): string {
  const all = [header, ...rows].map((r) => r.map(safe));
  const counted = withHeader ? all : all.slice(1);
  const widths = header.map((_, i) => Math.max(0, ...counted.map((r) => cellWidth(r[i] ?? ""))));
  const line = (r: string[]) =>
    r.map((c, i) => (i < r.length - 1 ? ` ${c}${" ".repeat(widths[i]! - cellWidth(c) + 2)}` : ` ${c}`)).join("") + "\n";
  let out = "";
  if (withHeader) out += line(all[0]!) + "-".repeat(widths.reduce((a, w) => a + w + 3, 0)) + "\n";
  for (const r of all.slice(1)) out += line(r);
  return out;
}
