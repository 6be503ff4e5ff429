// Two electors on one Lease of a real API server, on real (short) durations.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { LeaderElector, leaseLock } from './leaderelection.ts';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';

const quiet = { debug: () => undefined, warn: () => undefined };
let ts: TestServer;
before(async () => { ts = await startTestServer(); });
after(async () => { await ts.close(); });

test('exactly one of two electors leads; the other takes over once the leader stops renewing', async () => {
  const make = (identity: string): { elector: LeaderElector; abort: AbortController; done: Promise<void>; led: boolean } => {
    const lock = leaseLock(ts.newClient(), 'kube-system', 'test-controller');
    const abort = new AbortController();
    const c = { abort, led: false } as { elector: LeaderElector; abort: AbortController; done: Promise<void>; led: boolean };
    c.elector = new LeaderElector({
      lock, identity, logger: quiet, leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 150,
      // A crash: no release, the Lease must expire.
      releaseOnCancel: false,
      callbacks: { onStartedLeading: () => { c.led = true; } },
    });
    c.done = c.elector.run(abort.signal);
    return c;
  };
  const a = make('a');
  const b = make('b');
  const leaders = (): LeaderElector[] => [a, b].map((c) => c.elector).filter((e) => e.isLeader());

  const deadline = Date.now() + 5000;
  while (leaders().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  for (let i = 0; i < 25; i++) {
    assert.equal(leaders().length, 1, 'exactly one leader');
    await new Promise((r) => setTimeout(r, 20));
  }
  const [first, second] = a.elector.isLeader() ? [a, b] : [b, a];
  const lease = await ts.client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-system').get('test-controller');
  assert.equal(lease.spec?.holderIdentity, first === a ? 'a' : 'b');
  assert.equal(lease.spec?.leaseDurationSeconds, 1);

  const stoppedAt = Date.now();
  first.abort.abort();
  await first.done;
  while (!second.elector.isLeader() && Date.now() - stoppedAt < 5000) {
    assert.ok(!first.elector.isLeader());
    await new Promise((r) => setTimeout(r, 10));
  }
  const took = Date.now() - stoppedAt;
  assert.ok(second.elector.isLeader(), 'the other took over');
  assert.ok(second.led);
  assert.ok(took >= 500 && took < 3000, `took over after ${took} ms`);
  const after = await ts.client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-system').get('test-controller');
  assert.equal(after.spec?.holderIdentity, second === a ? 'a' : 'b');
  assert.equal(after.spec?.leaseTransitions, 1);
  second.abort.abort();
  await second.done;
});
