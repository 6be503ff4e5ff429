import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InflightLimit, LimitClosedError } from './inflight.ts';

test('never more than max at once; every task runs; errors pass through and free the slot', async () => {
  const limit = new InflightLimit(3);
  let active = 0;
  let peak = 0;
  const tasks = Array.from({ length: 20 }, (_, i) => limit.run(async () => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, 1 + (i % 3)));
    active--;
    if (i === 7) throw new Error('boom');
    return i;
  }));
  const results = await Promise.allSettled(tasks);
  assert.equal(peak, 3);
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 19);
  assert.equal(limit.inFlight, 0);
  assert.equal(limit.queued, 0);
  assert.throws(() => new InflightLimit(0), /positive integer/);
});

test('close() rejects waiting tasks at once and refuses new ones; running ones finish', async () => {
  const limit = new InflightLimit(1);
  let release!: () => void;
  const running = limit.run(() => new Promise<string>((r) => { release = () => r('done'); }));
  const waiting = limit.run(() => Promise.resolve('never'));
  limit.close();
  await assert.rejects(waiting, LimitClosedError);
  await assert.rejects(limit.run(() => Promise.resolve(1)), LimitClosedError);
  release();
  assert.equal(await running, 'done');
});
