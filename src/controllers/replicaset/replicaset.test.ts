// The ReplicaSet controller's sync without a server: listers are plain
// indexers, the API is a fake that records calls (and, when asked, shows
// its writes to the controller like an informer would), time is a FakeClock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, objectKey, WorkQueue, type KubeObject } from '../../client/index.ts';
import { ReplicaSetController, slowStartBatch, type ReplicaSetApi } from './replicaset.ts';
import { ControllerExpectations } from './expectations.ts';
import { deleteBefore, podsToDelete } from './pods.ts';
import { rfc3339 } from './util.ts';

const silent = pino({ level: 'silent' });

interface Call { op: string; name?: string; body?: unknown }

class FakeRecorder {
  events: { reason: string; type: string; message: string; name?: string }[] = [];
  event(obj: KubeObject, type: string, reason: string, message: string): void {
    this.events.push({ type, reason, message, name: obj.metadata?.name });
  }
  eventf(obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  reasons(): string[] { return this.events.map((e) => e.reason); }
}

/** A fake API over the same indexers the controller reads; `observe` = whether writes show up in them (the informer). */
class Fixture {
  clock = new FakeClock();
  rss = new Indexer<ReplicaSet>();
  pods = new Indexer<Pod>();
  calls: Call[] = [];
  recorder = new FakeRecorder();
  queue = new WorkQueue<string>({ clock: this.clock });
  observe = true;
  failCreates = 0;
  private seq = 0;
  api: ReplicaSetApi;
  c: ReplicaSetController;

  constructor() {
    this.api = {
      getReplicaSet: async (ns, name) => {
        this.calls.push({ op: 'getRS', name });
        const rs = this.rss.get(ns, name);
        if (!rs) throw ApiError.notFound('replicasets.apps', name, 'apps');
        return structuredClone(rs);
      },
      updateReplicaSetStatus: async (rs) => {
        this.calls.push({ op: 'updateStatus', name: rs.metadata?.name, body: rs.status });
        const next = { ...structuredClone(rs), metadata: { ...rs.metadata, resourceVersion: String(++this.seq) } };
        this.rss.set(next);
        return next;
      },
      createPod: async (ns, pod) => {
        this.calls.push({ op: 'createPod', body: pod });
        if (this.failCreates > 0) {
          this.failCreates--;
          throw new ApiError(403, 'Forbidden', `pods "${pod.metadata?.generateName}x" is forbidden: exceeded quota: q`);
        }
        const n = ++this.seq;
        const created: Pod = {
          ...structuredClone(pod),
          metadata: { ...pod.metadata, name: `${pod.metadata!.generateName}p${n}`, namespace: ns, uid: `pod-${n}`, resourceVersion: String(n), creationTimestamp: rfc3339(this.clock.now()) },
          status: { phase: 'Pending' },
        };
        if (this.observe) this.addPod(created);
        return created;
      },
      deletePod: async (ns, name) => {
        this.calls.push({ op: 'deletePod', name });
        const p = this.pods.get(ns, name);
        if (!p) throw ApiError.notFound('pods', name);
        if (this.observe) {
          this.pods.delete(objectKey(p));
          this.c.podHandler().delete!(p);
        }
      },
      patchPod: async (_ns, name, patch) => {
        this.calls.push({ op: 'patchPod', name, body: patch });
      },
    };
    this.c = new ReplicaSetController({
      replicaSets: this.rss, pods: this.pods, api: this.api, recorder: this.recorder, clock: this.clock, logger: silent, queue: this.queue,
    });
  }

  addPod(p: Pod): void {
    this.pods.set(p);
    this.c.podHandler().add!(p);
  }

  rs(replicas: number, extra: Partial<ReplicaSet['spec']> = {}): ReplicaSet {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name: 'web', namespace: 'default', uid: 'rs-uid', generation: 1, resourceVersion: '1', creationTimestamp: rfc3339(this.clock.now()) },
      spec: {
        replicas, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
        ...extra,
      },
      status: { replicas: 0 },
    };
    this.rss.set(rs);
    return rs;
  }

  ops(op: string): Call[] { return this.calls.filter((c) => c.op === op); }
}

function pod(name: string, opts: { labels?: Record<string, string>; owner?: string; node?: string; phase?: string; ready?: boolean; readySince?: number; created?: number; uid?: string } = {}): Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'default', uid: opts.uid ?? `uid-${name}`, resourceVersion: '1',
      labels: opts.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: rfc3339(opts.created ?? Date.UTC(2024, 0, 1)),
      ...(opts.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: opts.owner, controller: true }] } : {}),
    },
    spec: { containers: [{ name: 'c', image: 'nginx' }], ...(opts.node ? { nodeName: opts.node } : {}) },
    status: {
      phase: opts.phase ?? 'Running',
      conditions: opts.ready === undefined ? [] : [{ type: 'Ready', status: opts.ready ? 'True' : 'False', lastTransitionTime: rfc3339(opts.readySince ?? Date.UTC(2024, 0, 1)) }],
    },
  };
}

test('slowStartBatch creates in batches of 1, 2, 4, … and stops after a failing batch', async () => {
  const sizes: number[] = [];
  let inFlight = 0;
  let calls = 0;
  const ok = await slowStartBatch(10, 1, async () => {
    inFlight++;
    calls++;
    await Promise.resolve();
    sizes.push(inFlight);
    inFlight--;
  });
  assert.deepEqual(ok, { successes: 10 });
  assert.equal(calls, 10);
  assert.equal(Math.max(...sizes), 4); // batches 1, 2, 4, 3

  calls = 0;
  const failing = await slowStartBatch(10, 1, async () => {
    calls++;
    if (calls === 5) throw new Error('quota');
  });
  // 1 + 2 succeed; the batch of 4 has one failure; nothing after it.
  assert.equal(calls, 7);
  assert.equal(failing.successes, 6);
  assert.equal((failing.error as Error).message, 'quota');
});

test('creates the missing pods from the template, owned by the ReplicaSet, with events', async () => {
  const f = new Fixture();
  f.rs(3);
  await f.c.sync('default/web');
  const creates = f.ops('createPod');
  assert.equal(creates.length, 3);
  const p = creates[0].body as Pod;
  assert.equal(p.metadata?.generateName, 'web-');
  assert.deepEqual(p.metadata?.labels, { app: 'web', tier: 'fe' });
  assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(p.spec?.containers, [{ name: 'c', image: 'nginx' }]);
  assert.deepEqual(f.recorder.reasons(), ['SuccessfulCreate', 'SuccessfulCreate', 'SuccessfulCreate']);
  assert.match(f.recorder.events[0].message, /^Created pod: web-p\d+$/);
  // As upstream: status counts the pods the sync started from; the next sync sees the new ones.
  assert.deepEqual(f.ops('updateStatus').at(-1)!.body, { replicas: 0, observedGeneration: 1 });
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 3);
  assert.deepEqual(f.ops('updateStatus').at(-1)!.body, { replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });
});

test('expectations: a lagging informer never causes double creation', async () => {
  const f = new Fixture();
  f.observe = false; // the pod informer shows nothing yet
  f.rs(2);
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 2);
  assert.deepEqual(f.c.expectations.get('default/web'), { add: 2, del: 0 });
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 2, 'unsatisfied expectations: no second round of creates');
  // The informer catches up with one pod: still waiting for the other.
  f.addPod(pod('web-a', { owner: 'rs-uid' }));
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 2);
  f.addPod(pod('web-b', { owner: 'rs-uid' }));
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 2, 'two pods observed: nothing to do');
  assert.ok(f.c.expectations.satisfied('default/web'));
});

test('expectations expire after 5 minutes (a lost watch event does not wedge the ReplicaSet)', async () => {
  const clock = new FakeClock();
  const e = new ControllerExpectations(clock);
  e.expectCreations('k', 2);
  assert.equal(e.satisfied('k'), false);
  await clock.advance(5 * 60 * 1000 + 1);
  assert.equal(e.satisfied('k'), true);
  e.expectDeletions('k', ['ns/a', 'ns/b']);
  e.deletionObserved('k', 'ns/other');
  assert.equal(e.satisfied('k'), false, 'deletions of pods it did not delete do not count');
  e.deletionObserved('k', 'ns/a');
  e.deletionObserved('k', 'ns/a');
  assert.deepEqual(e.get('k'), { add: 0, del: 1 });
  e.deletionObserved('k', 'ns/b');
  assert.equal(e.satisfied('k'), true);
});

test('scaling down deletes unscheduled, then pending, then not-ready, then the newest pods first', async () => {
  const f = new Fixture();
  f.rs(2);
  const t0 = Date.UTC(2024, 0, 1);
  f.addPod(pod('old-ready', { owner: 'rs-uid', node: 'n1', ready: true, created: t0, readySince: t0 }));
  f.addPod(pod('new-ready', { owner: 'rs-uid', node: 'n1', ready: true, created: t0 + 3600_000, readySince: t0 + 3600_000 }));
  f.addPod(pod('not-ready', { owner: 'rs-uid', node: 'n1', ready: false }));
  f.addPod(pod('pending', { owner: 'rs-uid', node: 'n1', phase: 'Pending' }));
  f.addPod(pod('unscheduled', { owner: 'rs-uid', phase: 'Pending' }));
  await f.c.sync('default/web');
  const deleted = f.ops('deletePod').map((c) => c.name).sort();
  assert.deepEqual(deleted, ['not-ready', 'pending', 'unscheduled']);
  assert.deepEqual(f.recorder.reasons().filter((r) => r === 'SuccessfulDelete').length, 3);
  assert.ok(f.recorder.events.some((e) => e.message === 'Deleted pod: unscheduled'));
  await f.c.sync('default/web');
  const status = f.ops('updateStatus').at(-1)!.body as { replicas: number };
  assert.equal(status.replicas, 2);
});

test('deletion ranking: newer ready pods before older ones; doubled-up nodes first; deletion cost', () => {
  const now = Date.UTC(2024, 0, 2);
  const t0 = Date.UTC(2024, 0, 1);
  const older = pod('older', { node: 'n1', ready: true, created: t0, readySince: t0 });
  const newer = pod('newer', { node: 'n1', ready: true, created: t0 + 20 * 3600_000, readySince: t0 + 20 * 3600_000 });
  assert.equal(deleteBefore(newer, 0, older, 0, now), true);
  assert.equal(deleteBefore(older, 0, newer, 0, now), false);
  // More related pods on a's node: a goes first even if older.
  assert.equal(deleteBefore(older, 3, newer, 1, now), true);
  // Lower deletion cost wins over everything after readiness.
  const cheap = structuredClone(older);
  cheap.metadata!.annotations = { 'controller.kubernetes.io/pod-deletion-cost': '-10' };
  assert.equal(deleteBefore(cheap, 0, newer, 5, now), true);
  // Picks exactly diff pods.
  assert.deepEqual(podsToDelete([older, newer], [], 1, now).map((p) => p.metadata?.name), ['newer']);
  assert.equal(podsToDelete([older, newer], [], 5, now).length, 2);
});

test('adopts matching orphans (after an uncached recheck) and releases owned pods that no longer match', async () => {
  const f = new Fixture();
  f.rs(2);
  f.addPod(pod('orphan', {}));
  f.addPod(pod('mislabeled', { owner: 'rs-uid', labels: { app: 'other' } }));
  f.addPod(pod('foreign', { owner: 'someone-else' }));
  await f.c.sync('default/web');
  const patches = f.ops('patchPod');
  assert.equal(f.ops('getRS').length, 1, 'one recheck before adopting');
  assert.deepEqual(patches.find((p) => p.name === 'orphan')?.body, {
    metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: 'rs-uid', controller: true, blockOwnerDeletion: true }], uid: 'uid-orphan' },
  });
  assert.deepEqual(patches.find((p) => p.name === 'mislabeled')?.body, {
    metadata: { ownerReferences: [{ $patch: 'delete', uid: 'rs-uid' }], uid: 'uid-mislabeled' },
  });
  assert.equal(patches.some((p) => p.name === 'foreign'), false);
  // The adopted orphan counts: one pod short of two.
  assert.equal(f.ops('createPod').length, 1);
});

test('status: ready and available (minReadySeconds), and a requeue when availability is due', async () => {
  const f = new Fixture();
  const now = f.clock.now();
  f.rs(2, { minReadySeconds: 10 });
  f.addPod(pod('a', { owner: 'rs-uid', node: 'n', ready: true, readySince: now - 60_000 }));
  f.addPod(pod('b', { owner: 'rs-uid', node: 'n', ready: true, readySince: now - 5_000 }));
  await f.c.sync('default/web');
  assert.deepEqual(f.ops('updateStatus').at(-1)!.body, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 1, observedGeneration: 1 });
  // All ready, not all available: the key comes back after minReadySeconds.
  while (f.queue.len()) f.queue.done((await f.queue.get())!);
  await f.clock.advance(10_000);
  assert.equal(f.queue.len(), 1);
  await f.c.sync('default/web');
  assert.deepEqual(f.ops('updateStatus').at(-1)!.body, { replicas: 2, fullyLabeledReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  // Nothing changed: no write.
  const writes = f.ops('updateStatus').length;
  await f.c.sync('default/web');
  assert.equal(f.ops('updateStatus').length, writes);
});

test('a failed create sets ReplicaFailure (FailedCreate) and a FailedCreate event; success clears it', async () => {
  const f = new Fixture();
  f.rs(3);
  f.failCreates = 1;
  await assert.rejects(f.c.sync('default/web'), /exceeded quota/);
  assert.equal(f.ops('createPod').length, 1, 'slow start: the first batch failed, nothing more tried');
  const st = f.ops('updateStatus').at(-1)!.body as ReplicaSet['status'];
  assert.equal(st?.conditions?.[0].type, 'ReplicaFailure');
  assert.equal(st?.conditions?.[0].reason, 'FailedCreate');
  assert.match(st?.conditions?.[0].message ?? '', /exceeded quota/);
  assert.deepEqual(f.recorder.reasons(), ['FailedCreate']);
  assert.match(f.recorder.events[0].message, /^Error creating: pods .* is forbidden: exceeded quota/);
  assert.ok(f.c.expectations.satisfied('default/web'), 'the failed create lowered the expectations');
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 4);
  const st2 = f.ops('updateStatus').at(-1)!.body as ReplicaSet['status'];
  assert.equal(st2?.conditions, undefined);
});

test('pod events: a graceful deletion is observed at once; a pod becoming ready requeues after minReadySeconds', async () => {
  const f = new Fixture();
  f.rs(1, { minReadySeconds: 5 });
  const p = pod('a', { owner: 'rs-uid', ready: false });
  f.addPod(p);
  f.c.expectations.expectDeletions('default/web', ['default/a']);
  const terminating = structuredClone(p);
  terminating.metadata = { ...terminating.metadata, resourceVersion: '2', deletionTimestamp: rfc3339(f.clock.now()) };
  f.c.podHandler().update!(p, terminating);
  assert.ok(f.c.expectations.satisfied('default/web'));
  while (f.queue.len()) f.queue.done((await f.queue.get())!);
  const ready = pod('a', { owner: 'rs-uid', ready: true });
  ready.metadata = { ...ready.metadata, resourceVersion: '3' };
  f.c.podHandler().update!(p, ready);
  f.queue.done((await f.queue.get())!);
  await f.clock.advance(6_000);
  assert.equal(f.queue.len(), 1);
});

test('a ReplicaSet being deleted neither creates nor adopts', async () => {
  const f = new Fixture();
  const rs = f.rs(3);
  f.rss.set({ ...rs, metadata: { ...rs.metadata, deletionTimestamp: rfc3339(f.clock.now()) } });
  f.addPod(pod('orphan', {}));
  await f.c.sync('default/web');
  assert.equal(f.ops('createPod').length, 0);
  assert.equal(f.ops('patchPod').length, 0);
});
