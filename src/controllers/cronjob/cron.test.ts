// Cron schedules: fields, descriptors, @every, day-of-month/day-of-week
// rules, and time zones with DST changes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRFC3339InZone, formatSchedule, parseSchedule, Zone } from './cron.ts';

/** The next `n` activations after `from`, as ISO strings. */
function nextN(spec: string, from: string, n: number): string[] {
  const s = parseSchedule(spec);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const x = s.next(t);
    if (x === undefined) { out.push('never'); break; }
    out.push(new Date(x).toISOString().replace('.000Z', 'Z'));
    t = x;
  }
  return out;
}

test('standard fields: steps, ranges, lists and names', () => {
  assert.deepEqual(nextN('*/15 * * * *', '2024-01-01T00:07:30Z', 3), ['2024-01-01T00:15:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:45:00Z']);
  assert.deepEqual(nextN('0 9 * * mon-fri', '2024-01-05T10:00:00Z', 2), ['2024-01-08T09:00:00Z', '2024-01-09T09:00:00Z'], 'Friday 10:00 → Monday');
  assert.deepEqual(nextN('5 4 * jan,jul *', '2024-02-01T00:00:00Z', 2), ['2024-07-01T04:05:00Z', '2024-07-02T04:05:00Z']);
  assert.deepEqual(nextN('10/20 * * * *', '2024-01-01T00:00:00Z', 3), ['2024-01-01T00:10:00Z', '2024-01-01T00:30:00Z', '2024-01-01T00:50:00Z']);
  // Exactly on a schedule time: the next one, strictly after.
  assert.deepEqual(nextN('0 * * * *', '2024-01-01T05:00:00Z', 1), ['2024-01-01T06:00:00Z']);
});

test('descriptors and @every', () => {
  assert.deepEqual(nextN('@hourly', '2024-01-01T00:30:00Z', 2), ['2024-01-01T01:00:00Z', '2024-01-01T02:00:00Z']);
  assert.deepEqual(nextN('@daily', '2024-01-01T00:30:00Z', 1), ['2024-01-02T00:00:00Z']);
  assert.deepEqual(nextN('@weekly', '2024-01-01T00:00:00Z', 1), ['2024-01-07T00:00:00Z'], 'Sunday');
  assert.deepEqual(nextN('@monthly', '2024-01-15T00:00:00Z', 1), ['2024-02-01T00:00:00Z']);
  assert.deepEqual(nextN('@yearly', '2024-01-15T00:00:00Z', 1), ['2025-01-01T00:00:00Z']);
  assert.deepEqual(nextN('@every 1h30m', '2024-01-01T00:00:00Z', 2), ['2024-01-01T01:30:00Z', '2024-01-01T03:00:00Z']);
});

test('day-of-month and day-of-week: OR when both restricted, AND when one is *', () => {
  // 1st and 15th, or any Wednesday.
  assert.deepEqual(nextN('0 0 1,15 * 3', '2024-01-01T00:00:00Z', 4), ['2024-01-03T00:00:00Z', '2024-01-10T00:00:00Z', '2024-01-15T00:00:00Z', '2024-01-17T00:00:00Z']);
  assert.deepEqual(nextN('0 0 29 2 *', '2024-03-01T00:00:00Z', 1), ['2028-02-29T00:00:00Z'], 'leap days only');
  assert.deepEqual(nextN('59 23 31 2 *', '2024-03-01T00:00:00Z', 1), ['never'], 'Feb 31 never comes');
});

test('time zones: the schedule reads in spec.timeZone, across DST changes', () => {
  assert.equal(formatSchedule('0 9 * * *', 'Asia/Kolkata'), 'TZ=Asia/Kolkata 0 9 * * *');
  assert.equal(formatSchedule('0 9 * * *', undefined), '0 9 * * *');
  assert.deepEqual(nextN(formatSchedule('0 9 * * *', 'Asia/Kolkata'), '2024-01-01T00:00:00Z', 1), ['2024-01-01T03:30:00Z']);
  // New York: 09:00 EST is 14:00Z, 09:00 EDT is 13:00Z.
  assert.deepEqual(nextN('TZ=America/New_York 0 9 * * *', '2024-03-09T15:00:00Z', 2), ['2024-03-10T13:00:00Z', '2024-03-11T13:00:00Z']);
  // 02:30 does not exist on the spring-forward day: skipped, as robfig/cron does.
  assert.deepEqual(nextN('TZ=America/New_York 30 2 * * *', '2024-03-09T00:00:00Z', 2), ['2024-03-09T07:30:00Z', '2024-03-11T06:30:00Z']);
  // 01:30 happens twice on the fall-back day: both run.
  assert.deepEqual(nextN('TZ=America/New_York 30 1 * * *', '2024-11-03T00:00:00Z', 2), ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z']);
  assert.throws(() => parseSchedule('TZ=Mars/Olympus 0 * * * *'), /unknown time zone/);
  assert.throws(() => parseSchedule('61 * * * *'), /above maximum/);
});

test('RFC 3339 in a zone, as the scheduled-timestamp annotation shows it', () => {
  const t = Date.parse('2024-01-01T10:00:00Z');
  assert.equal(formatRFC3339InZone(t, new Zone('UTC')), '2024-01-01T10:00:00Z');
  assert.equal(formatRFC3339InZone(t, new Zone('America/New_York')), '2024-01-01T05:00:00-05:00');
  assert.equal(formatRFC3339InZone(t, new Zone('Asia/Kolkata')), '2024-01-01T15:30:00+05:30');
});
