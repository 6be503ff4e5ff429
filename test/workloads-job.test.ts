// The Job and TTL-after-finished controllers in a real `pilot server`,
// driven with the real kubectl. There is no kubelet: a test helper finishes
// pods by writing their status (phase Succeeded/Failed with a terminated
// container), as a kubelet would.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Event as CoreEvent, Pod } from 'kubernetes-types/core/v1.js';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;

before(async () => {
  pilot = await new Pilot({
    datastore: 'memory://',
    extraArgs: ['--controllers', 'job,ttl-after-finished,garbage-collector,serviceaccount', '--leader-elect=false', '--disable-scheduler', '--disable-agent'],
  }).start();
});

after(async () => {
  await pilot?.dispose();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function apply(yaml: string): Promise<void> {
  await pilot.k(['apply', '-f', '-'], { input: yaml });
}

function jobYaml(name: string, spec: string): string {
  return `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
spec:
${spec.split('\n').map((l) => `  ${l}`).join('\n')}
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: c
        image: busybox
        command: ["true"]
`;
}

async function job(name: string): Promise<Job> {
  return pilot.json<Job>(['get', 'job', name]);
}

async function podsOf(name: string): Promise<Pod[]> {
  const list = await pilot.json<{ items: Pod[] }>(['get', 'pods', '-l', `batch.kubernetes.io/job-name=${name}`]);
  return list.items;
}

const isActive = (p: Pod): boolean => !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed';

/** What a kubelet writes when the pod's only container exits. */
async function finishPod(name: string, phase: 'Succeeded' | 'Failed', exitCode = phase === 'Succeeded' ? 0 : 1): Promise<void> {
  const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const status = {
    phase,
    containerStatuses: [{
      name: 'c', image: 'busybox', imageID: '', ready: false, restartCount: 0, started: false,
      state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: at, finishedAt: at } },
    }],
  };
  await pilot.k(['patch', 'pod', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })]);
}

async function events(name: string): Promise<CoreEvent[]> {
  return (await pilot.json<{ items: CoreEvent[] }>(['get', 'events', '--field-selector', `involvedObject.name=${name}`])).items;
}

const cond = (j: Job, type: string) => j.status?.conditions?.find((c) => c.type === type);

test('completions 3, parallelism 2: at most two pods at a time, then Complete; kubectl wait --for=condition=complete', async () => {
  await apply(jobYaml('pi', 'completions: 3\nparallelism: 2'));
  const created = await job('pi');
  const uid = created.metadata!.uid!;
  // The apiserver's defaulting: generated selector and labels.
  assert.deepEqual(created.spec?.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
  assert.equal(created.spec?.template?.metadata?.labels?.['job-name'], 'pi');
  assert.equal(created.spec?.backoffLimit, 6);

  const waiter = pilot.kubectl(['wait', '--for=condition=complete', 'job/pi', '--timeout=60s'], { timeoutMs: 70_000 });
  const finished = new Set<string>();
  while (finished.size < 3) {
    const pods = await until('an unfinished pod', async () => {
      const ps = (await podsOf('pi')).filter((p) => !finished.has(p.metadata!.name!));
      return ps.length > 0 && ps;
    });
    const active = (await podsOf('pi')).filter(isActive);
    assert.ok(active.length <= 2, `never more than parallelism pods: ${active.length}`);
    for (const p of pods) {
      assert.ok(p.metadata?.finalizers?.includes('batch.kubernetes.io/job-tracking'), 'pods carry the tracking finalizer until counted');
      assert.equal(p.metadata?.labels?.['batch.kubernetes.io/controller-uid'], uid);
      assert.deepEqual(p.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['Job', 'pi', true]]);
      await finishPod(p.metadata!.name!, 'Succeeded');
      finished.add(p.metadata!.name!);
      if (finished.size === 3) break;
    }
  }
  const w = await waiter;
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /job.batch\/pi condition met/);

  const done = await job('pi');
  assert.equal(done.status?.succeeded, 3);
  assert.equal(done.status?.active, undefined);
  assert.equal(cond(done, 'Complete')?.status, 'True');
  assert.equal(cond(done, 'SuccessCriteriaMet')?.reason, 'CompletionsReached');
  assert.ok(done.status?.completionTime && done.status.startTime);
  assert.deepEqual(done.status?.uncountedTerminatedPods, {});
  const pods = await podsOf('pi');
  assert.equal(pods.length, 3);
  assert.ok(pods.every((p) => !p.metadata?.finalizers?.length), 'finalizers removed once counted');

  const table = await pilot.k(['get', 'job', 'pi']);
  assert.match(table, /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE/);
  assert.match(table, /\npi\s+Complete\s+3\/3\s+/);

  const evs = await until('events', async () => {
    const e = await events('pi');
    return e.some((x) => x.reason === 'Completed') && e;
  });
  const creates = evs.filter((e) => e.reason === 'SuccessfulCreate');
  assert.equal(creates.reduce((n, e) => n + (e.count ?? 1), 0), 3);
  assert.match(creates[0].message!, /^Created pod: pi-\w{5}$/);
  assert.equal(creates[0].source?.component, 'job-controller');
  assert.equal(evs.find((e) => e.reason === 'Completed')?.message, 'Job completed');
});

test('failures past backoffLimit: Failed with reason BackoffLimitExceeded', async () => {
  await apply(jobYaml('fails', 'completions: 2\nparallelism: 2\nbackoffLimit: 1'));
  const pods = await until('two pods', async () => {
    const ps = (await podsOf('fails')).filter(isActive);
    return ps.length === 2 && ps;
  });
  for (const p of pods) await finishPod(p.metadata!.name!, 'Failed');
  const failed = await until('Failed condition', async () => {
    const j = await job('fails');
    return cond(j, 'Failed')?.status === 'True' && j;
  });
  assert.equal(cond(failed, 'Failed')?.reason, 'BackoffLimitExceeded');
  assert.equal(cond(failed, 'Failed')?.message, 'Job has reached the specified backoff limit');
  assert.equal(cond(failed, 'FailureTarget')?.reason, 'BackoffLimitExceeded');
  assert.equal(failed.status?.failed, 2);
  assert.equal(failed.status?.completionTime, undefined);
  const r = await pilot.kubectl(['wait', '--for=condition=failed', 'job/fails', '--timeout=10s']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(await pilot.k(['get', 'job', 'fails']), /\nfails\s+Failed\s+0\/2\s+/);
  const evs = await until('event', async () => {
    const e = await events('fails');
    return e.some((x) => x.reason === 'BackoffLimitExceeded') && e;
  });
  const ev = evs.find((e) => e.reason === 'BackoffLimitExceeded')!;
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, 'Job has reached the specified backoff limit');
});

test('Indexed: one pod per index; completedIndexes "0,2" then "0-2"', async () => {
  await apply(jobYaml('idx', 'completions: 3\nparallelism: 3\ncompletionMode: Indexed'));
  const pods = await until('three pods', async () => {
    const ps = (await podsOf('idx')).filter(isActive);
    return ps.length === 3 && ps;
  });
  const byIndex = new Map(pods.map((p) => [p.metadata!.annotations!['batch.kubernetes.io/job-completion-index'], p]));
  assert.deepEqual([...byIndex.keys()].sort(), ['0', '1', '2']);
  for (const [ix, p] of byIndex) {
    assert.match(p.metadata!.name!, new RegExp(`^idx-${ix}-\\w{5}$`));
    assert.equal(p.metadata?.labels?.['batch.kubernetes.io/job-completion-index'], ix);
    assert.equal(p.spec?.hostname, `idx-${ix}`);
    assert.ok(p.spec?.containers[0].env?.some((e) => e.name === 'JOB_COMPLETION_INDEX'));
  }
  await finishPod(byIndex.get('0')!.metadata!.name!, 'Succeeded');
  await finishPod(byIndex.get('2')!.metadata!.name!, 'Succeeded');
  await until('completedIndexes 0,2', async () => (await job('idx')).status?.completedIndexes === '0,2');
  await finishPod(byIndex.get('1')!.metadata!.name!, 'Succeeded');
  const done = await until('Complete', async () => {
    const j = await job('idx');
    return cond(j, 'Complete')?.status === 'True' && j;
  });
  assert.equal(done.status?.completedIndexes, '0-2');
  assert.equal(done.status?.succeeded, 3);
});

test('ttlSecondsAfterFinished: 0 deletes the finished Job and its pods; 1 a second later', async () => {
  await apply(jobYaml('ttl0', 'ttlSecondsAfterFinished: 0'));
  await apply(jobYaml('ttl1', 'ttlSecondsAfterFinished: 1'));
  for (const name of ['ttl0', 'ttl1']) {
    const [p] = await until(`${name}'s pod`, async () => {
      const ps = await podsOf(name);
      return ps.length === 1 && ps;
    });
    await finishPod(p.metadata!.name!, 'Succeeded');
  }
  for (const name of ['ttl0', 'ttl1']) {
    await until(`${name} deleted`, async () => {
      const r = await pilot.kubectl(['get', 'job', name]);
      return r.code !== 0 && /NotFound/.test(r.stderr);
    });
    await until(`${name}'s pods deleted`, async () => (await podsOf(name)).length === 0);
  }
});

test('suspend: a suspended Job makes no pods until resumed', async () => {
  await apply(jobYaml('later', 'suspend: true'));
  const suspended = await until('Suspended condition', async () => {
    const j = await job('later');
    return cond(j, 'Suspended')?.status === 'True' && j;
  });
  assert.equal(suspended.status?.startTime, undefined);
  assert.equal((await podsOf('later')).length, 0);
  assert.match(await pilot.k(['get', 'job', 'later']), /\nlater\s+Suspended\s+0\/1\s+/);
  await pilot.k(['patch', 'job', 'later', '--type=merge', '-p', '{"spec":{"suspend":false}}']);
  await until('a pod', async () => (await podsOf('later')).length === 1);
  const resumed = await job('later');
  assert.equal(cond(resumed, 'Suspended')?.reason, 'JobResumed');
  assert.ok(resumed.status?.startTime);
});

test('deleting a running Job: its pods lose the tracking finalizer and go', async () => {
  await apply(jobYaml('gone', 'parallelism: 2\ncompletions: 4'));
  await until('two pods', async () => (await podsOf('gone')).filter(isActive).length === 2);
  await pilot.k(['delete', 'job', 'gone']);
  await until('pods deleted', async () => (await podsOf('gone')).length === 0);
});
