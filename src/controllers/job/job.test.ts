// The Job controller's sync without a server: listers are plain indexers,
// the API is a fake that applies writes to them (as the informers would show
// them, with finalizers holding deleted pods like the apiserver does), time
// is a FakeClock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, objectKey, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { JobController, type JobApi } from './job.ts';
import { formatIntervals, parseIntervals, withIndexes, firstPendingIndexes, activePodsForRemoval } from './indexes.ts';
import { BackoffStore, remainingBackoffMs } from './backoff.ts';
import { JOB_COMPLETION_INDEX, JOB_TRACKING_FINALIZER } from './util.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';

const silent = pino({ level: 'silent' });

export class FakeRecorder {
  events: { reason: string; type: string; message: string; name?: string }[] = [];
  event(obj: KubeObject, type: string, reason: string, message: string): void {
    this.events.push({ type, reason, message, name: obj.metadata?.name });
  }
  eventf(obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  reasons(): string[] { return this.events.map((e) => e.reason); }
}

class FakeQueue {
  added: string[] = [];
  after: { key: string; ms: number }[] = [];
  add(k: string): void { this.added.push(k); }
  addAfter(k: string, ms: number): void { this.after.push({ key: k, ms }); }
}

class Fixture {
  clock = new FakeClock(Date.UTC(2024, 0, 1));
  jobs = new Indexer<Job>();
  pods = new Indexer<Pod>();
  recorder = new FakeRecorder();
  queue = new FakeQueue();
  orphans = new FakeQueue();
  statusWrites = 0;
  private seq = 0;
  api: JobApi;
  c: JobController;

  constructor() {
    this.api = {
      getJob: async (ns, name) => {
        const j = this.jobs.get(ns, name);
        if (!j) throw ApiError.notFound('jobs.batch', name, 'batch');
        return structuredClone(j);
      },
      updateJobStatus: async (job) => {
        this.statusWrites++;
        const next = { ...structuredClone(job), metadata: { ...job.metadata, resourceVersion: String(++this.seq) } };
        const old = this.jobs.get(job.metadata?.namespace, job.metadata!.name!);
        this.jobs.set(next);
        if (old) this.c.jobHandler().update!(old, next);
        return structuredClone(next);
      },
      createPod: async (ns, pod) => {
        const n = ++this.seq;
        const created: Pod = {
          ...structuredClone(pod),
          metadata: { ...structuredClone(pod.metadata), name: `${pod.metadata!.generateName}p${n}`, namespace: ns, uid: `pod-${n}`, resourceVersion: String(n), creationTimestamp: rfc3339(this.clock.now()) },
          status: { phase: 'Pending' },
        };
        this.pods.set(created);
        this.c.podHandler().add!(created);
        return created;
      },
      deletePod: async (ns, name) => {
        const p = this.pods.get(ns, name);
        if (!p) throw ApiError.notFound('pods', name);
        if (p.metadata?.finalizers?.length) {
          this.update(p as Pod, (q) => { Object.assign(q.metadata!, { deletionTimestamp: rfc3339(this.clock.now()) }); });
        } else {
          this.pods.delete(objectKey(p));
          this.c.podHandler().delete!(p);
        }
      },
      patchPod: async (ns, name, patch) => {
        const p = this.pods.get(ns, name);
        if (!p) throw ApiError.notFound('pods', name);
        const m = (patch as { metadata: Record<string, unknown> }).metadata;
        const rm = m['$deleteFromPrimitiveList/finalizers'] as string[] | undefined;
        const next = this.update(p as Pod, (q) => {
          if (rm) q.metadata!.finalizers = (q.metadata!.finalizers ?? []).filter((f) => !rm.includes(f));
          if (m.finalizers) q.metadata!.finalizers = [...new Set([...(q.metadata!.finalizers ?? []), ...(m.finalizers as string[])])];
          if (m.ownerReferences) q.metadata!.ownerReferences = m.ownerReferences as never;
        });
        if (next.metadata?.deletionTimestamp && !next.metadata.finalizers?.length) {
          this.pods.delete(objectKey(next));
          this.c.podHandler().delete!(next);
        }
      },
    };
    this.c = new JobController({
      jobs: this.jobs, pods: this.pods, api: this.api, recorder: this.recorder, clock: this.clock, logger: silent,
      queue: this.queue, orphanQueue: this.orphans,
    });
  }

  /** Changes a pod as the API would (new resourceVersion) and tells the controller. */
  update(p: Pod, fn: (q: Pod) => void): Pod {
    const next = structuredClone(p) as Pod;
    fn(next);
    Object.assign(next.metadata!, { resourceVersion: String(++this.seq) });
    this.pods.set(next);
    this.c.podHandler().update!(p, next);
    return next;
  }

  job(spec: Partial<NonNullable<Job['spec']>> = {}, name = 'pi'): Job {
    const labels = { 'batch.kubernetes.io/controller-uid': 'job-uid', 'batch.kubernetes.io/job-name': name, 'controller-uid': 'job-uid', 'job-name': name };
    const j: Job = {
      apiVersion: 'batch/v1', kind: 'Job',
      metadata: { name, namespace: 'default', uid: 'job-uid', generation: 1, resourceVersion: '1', creationTimestamp: rfc3339(this.clock.now()), labels },
      spec: {
        completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
        template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
        ...spec,
      },
      status: {},
    };
    this.jobs.set(j);
    return j;
  }

  get(name = 'pi'): Job { return this.jobs.get('default', name)!; }
  podList(): Pod[] { return this.pods.list('default').sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!)); }
  active(): Pod[] { return this.podList().filter((p) => !p.status?.phase || p.status.phase === 'Pending' || p.status.phase === 'Running').filter((p) => !p.metadata?.deletionTimestamp); }

  /** Finishes a pod as a kubelet would: phase plus a terminated container. */
  finish(p: Pod, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1): Pod {
    const at = rfc3339(this.clock.now());
    return this.update(p, (q) => {
      Object.assign(q, { status: {
        phase,
        containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode, startedAt: at, finishedAt: at } } }],
      } });
    });
  }

  /** Syncs until a sync writes nothing (at most n times). */
  async settle(name = 'pi', n = 6): Promise<void> {
    for (let i = 0; i < n; i++) {
      const before = this.statusWrites + this.pods.size;
      await this.c.sync(`default/${name}`);
      if (this.statusWrites + this.pods.size === before && i > 0) return;
    }
  }
}

const cond = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type);

test('completions 3, parallelism 2: two pods at a time, counted through the finalizer, then Complete', async () => {
  const f = new Fixture();
  f.job({ completions: 3, parallelism: 2 });
  await f.c.sync('default/pi');
  let pods = f.active();
  assert.equal(pods.length, 2);
  for (const p of pods) {
    assert.match(p.metadata!.name!, /^pi-/);
    assert.deepEqual(p.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
    assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-name'], 'pi');
    assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }]);
  }
  let j = f.get();
  assert.equal(j.status?.active, 2);
  assert.equal(j.status?.ready, 0);
  assert.equal(j.status?.terminating, 0);
  assert.equal(j.status?.startTime, rfc3339(f.clock.now()));
  assert.deepEqual(j.status?.uncountedTerminatedPods, {});
  assert.deepEqual(f.recorder.reasons(), ['SuccessfulCreate', 'SuccessfulCreate']);
  assert.match(f.recorder.events[0].message, /^Created pod: pi-/);

  // Nothing changed: nothing is written.
  const writes = f.statusWrites;
  await f.c.sync('default/pi');
  assert.equal(f.statusWrites, writes);

  f.finish(pods[0], 'Succeeded');
  await f.c.sync('default/pi');
  j = f.get();
  assert.equal(j.status?.succeeded, 1);
  assert.deepEqual(j.status?.uncountedTerminatedPods, {});
  assert.deepEqual(f.pods.get('default', pods[0].metadata!.name!)?.metadata?.finalizers, [], 'finalizer removed once counted');
  await f.c.sync('default/pi');
  pods = f.active();
  assert.equal(pods.length, 2, 'a third pod replaces the finished one');

  for (const p of pods) f.finish(p, 'Succeeded');
  await f.settle();
  j = f.get();
  assert.equal(j.status?.succeeded, 3);
  assert.equal(j.status?.active, undefined);
  assert.equal(cond(j, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
  assert.equal(cond(j, 'Complete')?.status, 'True');
  assert.equal(cond(j, 'Complete')?.message, 'Reached expected number of succeeded pods');
  assert.equal(j.status?.completionTime, cond(j, 'Complete')?.lastTransitionTime);
  assert.equal(f.recorder.events.at(-1)?.reason, 'Completed');
  assert.equal(f.recorder.events.at(-1)?.message, 'Job completed');
  assert.equal(f.podList().filter((p) => p.metadata?.finalizers?.length).length, 0);
  // A finished Job is left alone.
  const w = f.statusWrites;
  await f.c.sync('default/pi');
  assert.equal(f.statusWrites, w);
});

test('failures: replacements wait 10 s, 20 s, … and the Job fails past backoffLimit', async () => {
  const f = new Fixture();
  f.job({ backoffLimit: 2 });
  await f.c.sync('default/pi');
  f.finish(f.active()[0], 'Failed');
  await f.settle();
  let j = f.get();
  assert.equal(j.status?.failed, 1);
  assert.equal(f.active().length, 0, 'no replacement during the back-off');
  const wait1 = f.queue.after.at(-1);
  assert.deepEqual(wait1, { key: 'default/pi', ms: 10_000 });

  await f.clock.advance(9_000);
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 0);
  assert.equal(f.queue.after.at(-1)?.ms, 1_000);
  await f.clock.advance(1_000);
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 1, 'replacement after 10 s');

  f.finish(f.active()[0], 'Failed');
  await f.settle();
  assert.equal(f.queue.after.at(-1)?.ms, 20_000, 'second failure: 20 s');
  await f.clock.advance(20_000);
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 1);

  f.finish(f.active()[0], 'Failed');
  await f.settle();
  j = f.get();
  assert.equal(j.status?.failed, 3);
  assert.equal(cond(j, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  assert.equal(cond(j, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(cond(j, 'Failed')?.message, 'Job has reached the specified backoff limit');
  assert.equal(j.status?.completionTime, undefined);
  const last = f.recorder.events.at(-1)!;
  assert.deepEqual([last.type, last.reason, last.message], ['Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit']);
});

test('back-off doubles to a 10-minute cap and resets after a success', () => {
  const store = new BackoffStore();
  const now = Date.UTC(2024, 0, 1);
  const failedAt = (t: number): Pod => ({ metadata: { creationTimestamp: rfc3339(t) }, status: { phase: 'Failed', containerStatuses: [{ name: 'c', image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, finishedAt: rfc3339(t) } } }] } });
  let r = store.newRecord('k', [], [failedAt(now)]);
  assert.equal(remainingBackoffMs(r, now), 10_000);
  r = { ...r, failuresAfterLastSuccess: 4 };
  assert.equal(remainingBackoffMs(r, now + 5_000), 75_000);
  r = { ...r, failuresAfterLastSuccess: 30 };
  assert.equal(remainingBackoffMs(r, now), 600_000);
  store.update(r);
  const succ = { ...failedAt(now + 1000), status: { ...failedAt(now + 1000).status, phase: 'Succeeded' } } as Pod;
  const after = store.newRecord('k', [succ], [failedAt(now + 500), failedAt(now + 2000)]);
  assert.equal(after.failuresAfterLastSuccess, 1, 'only the failure after the success counts');
  assert.equal(after.lastFailureTime, now + 2000);
});

test('Indexed: one pod per index with annotation, label, hostname and env; completedIndexes as ranges', async () => {
  const f = new Fixture();
  f.job({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
  await f.c.sync('default/pi');
  const pods = f.active();
  assert.equal(pods.length, 4);
  const byIndex = new Map(pods.map((p) => [Number(p.metadata!.annotations![JOB_COMPLETION_INDEX]), p]));
  assert.deepEqual([...byIndex.keys()].sort(), [0, 1, 2, 3]);
  for (const [ix, p] of byIndex) {
    assert.match(p.metadata!.name!, new RegExp(`^pi-${ix}-`));
    assert.equal(p.metadata?.labels?.[JOB_COMPLETION_INDEX], String(ix));
    assert.equal(p.spec?.hostname, `pi-${ix}`);
    assert.deepEqual(p.spec?.containers[0].env, [{ name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX}']` } } }]);
  }
  f.finish(byIndex.get(0)!, 'Succeeded');
  f.finish(byIndex.get(2)!, 'Succeeded');
  f.finish(byIndex.get(3)!, 'Succeeded');
  await f.settle();
  let j = f.get();
  assert.equal(j.status?.completedIndexes, '0,2-3');
  assert.equal(j.status?.succeeded, 3);
  assert.equal(cond(j, 'Complete'), undefined);

  // Index 1 fails: it is re-created (after the back-off) for the same index.
  f.finish(byIndex.get(1)!, 'Failed');
  await f.settle();
  await f.clock.advance(10_000);
  await f.c.sync('default/pi');
  const again = f.active();
  assert.equal(again.length, 1);
  assert.equal(again[0].metadata?.annotations?.[JOB_COMPLETION_INDEX], '1');
  f.finish(again[0], 'Succeeded');
  await f.settle();
  j = f.get();
  assert.equal(j.status?.completedIndexes, '0-3');
  assert.equal(j.status?.failed, 1);
  assert.equal(cond(j, 'Complete')?.status, 'True');
});

test('index helpers: ranges, pending indexes, repeated indexes', () => {
  assert.equal(formatIntervals(withIndexes([], [5, 1, 3, 4])), '1,3-5');
  assert.equal(formatIntervals(withIndexes(parseIntervals('1,3-5', 10), [2, 9])), '1-5,9');
  assert.equal(formatIntervals(parseIntervals('0-3,7,x,12', 8)), '0-3,7');
  const pod = (name: string, ix?: number): Pod => ({ metadata: { name, namespace: 'default', annotations: ix === undefined ? {} : { [JOB_COMPLETION_INDEX]: String(ix) } }, status: { phase: 'Running' } });
  assert.deepEqual(firstPendingIndexes([pod('a', 1)], parseIntervals('0,3', 6), 3, 6), [2, 4, 5]);
  const rm = activePodsForRemoval([pod('a', 1), pod('b', 1), pod('c'), pod('d', 9), pod('e', 2)], 0, 5).map((p) => p.metadata!.name).sort();
  assert.deepEqual(rm, ['c', 'd', rm.includes('a') ? 'a' : 'b'].sort());
});

test('activeDeadlineSeconds: pods are deleted and the Job fails with DeadlineExceeded', async () => {
  const f = new Fixture();
  f.job({ parallelism: 2, completions: 4, activeDeadlineSeconds: 30 });
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 2);
  assert.ok(f.queue.after.some((a) => a.key === 'default/pi' && a.ms === 30_000), 'resync when the deadline passes');
  await f.clock.advance(30_000);
  await f.settle();
  const j = f.get();
  assert.equal(cond(j, 'FailureTarget')?.reason, 'DeadlineExceeded');
  assert.equal(cond(j, 'Failed')?.reason, 'DeadlineExceeded');
  assert.equal(cond(j, 'Failed')?.message, 'Job was active longer than specified deadline');
  assert.equal(j.status?.failed, 2, 'the deleted pods count as failed');
  assert.equal(j.status?.active, undefined);
  assert.equal(f.podList().length, 0);
  assert.ok(f.recorder.reasons().includes('DeadlineExceeded'));
});

test('suspend: no pods and no startTime while suspended; resume starts pods; suspending deletes them', async () => {
  const f = new Fixture();
  f.job({ suspend: true, parallelism: 2, completions: 2 });
  await f.c.sync('default/pi');
  let j = f.get();
  assert.equal(f.podList().length, 0);
  assert.equal(j.status?.startTime, undefined);
  assert.deepEqual([cond(j, 'Suspended')?.status, cond(j, 'Suspended')?.reason, cond(j, 'Suspended')?.message], ['True', 'JobSuspended', 'Job suspended']);
  assert.deepEqual(f.recorder.reasons(), ['Suspended']);

  await f.clock.advance(60_000);
  f.jobs.set({ ...j, spec: { ...j.spec!, suspend: false }, metadata: { ...j.metadata, generation: 2 } });
  await f.c.sync('default/pi');
  j = f.get();
  assert.equal(f.active().length, 2);
  assert.deepEqual([cond(j, 'Suspended')?.status, cond(j, 'Suspended')?.reason], ['False', 'JobResumed']);
  assert.equal(j.status?.startTime, rfc3339(f.clock.now()));
  assert.ok(f.recorder.reasons().includes('Resumed'));

  f.jobs.set({ ...j, spec: { ...j.spec!, suspend: true }, metadata: { ...j.metadata, generation: 3 } });
  await f.settle();
  j = f.get();
  assert.equal(f.podList().length, 0, 'pods deleted (finalizer removed first, so they do not count)');
  assert.equal(j.status?.failed, undefined);
  assert.equal(cond(j, 'Suspended')?.status, 'True');
});

test('podFailurePolicy: Ignore does not count; FailJob fails the Job at once', async () => {
  const f = new Fixture();
  f.job({
    backoffLimit: 6,
    podFailurePolicy: { rules: [
      { action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } },
      { action: 'FailJob', onExitCodes: { containerName: 'c', operator: 'In', values: [42] } },
    ] },
    podReplacementPolicy: 'Failed',
  });
  await f.c.sync('default/pi');
  f.finish(f.active()[0], 'Failed', 3);
  await f.settle();
  let j = f.get();
  assert.equal(j.status?.failed, undefined, 'ignored failure not counted');
  await f.clock.advance(10_000);
  await f.c.sync('default/pi');
  const p = f.active()[0];
  assert.ok(p, 'replaced');
  f.finish(p, 'Failed', 42);
  await f.settle();
  j = f.get();
  assert.equal(cond(j, 'Failed')?.reason, 'PodFailurePolicy');
  assert.equal(cond(j, 'Failed')?.message, `Container c for pod default/${p.metadata!.name} failed with exit code 42 matching FailJob rule at index 1`);
  assert.equal(j.status?.failed, 1);
});

test('orphan pods with the tracking finalizer (their Job gone) lose it', async () => {
  const f = new Fixture();
  f.job({ completions: 1 });
  await f.c.sync('default/pi');
  const p = f.active()[0];
  f.jobs.delete('default/pi');
  f.c.jobHandler().delete!(f.job({}, 'pi'));
  f.jobs.delete('default/pi');
  await f.c.syncOrphanPod(objectKey(p));
  assert.deepEqual(f.pods.get('default', p.metadata!.name!)?.metadata?.finalizers, []);
});

test('a pod that fails to be created: FailedCreate event, error, and the next sync tries again', async () => {
  const f = new Fixture();
  f.job({ parallelism: 3, completions: 3 });
  let fails = 1;
  const create = f.api.createPod;
  f.api.createPod = async (ns, pod) => {
    if (fails-- > 0) throw new ApiError(403, 'Forbidden', 'pods "x" is forbidden: exceeded quota');
    return create(ns, pod);
  };
  await assert.rejects(f.c.sync('default/pi'), /exceeded quota/);
  assert.equal(f.podList().length, 0, 'slow start stops after the first failing batch');
  assert.equal(f.recorder.events[0].reason, 'FailedCreate');
  assert.ok(f.c.expectations.satisfied('default/pi'));
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 3);
});

test('an orphan pod matching the selector is adopted with the tracking finalizer and counted', async () => {
  const f = new Fixture();
  f.job({ completions: 1 });
  const labels = f.get().spec!.template.metadata!.labels!;
  f.pods.set({
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: 'stray', namespace: 'default', uid: 'stray-uid', resourceVersion: '1', labels: { ...labels }, creationTimestamp: rfc3339(f.clock.now()) },
    spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Running' },
  });
  await f.c.sync('default/pi');
  const stray = f.pods.get('default', 'stray')!;
  assert.equal(stray.metadata?.ownerReferences?.[0]?.uid, 'job-uid');
  assert.deepEqual(stray.metadata?.finalizers, [JOB_TRACKING_FINALIZER]);
  assert.equal(f.podList().length, 1, 'the adopted pod counts: nothing new created');
  f.finish(stray as Pod, 'Succeeded');
  await f.settle();
  assert.equal(cond(f.get(), 'Complete')?.status, 'True');
});

test('restartPolicy OnFailure: container restarts count toward backoffLimit', async () => {
  const f = new Fixture();
  const j = f.job({ backoffLimit: 2 });
  f.jobs.set({ ...j, spec: { ...j.spec!, template: { ...j.spec!.template, spec: { ...j.spec!.template.spec!, restartPolicy: 'OnFailure' } } } });
  await f.c.sync('default/pi');
  const p = f.active()[0];
  f.update(p, (q) => { Object.assign(q, { status: { phase: 'Running', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 2 }] } }); });
  await f.settle();
  const done = f.get();
  assert.equal(cond(done, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(f.podList().length, 0, 'the running pod was deleted');
});

test('lowering parallelism deletes the surplus pods (finalizer removed first, not counted as failed)', async () => {
  const f = new Fixture();
  const j = f.job({ completions: 10, parallelism: 4 });
  await f.c.sync('default/pi');
  assert.equal(f.active().length, 4);
  f.jobs.set({ ...j, spec: { ...j.spec!, parallelism: 1 }, metadata: { ...j.metadata, generation: 2 } });
  await f.settle();
  assert.equal(f.active().length, 1);
  assert.equal(f.get().status?.active, 1);
  assert.equal(f.get().status?.failed, undefined);
  assert.equal(f.recorder.reasons().filter((r) => r === 'SuccessfulDelete').length, 3);
});

test('no completions (work queue): after the first success nothing new starts; Complete once the rest finished', async () => {
  const f = new Fixture();
  const j = f.job({ parallelism: 3 });
  f.jobs.set({ ...j, spec: { ...j.spec!, completions: undefined } });
  await f.c.sync('default/pi');
  const pods = f.active();
  assert.equal(pods.length, 3);
  f.finish(pods[0], 'Succeeded');
  await f.settle();
  assert.equal(f.active().length, 2, 'no replacement after a success');
  assert.equal(cond(f.get(), 'Complete'), undefined, 'others still running');
  f.finish(pods[1], 'Succeeded');
  f.finish(pods[2], 'Failed');
  await f.settle();
  const done = f.get();
  assert.equal(cond(done, 'Complete')?.status, 'True');
  assert.deepEqual([done.status?.succeeded, done.status?.failed], [2, 1]);
});

test('podFailurePolicy rules: onPodConditions, NotIn, container names, first match wins', () => {
  const pod = (conds: { type: string; status: string }[], codes: Record<string, number>): Pod => ({
    metadata: { name: 'p', namespace: 'ns' },
    status: {
      phase: 'Failed', conditions: conds,
      containerStatuses: Object.entries(codes).map(([name, exitCode]) => ({ name, image: '', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode } } })),
    },
  });
  const policy = { rules: [
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'NotIn', values: [1, 2] } },
    { action: 'Count', onExitCodes: { operator: 'In', values: [1] } },
  ] };
  assert.deepEqual(matchPodFailurePolicy(policy, pod([{ type: 'DisruptionTarget', status: 'True' }], { main: 7 })), { countFailed: false, action: 'Ignore' });
  assert.deepEqual(matchPodFailurePolicy(policy, pod([], { main: 7 })), { countFailed: true, action: 'FailJob', failJobMessage: 'Container main for pod ns/p failed with exit code 7 matching FailJob rule at index 1' });
  assert.deepEqual(matchPodFailurePolicy(policy, pod([], { side: 7, main: 1 })), { countFailed: true, action: 'Count' });
  assert.deepEqual(matchPodFailurePolicy(policy, pod([], { main: 0 })), { countFailed: true }, 'exit code 0 never matches');
  const byCondition = { rules: [{ action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] }] };
  assert.equal(matchPodFailurePolicy(byCondition, pod([{ type: 'ConfigIssue', status: 'True' }], {})).failJobMessage, 'Pod ns/p has condition ConfigIssue matching FailJob rule at index 0');
});
