// The CronJob controller in a real `pilot server`, driven with the real
// kubectl: `kubectl create cronjob`, `kubectl create job --from=cronjob/x`,
// and a CronJob firing on its own. Schedules on the minute would make this
// test wait up to a minute, so the firing one uses "@every 2s" (robfig/cron's
// constant-delay form, which upstream accepts too); minute schedules, time
// zones, missed runs and concurrency policies are unit-tested on a fake clock
// (src/controllers/cronjob/*.test.ts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { Event as CoreEvent, Pod } from 'kubernetes-types/core/v1.js';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;

before(async () => {
  pilot = await new Pilot({
    datastore: 'memory://',
    extraArgs: ['--controllers', 'cronjob,job,garbage-collector,serviceaccount', '--leader-elect=false', '--disable-scheduler', '--disable-agent'],
  }).start();
});

after(async () => {
  await pilot?.dispose();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('kubectl create cronjob, then kubectl create job --from=cronjob/x', async () => {
  const out = await pilot.k(['create', 'cronjob', 'hello', '--image=busybox', '--schedule=*/5 * * * *', '--', 'date']);
  assert.match(out, /cronjob.batch\/hello created/);
  const cj = await pilot.json<CronJob>(['get', 'cronjob', 'hello']);
  assert.equal(cj.spec?.concurrencyPolicy, 'Allow');
  assert.equal(cj.spec?.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec?.failedJobsHistoryLimit, 1);
  const table = await pilot.k(['get', 'cronjobs']);
  assert.match(table, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE/);
  assert.match(table, /\nhello\s+\*\/5 \* \* \* \*\s+<none>\s+False\s+0\s+<none>\s+/);

  assert.match(await pilot.k(['create', 'job', 'manual-run', '--from=cronjob/hello']), /job.batch\/manual-run created/);
  const job = await pilot.json<Job>(['get', 'job', 'manual-run']);
  assert.equal(job.metadata?.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
  assert.deepEqual(job.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['CronJob', 'hello', cj.metadata?.uid, true]]);
  assert.deepEqual(job.spec?.template?.spec?.containers.map((c) => [c.image, c.command]), [['busybox', ['date']]]);
  // The Job controller runs it like any Job.
  await until('its pod', async () => {
    const pods = await pilot.json<{ items: Pod[] }>(['get', 'pods', '-l', 'batch.kubernetes.io/job-name=manual-run']);
    return pods.items.length === 1;
  });
});

test('a CronJob fires on its own: the Job, its name and annotation, the status and the event', async () => {
  await pilot.k(['create', 'cronjob', 'tick', '--image=busybox', '--schedule=@every 2s', '--', 'true']);
  const job = await until('a Job from the CronJob', async () => {
    const jobs = await pilot.json<{ items: Job[] }>(['get', 'jobs']);
    return jobs.items.find((j) => j.metadata?.ownerReferences?.some((r) => r.kind === 'CronJob' && r.name === 'tick'));
  });
  const stamp = job.metadata?.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'];
  assert.ok(stamp, 'scheduled-timestamp annotation');
  assert.match(stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.equal(job.metadata?.name, `tick-${Math.floor(Date.parse(stamp) / 60_000)}`);
  // Stop it firing, then look at the status it recorded.
  await pilot.k(['patch', 'cronjob', 'tick', '--type=merge', '-p', '{"spec":{"suspend":true}}']);
  const cj = await until('status', async () => {
    const c = await pilot.json<CronJob>(['get', 'cronjob', 'tick']);
    return !!c.status?.lastScheduleTime && !!c.status.active?.length && c;
  });
  assert.ok(cj.status?.active?.some((r) => r.kind === 'Job' && r.apiVersion === 'batch/v1' && r.namespace === 'default' && r.uid && r.resourceVersion));
  const evs = await until('SuccessfulCreate', async () => {
    const list = await pilot.json<{ items: CoreEvent[] }>(['get', 'events', '--field-selector', 'involvedObject.name=tick']);
    return list.items.some((e) => e.reason === 'SuccessfulCreate') && list.items;
  });
  const ev = evs.find((e) => e.reason === 'SuccessfulCreate')!;
  assert.match(ev.message!, /^Created job tick-\d+$/);
  assert.equal(ev.source?.component, 'cronjob-controller');
  assert.match(await pilot.k(['get', 'cronjob', 'tick']), /\ntick\s+@every 2s\s+<none>\s+True\s+[1-9]\d*\s+\d+s\s+/);
});
