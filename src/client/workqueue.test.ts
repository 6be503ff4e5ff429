import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, settle } from '../base/clock.ts';
import { ExponentialRateLimiter, WorkQueue } from './workqueue.ts';

test('a key is queued once however often it is added, in FIFO order', async () => {
  const q = new WorkQueue<string>();
  q.add('a'); q.add('b'); q.add('a');
  assert.equal(q.len(), 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
  assert.equal(q.len(), 0);
});

test('a key added while processed is queued again only after done()', async () => {
  const q = new WorkQueue<string>();
  q.add('a');
  assert.equal(await q.get(), 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.len(), 0, 'not handed to a second worker while the first holds it');
  q.done('a');
  assert.equal(q.len(), 1);
  assert.equal(await q.get(), 'a');
  q.done('a');
  assert.equal(q.len(), 0);
});

test('get() waits for work', async () => {
  const q = new WorkQueue<string>();
  let got: string | undefined;
  const p = q.get().then((k) => { got = k; });
  await settle();
  assert.equal(got, undefined);
  q.add('x');
  await p;
  assert.equal(got, 'x');
});

test('two workers never hold the same key at once', async () => {
  const q = new WorkQueue<string>();
  const holding = new Set<string>();
  let processed = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const k = await q.get();
      if (k === undefined) return;
      assert.ok(!holding.has(k), `${k} processed twice at once`);
      holding.add(k);
      await settle(1);
      if (processed++ < 20) q.add(k); // re-added while processing
      holding.delete(k);
      q.done(k);
    }
  };
  const workers = [worker(), worker()];
  q.add('a'); q.add('b');
  while (processed < 20) await settle(1);
  await settle();
  q.shutDown();
  await Promise.all(workers);
  assert.ok(processed >= 20);
});

test('addAfter queues the key when its time comes; the earliest due time wins', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  q.addAfter('a', 100);
  q.addAfter('a', 50);
  q.addAfter('a', 500);
  assert.equal(q.len(), 0);
  await clock.advance(49);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
  assert.equal(clock.pending(), 0, 'the replaced timers are cancelled');
  q.addAfter('b', 0);
  assert.equal(q.len(), 2, 'no delay: queued at once');
});

test('addRateLimited backs off per key exponentially until forget()', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  const delays: number[] = [];
  for (let i = 0; i < 4; i++) {
    q.addRateLimited('a');
    const start = clock.now();
    while (q.len() === 0) await clock.advance(1);
    delays.push(clock.now() - start);
    const k = await q.get();
    q.done(k!);
  }
  assert.deepEqual(delays, [5, 10, 20, 40]);
  assert.equal(q.numRequeues('a'), 4);
  assert.equal(q.numRequeues('b'), 0);
  q.forget('a');
  assert.equal(q.numRequeues('a'), 0);
  q.addRateLimited('a');
  await clock.advance(4);
  assert.equal(q.len(), 0);
  await clock.advance(1);
  assert.equal(q.len(), 1);
});

test('the item limiter doubles from 5 ms and caps at 1000 s', () => {
  const rl = new ExponentialRateLimiter<string>();
  const got = Array.from({ length: 40 }, () => rl.when('k'));
  assert.deepEqual(got.slice(0, 4), [5, 10, 20, 40]);
  assert.equal(got[17], 5 * 2 ** 17);
  assert.equal(got[18], 1_000_000);
  assert.equal(got[39], 1_000_000);
  assert.equal(rl.when('other'), 5, 'per key');
});

test('shutDown: waiting getters get undefined, queued keys are still handed out, adds and delays are dropped', async () => {
  const clock = new FakeClock();
  const q = new WorkQueue<string>({ clock });
  const idle = new WorkQueue<string>({ clock });
  const waiting = idle.get();
  idle.shutDown();
  assert.equal(await waiting, undefined);

  q.add('a');
  q.addAfter('later', 1000);
  q.shutDown();
  assert.ok(q.shuttingDown());
  assert.equal(clock.pending(), 0, 'delayed adds cancelled');
  q.add('b');
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), undefined);
  q.done('a');
});
