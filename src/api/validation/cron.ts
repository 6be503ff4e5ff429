// Cron schedules as CronJob accepts them: five fields (minute hour
// day-of-month month day-of-week) with lists, ranges, steps and names, or a
// descriptor (@hourly, @every 1h30m, …). Errors use the wording of the Go
// parser upstream relies on.

interface Bounds { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Bounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Go's strconv.Atoi, with its error text. */
function atoi(s: string): number | string {
  if (!/^[+-]?[0-9]+$/.test(s)) return `strconv.Atoi: parsing ${JSON.stringify(s)}: invalid syntax`;
  const n = BigInt(s);
  if (n > 9223372036854775807n || n < -9223372036854775808n) return `strconv.Atoi: parsing ${JSON.stringify(s)}: value out of range`;
  return Number(n);
}

function mustParseInt(expr: string): number | Error {
  const n = atoi(expr);
  if (typeof n === 'string') return new Error(`failed to parse int from ${expr}: ${n}`);
  if (n < 0) return new Error(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number | Error {
  const named = b.names?.[expr.toLowerCase()];
  return named !== undefined ? named : mustParseInt(expr);
}

function checkRange(expr: string, b: Bounds): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: number;
  let end: number;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
  } else {
    const s = parseIntOrName(lowAndHigh[0], b);
    if (s instanceof Error) return s.message;
    start = s;
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) {
      const e = parseIntOrName(lowAndHigh[1], b);
      if (e instanceof Error) return e.message;
      end = e;
    } else return `too many hyphens: ${expr}`;
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    const s = mustParseInt(rangeAndStep[1]);
    if (s instanceof Error) return s.message;
    step = s;
    if (lowAndHigh.length === 1) end = b.max; // "N/step" means "N-max/step"
  } else if (rangeAndStep.length > 2) {
    return `too many slashes: ${expr}`;
  }
  if (start < b.min) return `beginning of range (${start}) below minimum (${b.min}): ${expr}`;
  if (end > b.max) return `end of range (${end}) above maximum (${b.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  if (step === 0) return `step of range should be a positive number: ${expr}`;
  return undefined;
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, reduced to whether it accepts the text (and its error). */
export function goDurationError(s: string): string | undefined {
  const orig = s;
  const bad = `time: invalid duration ${JSON.stringify(orig)}`;
  if (s.startsWith('-') || s.startsWith('+')) s = s.slice(1);
  if (s === '0') return undefined;
  if (s === '') return bad;
  while (s !== '') {
    const num = /^([0-9]*)(\.[0-9]*)?/.exec(s);
    if (!num || (num[1] === '' && (num[2] ?? '').length <= 1)) return bad;
    s = s.slice(num[0].length);
    const unit = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (unit === '') return `time: missing unit in duration ${JSON.stringify(orig)}`;
    if (!(unit in UNITS)) return `time: unknown unit ${JSON.stringify(unit)} in duration ${JSON.stringify(orig)}`;
    s = s.slice(unit.length);
  }
  return undefined;
}

/** Whether a zone name is known (Go's time.LoadLocation, via the runtime's zone data). */
export function isKnownTimeZone(name: string): boolean {
  if (name === '' || name === 'UTC' || name === 'Local') return true;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
    // Intl matches case-insensitively; Go's zone files do not.
    return resolved === name || resolved.toLowerCase() !== name.toLowerCase();
  } catch {
    return false;
  }
}

/** Returns the parser's error for a schedule, or undefined when it parses. */
export function cronScheduleError(spec: string): string | undefined {
  if (spec.length === 0) return 'empty spec string';
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const sp = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const loc = sp < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, sp);
    if (sp < 0 || !isKnownTimeZone(loc)) return `provided bad location ${loc}: unknown time zone ${loc}`;
    spec = spec.slice(sp).trim();
  }
  if (spec.startsWith('@')) {
    if (DESCRIPTORS.has(spec)) return undefined;
    if (spec.startsWith('@every ')) {
      const err = goDurationError(spec.slice('@every '.length));
      return err ? `failed to parse duration ${spec}: ${err}` : undefined;
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
  for (let i = 0; i < 5; i++) {
    for (const expr of fields[i].split(',').filter((e) => e !== '')) {
      const err = checkRange(expr, FIELDS[i]);
      if (err) return err;
    }
  }
  return undefined;
}
