// Cron schedules as the CronJob controller reads them (upstream relies on
// robfig/cron's ParseStandard): five fields, or a descriptor (@hourly, …,
// @every <duration>), optionally prefixed with TZ=<zone> (which the
// controller adds for spec.timeZone). Next() finds the first activation
// strictly after a time, in the schedule's zone, with the same rules: a
// day matches when day-of-month AND day-of-week match if either is "*",
// OR otherwise; wall times skipped by a DST change map like Go's time.Date;
// nothing within five years means never.
//
// Syntax checking is validation's (src/api/validation/cron.ts): a schedule
// is parsed only once it is known to be well-formed.

import { cronScheduleError, isKnownTimeZone } from '../../api/validation/cron.ts';

export interface Schedule {
  /** The first activation strictly after `afterMs` (epoch ms, whole seconds); undefined: none within 5 years. */
  next(afterMs: number): number | undefined;
}

// ---- time zones --------------------------------------------------------------

interface Wall { year: number; month: number; day: number; hour: number; minute: number; second: number; weekday: number }

/** A zone's wall clock (Intl's tz data); UTC without Intl. */
export class Zone {
  private readonly fmt?: Intl.DateTimeFormat;

  constructor(readonly name: string) {
    if (name !== 'UTC' && name !== '') {
      this.fmt = new Intl.DateTimeFormat('en-US', {
        timeZone: name, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric',
        hour: 'numeric', minute: 'numeric', second: 'numeric',
      });
    }
  }

  /** Offset east of UTC at `ms`, in ms. */
  offset(ms: number): number {
    if (!this.fmt) return 0;
    const t = Math.floor(ms / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.fmt.formatToParts(t)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour % 24, p.minute, p.second) - t;
  }

  wall(ms: number): Wall {
    const d = new Date(ms + this.offset(ms));
    return {
      year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(),
      hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds(), weekday: d.getUTCDay(),
    };
  }

  /**
   * Go's time.Date in this zone: out-of-range fields normalize (month 13 is
   * next January); a wall time in a DST gap takes the offset after the
   * change, an ambiguous one the first occurrence.
   */
  date(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
    const asUtc = Date.UTC(year, month - 1, day, hour, minute, second);
    let off = this.offset(asUtc);
    const guess = asUtc - off;
    const off2 = this.offset(guess);
    if (off2 !== off) off = off2;
    return asUtc - off;
  }
}

/** "RFC3339" as Go formats a time in a zone: seconds, and Z or ±hh:mm. */
export function formatRFC3339InZone(ms: number, zone: Zone): string {
  const off = zone.offset(ms);
  const local = new Date(Math.floor(ms / 1000) * 1000 + off).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const m = Math.abs(off) / 60_000;
  return `${local}${off < 0 ? '-' : '+'}${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
}

// ---- parsing -----------------------------------------------------------------

interface Field { min: number; max: number; names?: Record<string, number> }

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const FIELDS: Field[] = [
  { min: 0, max: 59 }, { min: 0, max: 23 }, { min: 1, max: 31 }, { min: 1, max: 12, names: MONTHS }, { min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *', '@annually': '0 0 1 1 *', '@monthly': '0 0 1 * *', '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *', '@midnight': '0 0 * * *', '@hourly': '0 * * * *',
};

/** A field's allowed values; `star` when it was "*" or "?" without a step (robfig's starBit). */
interface Bits { allowed: boolean[]; star: boolean }

function parseField(text: string, f: Field): Bits {
  const allowed = new Array<boolean>(f.max + 1).fill(false);
  let star = false;
  const value = (s: string): number => f.names?.[s.toLowerCase()] ?? Number(s);
  for (const expr of text.split(',').filter((e) => e !== '')) {
    const [range, stepText] = expr.split('/');
    const lowHigh = range.split('-');
    let start: number;
    let end: number;
    let isStar = false;
    if (lowHigh[0] === '*' || lowHigh[0] === '?') {
      start = f.min;
      end = f.max;
      isStar = true;
    } else {
      start = value(lowHigh[0]);
      end = lowHigh.length === 2 ? value(lowHigh[1]) : start;
    }
    let step = 1;
    if (stepText !== undefined) {
      step = Number(stepText);
      if (lowHigh.length === 1) end = f.max; // "N/step" is "N-max/step"
      if (step > 1) isStar = false;
    }
    if (isStar) star = true;
    for (let v = start; v <= end; v += step) allowed[v] = true;
  }
  return { allowed, star };
}

class SpecSchedule implements Schedule {
  constructor(private readonly fields: Bits[], private readonly zone: Zone) {}

  private dayMatches(w: Wall): boolean {
    const dom = this.fields[2];
    const dow = this.fields[4];
    const domMatch = !!dom.allowed[w.day];
    const dowMatch = !!dow.allowed[w.weekday];
    return dom.star || dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(afterMs: number): number | undefined {
    const z = this.zone;
    const [minute, hour, , month] = this.fields;
    // The next whole second, then walk fields from the largest (robfig's algorithm).
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    let added = false;
    const yearLimit = z.wall(t).year + 5;
    for (;;) {
      let w = z.wall(t);
      if (w.year > yearLimit) return undefined;
      let wrapped = false;
      while (!month.allowed[w.month]) {
        if (!added) { added = true; t = z.date(w.year, w.month, 1); w = z.wall(t); }
        t = z.date(w.year, w.month + 1, w.day, w.hour, w.minute, w.second);
        w = z.wall(t);
        if (w.month === 1) { wrapped = true; break; }
      }
      if (wrapped) continue;
      while (!this.dayMatches(w)) {
        if (!added) { added = true; t = z.date(w.year, w.month, w.day); w = z.wall(t); }
        t = z.date(w.year, w.month, w.day + 1, w.hour, w.minute, w.second);
        w = z.wall(t);
        // A DST change can shift midnight: back to the start of the day.
        if (w.hour !== 0) {
          t += (w.hour > 12 ? 24 - w.hour : -w.hour) * 3_600_000;
          w = z.wall(t);
        }
        if (w.day === 1) { wrapped = true; break; }
      }
      if (wrapped) continue;
      while (!hour.allowed[w.hour]) {
        if (!added) { added = true; t = z.date(w.year, w.month, w.day, w.hour); w = z.wall(t); }
        t += 3_600_000;
        w = z.wall(t);
        if (w.hour === 0) { wrapped = true; break; }
      }
      if (wrapped) continue;
      while (!minute.allowed[w.minute]) {
        if (!added) { added = true; t = Math.floor(t / 60_000) * 60_000; w = z.wall(t); }
        t += 60_000;
        w = z.wall(t);
        if (w.minute === 0) { wrapped = true; break; }
      }
      if (wrapped) continue;
      // Seconds: always 0 in a standard spec, so on to the next whole minute (and check again).
      if (w.second !== 0) {
        t = Math.floor(t / 60_000) * 60_000 + 60_000;
        continue;
      }
      return t;
    }
  }
}

/** @every <duration>: a fixed delay (at least 1 s, whole seconds) after the given time. */
class ConstantDelay implements Schedule {
  constructor(private readonly delayMs: number) {}
  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.delayMs;
  }
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration (text already known valid), in ms. */
function parseGoDuration(s: string): number {
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) { sign = s[0] === '-' ? -1 : 1; s = s.slice(1); }
  let total = 0;
  for (const m of s.matchAll(/([0-9]*\.?[0-9]*)([^0-9.]+)/g)) total += Number(m[1]) * (DURATION_UNITS[m[2]] ?? 0);
  return sign * total;
}

/**
 * Parses a schedule (as formatSchedule makes it: TZ=<zone> prefix for
 * spec.timeZone). Throws an Error with the parser's message when invalid.
 * Without a zone the schedule reads in UTC (the controller manager's zone).
 */
export function parseSchedule(spec: string): Schedule {
  const err = cronScheduleError(spec);
  if (err) throw new Error(err);
  let zone = new Zone('UTC');
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const sp = spec.indexOf(' ');
    const name = spec.slice(spec.indexOf('=') + 1, sp);
    if (!isKnownTimeZone(name)) throw new Error(`provided bad location ${name}: unknown time zone ${name}`);
    zone = new Zone(name === 'Local' ? 'UTC' : name);
    spec = spec.slice(sp).trim();
  }
  if (spec.startsWith('@every ')) {
    let d = Math.round(parseGoDuration(spec.slice('@every '.length)));
    d = Math.max(1000, d - (d % 1000));
    return new ConstantDelay(d);
  }
  const text = DESCRIPTORS[spec] ?? spec;
  const parts = text.split(/\s+/).filter((f) => f !== '');
  return new SpecSchedule(parts.map((p, i) => parseField(p, FIELDS[i])), zone);
}

/** The schedule string the controller parses: spec.timeZone becomes a TZ= prefix (formatSchedule). */
export function formatSchedule(schedule: string, timeZone: string | undefined | null): string {
  if (schedule.includes('TZ')) return schedule;
  if (timeZone !== undefined && timeZone !== null && isKnownTimeZone(timeZone)) return `TZ=${timeZone} ${schedule}`;
  return schedule;
}
