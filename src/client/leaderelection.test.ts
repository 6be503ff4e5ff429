// Leader election logic on a fake clock and an in-memory Lease (no server, no sleeps).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import { ApiError } from '../base/errors.ts';
import { FakeClock } from '../base/clock.ts';
import { LeaderElector, type LeaseLock } from './leaderelection.ts';

const quiet = { debug: () => undefined, warn: () => undefined };

/** One Lease in memory with the API server's compare-and-swap; each candidate's view can be cut off. */
class MemoryLease {
  lease?: Lease;
  private rv = 0;
  writes = 0;

  lockFor(view: { down: boolean }): LeaseLock {
    const check = (): void => { if (view.down) throw new Error('connection refused'); };
    return {
      get: async () => { check(); return this.lease ? structuredClone(this.lease) : undefined; },
      create: async (spec: LeaseSpec) => {
        check();
        if (this.lease) throw new ApiError(409, 'AlreadyExists', 'exists');
        this.lease = { metadata: { name: 'l', namespace: 'ns', resourceVersion: String(++this.rv) }, spec: structuredClone(spec) };
        this.writes++;
        return structuredClone(this.lease);
      },
      update: async (lease: Lease) => {
        check();
        if (lease.metadata?.resourceVersion !== this.lease?.metadata?.resourceVersion) throw new ApiError(409, 'Conflict', 'stale');
        this.lease = { ...structuredClone(lease), metadata: { ...lease.metadata, resourceVersion: String(++this.rv) } };
        this.writes++;
        return structuredClone(this.lease);
      },
      describe: () => 'ns/l',
    };
  }
}

interface Candidate {
  elector: LeaderElector;
  view: { down: boolean };
  abort: AbortController;
  done: Promise<void>;
  started: number;
  stopped: number;
  leaderSignal?: AbortSignal;
  newLeaders: string[];
}

function candidate(store: MemoryLease, clock: FakeClock, identity: string, extra: { releaseOnCancel?: boolean } = {}): Candidate {
  const view = { down: false };
  const c = { view, abort: new AbortController(), started: 0, stopped: 0, newLeaders: [] as string[] } as Candidate;
  c.elector = new LeaderElector({
    lock: store.lockFor(view), identity, clock, random: () => 0, logger: quiet, ...extra,
    callbacks: {
      onStartedLeading: (signal) => { c.started++; c.leaderSignal = signal; },
      onStoppedLeading: () => { c.stopped++; },
      onNewLeader: (id) => { c.newLeaders.push(id); },
    },
  });
  c.done = c.elector.run(c.abort.signal);
  return c;
}

/** Advances in small steps, checking that two candidates never lead at once. */
async function run(clock: FakeClock, ms: number, cs: Candidate[]): Promise<void> {
  for (let t = 0; t < ms; t += 100) {
    await clock.advance(100);
    assert.ok(cs.filter((c) => c.elector.isLeader()).length <= 1, 'two leaders at once');
  }
}

test('of two candidates exactly one leads, and keeps leading while it renews', async () => {
  const clock = new FakeClock();
  const store = new MemoryLease();
  const a = candidate(store, clock, 'a');
  await run(clock, 100, [a]);
  const b = candidate(store, clock, 'b');
  await run(clock, 60_000, [a, b]);
  assert.ok(a.elector.isLeader());
  assert.ok(!b.elector.isLeader());
  assert.equal(a.started, 1);
  assert.equal(b.started, 0);
  assert.equal(b.elector.getLeader(), 'a');
  assert.deepEqual(b.newLeaders, ['a']);
  const spec = store.lease!.spec!;
  assert.equal(spec.holderIdentity, 'a');
  assert.equal(spec.leaseDurationSeconds, 15);
  assert.equal(spec.leaseTransitions, 0);
  assert.ok(Date.parse(spec.renewTime!) >= clock.now() - 2_100, 'renewed every retry period');
  assert.match(spec.renewTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  a.abort.abort(); b.abort.abort();
  await run(clock, 100, []);
  await Promise.all([a.done, b.done]);
});

test('a leader that cannot renew stops leading by renewDeadline; the other takes over after leaseDuration', async () => {
  const clock = new FakeClock();
  const store = new MemoryLease();
  const a = candidate(store, clock, 'a');
  await run(clock, 100, [a]);
  const b = candidate(store, clock, 'b');
  await run(clock, 5_000, [a, b]);
  const cutAt = clock.now();
  a.view.down = true;

  let aStoppedAt = 0;
  let bLeadAt = 0;
  while (!bLeadAt && clock.now() - cutAt < 30_000) {
    await run(clock, 100, [a, b]);
    if (!aStoppedAt && !a.elector.isLeader()) aStoppedAt = clock.now();
    if (b.elector.isLeader()) bLeadAt = clock.now();
  }
  assert.ok(aStoppedAt > 0 && aStoppedAt - cutAt <= 10_100, `a stopped ${aStoppedAt - cutAt} ms after the cut`);
  assert.equal(a.stopped, 1);
  assert.ok(a.leaderSignal?.aborted, "a's leading signal aborted");
  await a.done; // run() returns once leadership is lost
  assert.ok(bLeadAt - cutAt >= 13_000 && bLeadAt - cutAt <= 17_600, `b took over ${bLeadAt - cutAt} ms after the cut`);
  assert.equal(store.lease!.spec!.holderIdentity, 'b');
  assert.equal(store.lease!.spec!.leaseTransitions, 1);
  b.abort.abort();
  await run(clock, 100, []);
  await b.done;
});

test('cancelling the leader releases the Lease, so the next candidate need not wait for it to expire', async () => {
  const clock = new FakeClock();
  const store = new MemoryLease();
  const a = candidate(store, clock, 'a');
  await run(clock, 100, [a]);
  const b = candidate(store, clock, 'b');
  await run(clock, 3_000, [a, b]);
  a.abort.abort();
  await run(clock, 100, [a, b]);
  await a.done;
  assert.equal(a.stopped, 1);
  assert.equal(store.lease!.spec!.holderIdentity, '');
  await run(clock, 2_500, [a, b]);
  assert.ok(b.elector.isLeader(), 'b leads within one retry period');
  assert.equal(store.lease!.spec!.leaseTransitions, 1);
  b.abort.abort();
  await run(clock, 100, []);
  await b.done;
});

test('without releaseOnCancel the Lease stays held until it expires', async () => {
  const clock = new FakeClock();
  const store = new MemoryLease();
  const a = candidate(store, clock, 'a', { releaseOnCancel: false });
  await run(clock, 100, [a]);
  const b = candidate(store, clock, 'b');
  await run(clock, 1_000, [a, b]);
  a.abort.abort();
  await run(clock, 100, [a, b]);
  await a.done;
  assert.equal(store.lease!.spec!.holderIdentity, 'a');
  await run(clock, 10_000, [b]);
  assert.ok(!b.elector.isLeader());
  await run(clock, 8_000, [b]);
  assert.ok(b.elector.isLeader());
  b.abort.abort();
  await run(clock, 100, []);
  await b.done;
});

test('a leader that restarts with the same identity keeps its acquireTime and transitions', async () => {
  const clock = new FakeClock();
  const store = new MemoryLease();
  const a1 = candidate(store, clock, 'a', { releaseOnCancel: false });
  await run(clock, 100, [a1]);
  const acquired = store.lease!.spec!.acquireTime;
  a1.abort.abort();
  await run(clock, 100, []);
  await a1.done;
  const a2 = candidate(store, clock, 'a');
  await run(clock, 100, [a2]);
  assert.ok(a2.elector.isLeader(), 'no wait for its own lease');
  assert.equal(store.lease!.spec!.acquireTime, acquired);
  assert.equal(store.lease!.spec!.leaseTransitions, 0);
  a2.abort.abort();
  await run(clock, 100, []);
  await a2.done;
});

test('durations are checked: leaseDuration > renewDeadline > 1.2 × retryPeriod', () => {
  const store = new MemoryLease();
  const lock = store.lockFor({ down: false });
  const callbacks = { onStartedLeading: () => undefined };
  assert.throws(() => new LeaderElector({ lock, identity: 'x', callbacks, leaseDurationMs: 10_000, renewDeadlineMs: 10_000 }), /leaseDuration/);
  assert.throws(() => new LeaderElector({ lock, identity: 'x', callbacks, renewDeadlineMs: 2_000, retryPeriodMs: 2_000 }), /renewDeadline/);
  assert.throws(() => new LeaderElector({ lock, identity: '', callbacks }), /identity/);
});
