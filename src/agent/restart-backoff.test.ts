import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../base/clock.ts';
import { RestartBackoff } from './restart-backoff.ts';

test('restart back-off: first restart at once, then 10 s doubling up to 5 min', async () => {
  const clock = new FakeClock();
  const b = new RestartBackoff(clock);
  assert.equal(b.remaining('k', clock.now()), 0, 'no entry: restart now');
  b.next('k');
  assert.equal(b.delay('k'), 10_000);
  const finished = clock.now();
  assert.equal(b.remaining('k', finished), 10_000);
  await clock.advance(4_000);
  assert.equal(b.remaining('k', finished), 6_000);
  await clock.advance(6_000);
  assert.equal(b.remaining('k', finished), 0);
  const delays = [];
  for (let i = 0; i < 7; i++) { b.next('k'); delays.push(b.delay('k')); }
  assert.deepEqual(delays, [20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000]);
  assert.equal(b.delay('other'), 0, 'keys are independent');
});

test('restart back-off: forgotten after twice the maximum without restarts, and on reset', async () => {
  const clock = new FakeClock();
  const b = new RestartBackoff(clock);
  b.next('pod1/app/c');
  b.next('pod1/app/c');
  assert.equal(b.delay('pod1/app/c'), 20_000);
  await clock.advance(600_001);
  assert.equal(b.delay('pod1/app/c'), 0);
  b.next('pod1/app/c');
  b.next('pod2/app/c');
  b.resetPrefix('pod1/');
  assert.equal(b.delay('pod1/app/c'), 0);
  assert.equal(b.delay('pod2/app/c'), 10_000);
});
