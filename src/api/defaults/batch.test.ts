import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, jobSelectorDefaults } from './index.ts';
import { findByKind } from '../resources.ts';

const JOB = findByKind('batch/v1', 'Job')!;
const CJ = findByKind('batch/v1', 'CronJob')!;
const podSpec = () => ({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1' }] });
const defaultedPodSpec = {
  restartPolicy: 'Never', containers: [{ name: 'c', image: 'x:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} }],
  dnsPolicy: 'ClusterFirst', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler',
};

const jobTable: [string, any, Record<string, unknown>][] = [
  ['both unset', {}, { completions: 1, parallelism: 1 }],
  ['completions only', { completions: 5 }, { completions: 5, parallelism: 1 }],
  ['parallelism only', { parallelism: 3 }, { parallelism: 3, completions: undefined }],
  ['backoffLimitPerIndex', { completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1 }, { backoffLimit: 2147483647 }],
  ['podFailurePolicy', { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } },
    { podReplacementPolicy: 'Failed', podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] } }],
];
for (const [name, extra, want] of jobTable) {
  test(`defaults: job ${name}`, () => {
    const job: any = { metadata: { name: 'j' }, spec: { ...extra, template: { spec: podSpec() } } };
    applyDefaults(JOB, job);
    for (const [k, v] of Object.entries(want)) assert.deepEqual(job.spec[k], v, k);
  });
}

test('defaults: a plain job, then its generated selector', () => {
  const job: any = { metadata: { name: 'pi', namespace: 'default' }, spec: { template: { spec: podSpec() } } };
  jobSelectorDefaults(job, 'uid-1');
  applyDefaults(JOB, job);
  const labels = { 'job-name': 'pi', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'uid-1', 'batch.kubernetes.io/controller-uid': 'uid-1' };
  assert.deepEqual(job, {
    metadata: { name: 'pi', namespace: 'default', labels },
    spec: {
      template: { metadata: { labels, creationTimestamp: null }, spec: defaultedPodSpec },
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'uid-1' } },
      completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed', manualSelector: false,
    },
  });
});

test('defaults: job labels copied from the template follow the generated labels; own labels stay', () => {
  const a: any = { metadata: { name: 'a' }, spec: { template: { metadata: { labels: { app: 'x' } }, spec: podSpec() } } };
  applyDefaults(JOB, a);
  assert.deepEqual(a.metadata.labels, { app: 'x' });
  jobSelectorDefaults(a, 'u');
  assert.equal(a.metadata.labels['controller-uid'], 'u');
  const b: any = { metadata: { name: 'b', labels: { team: 't' } }, spec: { template: { spec: podSpec() } } };
  jobSelectorDefaults(b, 'u');
  applyDefaults(JOB, b);
  assert.deepEqual(b.metadata.labels, { team: 't' });
});

test('defaults: manual selectors are left alone', () => {
  const job: any = { metadata: { name: 'm' }, spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: podSpec() } } };
  jobSelectorDefaults(job, 'u');
  assert.deepEqual(job.spec.selector, { matchLabels: { a: 'b' } });
  assert.deepEqual(job.spec.template.metadata.labels, { a: 'b' });
});

test('defaults: cronjob defaults its own fields and the pod template only', () => {
  const cj: any = { metadata: { name: 'c' }, spec: { schedule: '@hourly', jobTemplate: { spec: { template: { spec: podSpec() } } } } };
  applyDefaults(CJ, cj);
  assert.deepEqual(cj.spec, {
    schedule: '@hourly', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
    jobTemplate: { metadata: { creationTimestamp: null }, spec: { template: { metadata: { creationTimestamp: null }, spec: defaultedPodSpec } } },
  });
});
