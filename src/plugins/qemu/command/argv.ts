// The text form of a command line as libvirt prints it (domxml-to-native, test .args files).

const NEEDS_QUOTE = /[\r\t\n !"#$&'()*;<>?[\\\]^`{|}~]/;

export function shellQuote(s: string): string {
  if (!NEEDS_QUOTE.test(s)) return s;
  return `'${s.replace(/'/g, "'\\''")}'`;
}

/** Env assignments one per line, then the emulator, then a new line before each `-option`
 * (libvirt's test form); `oneLine` joins with spaces as virsh domxml-to-native prints it. */
export function formatArgs(env: [string, string][], argv: string[], oneLine = false): string {
  const lines: string[] = env.map(([k, v]) => `${k}=${shellQuote(v)}`);
  let cur: string | undefined;
  for (const a of argv) {
    if (cur === undefined) cur = shellQuote(a);
    else if (a.startsWith("-")) {
      lines.push(cur);
      cur = shellQuote(a);
    } else cur += " " + shellQuote(a);
  }
  if (cur !== undefined) lines.push(cur);
  return lines.join(oneLine ? " " : " \\\n") + "\n";
}

/** JSON as QEMU's -device/-object take it: key order is the order of insertion. */
export const json = (o: Record<string, unknown>) => JSON.stringify(o);
