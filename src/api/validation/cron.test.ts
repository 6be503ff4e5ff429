import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError, goDurationError } from './cron.ts';

const table: [string, string | undefined][] = [
  ['*/5 * * * *', undefined],
  ['0 0 1 jan-mar MON-fri', undefined],
  ['5,10-20/2 * * * 0', undefined],
  ['@hourly', undefined],
  ['@every 1h30m', undefined],
  ['', 'empty spec string'],
  ['* * *', 'expected exactly 5 fields, found 3: [* * *]'],
  ['60 * * * *', 'end of range (60) above maximum (59): 60'],
  ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
  ['* * * * 7', 'end of range (7) above maximum (6): 7'],
  ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
  ['*/0 * * * *', 'step of range should be a positive number: */0'],
  ['x * * * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
  ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
  ['1/2/3 * * * *', 'too many slashes: 1/2/3'],
  ['@often', 'unrecognized descriptor: @often'],
  ['@every 1x', 'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'],
  ['TZ=Nowhere/City * * * * *', 'provided bad location Nowhere/City: unknown time zone Nowhere/City'],
  ['TZ=UTC * * * * *', undefined],
];
for (const [spec, want] of table) test(`cron: ${JSON.stringify(spec)}`, () => assert.equal(cronScheduleError(spec), want));

test('cron: durations', () => {
  assert.equal(goDurationError('1h2m3.5s'), undefined);
  assert.equal(goDurationError('5'), 'time: missing unit in duration "5"');
  assert.equal(goDurationError('abc'), 'time: invalid duration "abc"');
});
