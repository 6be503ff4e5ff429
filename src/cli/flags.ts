// Flag values written the way upstream's components take them, so
// `--leader-elect-lease-duration=15s` and `--leader-elect=false` work as in
// kube-controller-manager.

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("15s", "1m30s", "500ms", "1.5h") in milliseconds. A bare number means seconds. */
export function parseDuration(text: string): number {
  const s = text.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * UNITS[m[2]];
    end = re.lastIndex;
  }
  if (s === '' || end !== s.length) throw new Error(`invalid duration "${text}" (e.g. 15s, 500ms, 1m30s)`);
  return total;
}

/** Go's strconv.ParseBool; undefined or true (a flag given without a value) is true. */
export function parseBool(text: string | boolean | undefined): boolean {
  if (text === undefined || text === true) return true;
  if (text === false) return false;
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(text)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(text)) return false;
  throw new Error(`invalid boolean "${text}"`);
}

/** A comma-separated list ("*,-namespace"); empty items dropped. */
export function parseList(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
}
