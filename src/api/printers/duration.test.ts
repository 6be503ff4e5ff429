import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, since } from './duration.ts';

const s = 1000, m = 60 * s, h = 60 * m, d = 24 * h, y = 365 * d;

void test('humanDuration follows upstream precision rules', () => {
  const cases: [number, string][] = [
    [-2 * s, '<invalid>'], [-1999, '0s'], [-1 * s, '0s'], [0, '0s'], [999, '0s'],
    [1 * s, '1s'], [59 * s, '59s'], [60 * s, '60s'], [119 * s, '119s'],
    [2 * m, '2m'], [2 * m + 5 * s, '2m5s'], [9 * m + 59 * s, '9m59s'],
    [10 * m, '10m'], [10 * m + 30 * s, '10m'], [179 * m, '179m'],
    [3 * h, '3h'], [3 * h + 20 * m, '3h20m'], [7 * h + 59 * m, '7h59m'],
    [8 * h, '8h'], [8 * h + 59 * m, '8h'], [47 * h, '47h'],
    [48 * h, '2d'], [2 * d + 5 * h, '2d5h'], [7 * d + 23 * h, '7d23h'],
    [8 * d, '8d'], [729 * d, '729d'], [730 * d, '2y'], [2 * y + 3 * d, '2y3d'],
    [8 * y - 1, '7y364d'], [8 * y, '8y'], [20 * y + 100 * d, '20y'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, `${ms}ms`);
});

void test('since handles missing and unparseable timestamps', () => {
  const now = Date.parse('2024-01-01T00:10:00Z');
  assert.equal(since('2024-01-01T00:00:00Z', now), '10m');
  assert.equal(since(undefined, now), '<unknown>');
  assert.equal(since('', now), '<unknown>');
  assert.equal(since('garbage', now), '<unknown>');
});
