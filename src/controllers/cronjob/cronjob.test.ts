// The CronJob controller firing on a fake clock: listers are indexers, the
// API is a fake that applies writes to them, and each test moves time.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, objectKey, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { CronJobController, SCHEDULED_TIMESTAMP_ANNOTATION, type CronJobApi } from './cronjob.ts';

const silent = pino({ level: 'silent' });
const T0 = Date.UTC(2024, 0, 1, 10, 0, 0); // a Monday, 10:00 UTC
const MIN = 60_000;

class FakeRecorder {
  events: { reason: string; type: string; message: string }[] = [];
  event(_o: KubeObject, type: string, reason: string, message: string): void { this.events.push({ type, reason, message }); }
  eventf(o: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(o, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  reasons(): string[] { return this.events.map((e) => e.reason); }
}

class Fixture {
  clock = new FakeClock(T0);
  cjs = new Indexer<CronJob>();
  jobs = new Indexer<Job>();
  recorder = new FakeRecorder();
  after: { key: string; ms: number }[] = [];
  deleted: string[] = [];
  private seq = 0;
  c: CronJobController;

  constructor() {
    const api: CronJobApi = {
      getCronJob: async (ns, name) => structuredClone(this.cjs.get(ns, name) ?? (() => { throw ApiError.notFound('cronjobs.batch', name, 'batch'); })()),
      updateCronJobStatus: async (cj) => {
        const next = { ...structuredClone(cj), metadata: { ...cj.metadata, resourceVersion: String(++this.seq) } };
        this.cjs.set(next);
        return next;
      },
      getJob: async (ns, name) => {
        const j = this.jobs.get(ns, name);
        if (!j) throw ApiError.notFound('jobs.batch', name, 'batch');
        return structuredClone(j);
      },
      createJob: async (ns, job) => {
        if (this.jobs.get(ns, job.metadata!.name!)) throw ApiError.alreadyExists('jobs.batch', job.metadata!.name!, 'batch');
        const n = ++this.seq;
        const created: Job = { ...structuredClone(job), metadata: { ...job.metadata, namespace: ns, uid: `job-${n}`, resourceVersion: String(n), creationTimestamp: rfc3339(this.clock.now()) }, status: {} };
        this.jobs.set(created);
        return created;
      },
      deleteJob: async (ns, name) => {
        if (!this.jobs.get(ns, name)) throw ApiError.notFound('jobs.batch', name, 'batch');
        this.jobs.delete(`${ns}/${name}`);
        this.deleted.push(name);
      },
    };
    this.c = new CronJobController({
      cronJobs: this.cjs, jobs: this.jobs, api, recorder: this.recorder, clock: this.clock, logger: silent,
      queue: { add: () => {}, addAfter: (key, ms) => { this.after.push({ key, ms }); } },
    });
  }

  cronJob(spec: Partial<NonNullable<CronJob['spec']>> = {}, created = T0): CronJob {
    const cj: CronJob = {
      apiVersion: 'batch/v1', kind: 'CronJob',
      metadata: { name: 'hello', namespace: 'default', uid: 'cj-uid', resourceVersion: '1', creationTimestamp: rfc3339(created) },
      spec: {
        schedule: '*/5 * * * *', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
        jobTemplate: { metadata: { labels: { app: 'hello' }, annotations: { note: 'x' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
        ...spec,
      },
      status: {},
    };
    this.cjs.set(cj);
    return cj;
  }

  get(): CronJob { return this.cjs.get('default', 'hello')!; }
  jobNames(): string[] { return this.jobs.list('default').map((j) => j.metadata!.name!).sort(); }
  sync(): Promise<void> { return this.c.sync('default/hello'); }

  finishJob(name: string, type: 'Complete' | 'Failed', startMs: number, endMs: number): void {
    const j = structuredClone(this.jobs.get('default', name)!) as Job;
    const at = rfc3339(endMs);
    Object.assign(j, { status: {
      startTime: rfc3339(startMs),
      ...(type === 'Complete' ? { completionTime: at, succeeded: 1 } : { failed: 1 }),
      conditions: [{ type, status: 'True', lastProbeTime: at, lastTransitionTime: at }],
    } });
    Object.assign(j.metadata!, { resourceVersion: String(Number(j.metadata!.resourceVersion) + 1000) });
    this.jobs.set(j);
  }
}

test('CronJob firing on a fake clock: nothing before the schedule, then one Job per schedule time', async () => {
  const f = new Fixture();
  f.cronJob();
  await f.sync();
  assert.deepEqual(f.jobNames(), []);
  assert.deepEqual(f.after.at(-1), { key: 'default/hello', ms: 5 * MIN + 100 }, 'requeued for 10:05 (+100 ms)');

  await f.clock.advance(5 * MIN + 100);
  await f.sync();
  const name = `hello-${(T0 + 5 * MIN) / MIN}`;
  assert.deepEqual(f.jobNames(), [name]);
  const job = f.jobs.get('default', name)!;
  assert.deepEqual(job.metadata?.labels, { app: 'hello' });
  assert.deepEqual(job.metadata?.annotations, { note: 'x', [SCHEDULED_TIMESTAMP_ANNOTATION]: '2024-01-01T10:05:00Z' });
  assert.deepEqual(job.metadata?.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(job.spec?.template?.spec?.containers[0].image, 'busybox');
  let cj = f.get();
  assert.equal(cj.status?.lastScheduleTime, '2024-01-01T10:05:00Z');
  assert.deepEqual(cj.status?.active, [{ apiVersion: 'batch/v1', kind: 'Job', name, namespace: 'default', resourceVersion: job.metadata?.resourceVersion, uid: job.metadata?.uid }]);
  assert.deepEqual(f.recorder.events.at(-1), { type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${name}` });
  assert.equal(f.after.at(-1)?.ms, 5 * MIN, 'next at 10:10 (+100 ms)');

  // The same time again: nothing new.
  await f.sync();
  assert.equal(f.jobNames().length, 1);

  // The Job completes: out of the active list, lastSuccessfulTime set.
  f.finishJob(name, 'Complete', T0 + 5 * MIN, T0 + 6 * MIN);
  await f.sync();
  cj = f.get();
  assert.equal(cj.status?.active, undefined);
  assert.equal(cj.status?.lastSuccessfulTime, '2024-01-01T10:06:00Z');
  assert.deepEqual(f.recorder.events.at(-1), { type: 'Normal', reason: 'SawCompletedJob', message: `Saw completed job: ${name}, condition: Complete` });
});

test('time zone: the schedule and the scheduled-timestamp annotation use spec.timeZone', async () => {
  const f = new Fixture();
  f.cronJob({ schedule: '0 6 * * *', timeZone: 'America/New_York' });
  await f.sync();
  // 06:00 New York on Jan 2nd is 11:00Z; now is Jan 1st 10:00Z (05:00 New York).
  assert.equal(f.after.at(-1)?.ms, 1 * 60 * MIN + 100);
  await f.clock.advance(60 * MIN + 100);
  await f.sync();
  const [name] = f.jobNames();
  assert.equal(name, `hello-${Date.UTC(2024, 0, 1, 11) / MIN}`);
  assert.equal(f.jobs.get('default', name)?.metadata?.annotations?.[SCHEDULED_TIMESTAMP_ANNOTATION], '2024-01-01T06:00:00-05:00');
});

test('missed runs: only the latest runs; more than 100 missed warns TooManyMissedTimes', async () => {
  const f = new Fixture();
  f.cronJob({ schedule: '* * * * *' });
  await f.clock.advance(5 * MIN + 30_000);
  await f.sync();
  assert.deepEqual(f.jobNames(), [`hello-${T0 / MIN + 5}`], 'one Job, for 10:05');
  assert.ok(!f.recorder.reasons().includes('TooManyMissedTimes'));

  await f.clock.advance(200 * MIN);
  await f.sync();
  assert.deepEqual(f.jobNames(), [`hello-${T0 / MIN + 5}`, `hello-${T0 / MIN + 205}`]);
  const warn = f.recorder.events.find((e) => e.reason === 'TooManyMissedTimes')!;
  assert.equal(warn.type, 'Warning');
  assert.equal(warn.message, 'too many missed start times: 200. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  assert.equal(f.get().status?.lastScheduleTime, rfc3339(T0 + 205 * MIN));
});

test('startingDeadlineSeconds: a schedule time older than the deadline is not started', async () => {
  // As upstream: the search for due times starts at now − deadline, so a late
  // time is never found (rather than found and reported as missed).
  const late = new Fixture();
  late.cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 30 });
  await late.clock.advance(60 * MIN + 45_000); // 11:00:45: the 11:00 run is 45 s old
  await late.sync();
  assert.deepEqual(late.jobNames(), []);
  assert.deepEqual(late.after.at(-1), { key: 'default/hello', ms: 60 * MIN - 45_000 + 100 }, 'next try at 12:00');

  const inTime = new Fixture();
  inTime.cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 300 });
  await inTime.clock.advance(60 * MIN + 45_000);
  await inTime.sync();
  assert.deepEqual(inTime.jobNames(), [`hello-${T0 / MIN + 60}`], 'within the deadline: runs');
});

test('concurrencyPolicy Forbid: no new Job while one is active (JobAlreadyActive)', async () => {
  const f = new Fixture();
  f.cronJob({ concurrencyPolicy: 'Forbid' });
  await f.clock.advance(5 * MIN);
  await f.sync();
  assert.equal(f.jobNames().length, 1);
  await f.clock.advance(5 * MIN);
  await f.sync();
  assert.equal(f.jobNames().length, 1);
  assert.deepEqual(f.recorder.events.at(-1), { type: 'Normal', reason: 'JobAlreadyActive', message: 'Not starting job because prior execution is running and concurrency policy is Forbid' });
  // Finished: the next time runs (the missed 10:10 is the latest due when the sync runs at 10:10).
  f.finishJob(f.jobNames()[0], 'Complete', T0 + 5 * MIN, T0 + 10 * MIN);
  await f.sync();
  assert.equal(f.jobNames().length, 2);
});

test('concurrencyPolicy Replace: the active Job is deleted and a new one made', async () => {
  const f = new Fixture();
  f.cronJob({ concurrencyPolicy: 'Replace' });
  await f.clock.advance(5 * MIN);
  await f.sync();
  const [first] = f.jobNames();
  await f.clock.advance(5 * MIN);
  await f.sync();
  assert.deepEqual(f.deleted, [first]);
  const names = f.jobNames();
  assert.equal(names.length, 1);
  assert.notEqual(names[0], first);
  assert.deepEqual(f.get().status?.active?.map((r) => r.name), names);
  assert.ok(f.recorder.events.some((e) => e.reason === 'SuccessfulDelete' && e.message === `Deleted job ${first}`));
});

test('concurrencyPolicy Allow: runs overlap', async () => {
  const f = new Fixture();
  f.cronJob();
  await f.clock.advance(5 * MIN);
  await f.sync();
  await f.clock.advance(5 * MIN);
  await f.sync();
  assert.equal(f.jobNames().length, 2);
  assert.equal(f.get().status?.active?.length, 2);
});

test('suspend: nothing runs and nothing is requeued', async () => {
  const f = new Fixture();
  f.cronJob({ suspend: true });
  await f.clock.advance(30 * MIN);
  await f.sync();
  assert.deepEqual(f.jobNames(), []);
  assert.deepEqual(f.after, []);
});

test('history limits: the oldest finished Jobs beyond the limits are deleted', async () => {
  const f = new Fixture();
  f.cronJob({ successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1 });
  const made: string[] = [];
  for (let i = 1; i <= 5; i++) {
    await f.clock.advance(5 * MIN);
    await f.sync();
    made.push(f.jobNames().find((n) => !made.includes(n))!);
  }
  // Three succeed, two fail.
  made.forEach((n, i) => f.finishJob(n, i < 3 ? 'Complete' : 'Failed', T0 + (i + 1) * 5 * MIN, T0 + (i + 1) * 5 * MIN + 1000));
  await f.sync();
  assert.deepEqual(f.deleted.sort(), [made[0], made[3]].sort());
  assert.deepEqual(f.jobNames(), [made[1], made[2], made[4]].sort());
});

test('an active Job that disappeared is dropped (MissingJob); an unknown running child is reported (UnexpectedJob)', async () => {
  const f = new Fixture();
  f.cronJob();
  await f.clock.advance(5 * MIN);
  await f.sync();
  const [name] = f.jobNames();
  f.jobs.delete(`default/${name}`);
  await f.sync();
  assert.equal(f.get().status?.active, undefined);
  assert.ok(f.recorder.events.some((e) => e.reason === 'MissingJob' && e.message === `Active job went missing: ${name}`));

  f.jobs.set({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'manual', namespace: 'default', uid: 'm', resourceVersion: '5', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true }] }, spec: { template: {} }, status: {} });
  await f.sync();
  assert.ok(f.recorder.events.some((e) => e.reason === 'UnexpectedJob' && e.message === 'Saw a job that the controller did not create or forgot: manual'));
  assert.ok(objectKey(f.get()));
});

test('a Job created before a lost status write is found again (AlreadyExists) and put in the active list', async () => {
  const f = new Fixture();
  f.cronJob();
  await f.clock.advance(5 * MIN);
  await f.sync();
  // Forget the status write.
  const cj = structuredClone(f.get()) as CronJob;
  Object.assign(cj, { status: {} });
  f.cjs.set(cj);
  const before = f.recorder.events.length;
  // The Job exists and is ours, but the cached CronJob does not list it: the fresh read does not either.
  await f.sync();
  assert.equal(f.jobNames().length, 1);
  assert.equal(f.get().status?.active?.length, 1);
  assert.ok(f.recorder.events.slice(before).some((e) => e.reason === 'UnexpectedJob'));
});
