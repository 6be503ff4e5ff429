import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const job = (): any => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'uid-1' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'pi', image: 'perl:5.34' }] } } } });
const cron = (): any => ({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'hello', namespace: 'default' },
  spec: { schedule: '*/1 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } } } });

test('batch: valid Job and CronJob pass', () => {
  expectValid(create(job()));
  expectValid(create(cron()));
});

const jobCases: Case[] = [
  { name: 'restartPolicy Always', mutate: (o) => { o.spec.template.spec.restartPolicy = 'Always'; }, field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
  { name: 'restartPolicy defaulted', mutate: (o) => { delete o.spec.template.spec.restartPolicy; }, field: 'spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
  { name: 'negative parallelism', mutate: (o) => { o.spec.parallelism = -1; }, field: 'spec.parallelism', message: 'Invalid value: -1: must be greater than or equal to 0' },
  { name: 'negative completions', mutate: (o) => { o.spec.completions = -1; }, field: 'spec.completions', message: 'Invalid value: -1: must be greater than or equal to 0' },
  { name: 'negative backoffLimit', mutate: (o) => { o.spec.backoffLimit = -1; }, field: 'spec.backoffLimit', message: 'Invalid value: -1: must be greater than or equal to 0' },
  { name: 'completionMode', mutate: (o) => { o.spec.completionMode = 'Sometimes'; }, field: 'spec.completionMode', message: 'Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"' },
  { name: 'indexed needs completions', mutate: (o) => { o.spec.completionMode = 'Indexed'; o.spec.parallelism = 2; }, field: 'spec.completions', message: 'Required value: when completion mode is Indexed' },
  { name: 'conflicting generated label', mutate: (o) => { o.spec.template.metadata = { labels: { 'controller-uid': 'other' } }; }, field: 'spec.template.metadata.labels[controller-uid]',
    message: "Invalid value: map[string]string{\"batch.kubernetes.io/controller-uid\":\"uid-1\", \"batch.kubernetes.io/job-name\":\"pi\", \"controller-uid\":\"other\", \"job-name\":\"pi\"}: must be 'uid-1'" },
  { name: 'manual selector mismatch', mutate: (o) => { o.spec.manualSelector = true; o.spec.selector = { matchLabels: { a: 'b' } }; }, field: 'spec.template.metadata.labels',
    message: 'Invalid value: map[string]string(nil): `selector` does not match template `labels`' },
  { name: 'manual selector required', mutate: (o) => { o.spec.manualSelector = true; }, field: 'spec.selector', message: 'Required value' },
  { name: 'podFailurePolicy needs Never', mutate: (o) => { o.spec.template.spec.restartPolicy = 'OnFailure'; o.spec.podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }] }; },
    field: 'spec.template.spec.restartPolicy', message: 'Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified' },
  { name: 'podFailurePolicy exit code 0', mutate: (o) => { o.spec.podFailurePolicy = { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [0] } }] }; },
    field: 'spec.podFailurePolicy.rules[0].onExitCodes.values[0]', message: 'Invalid value: 0: must not be 0 for the In operator' },
  { name: 'indexed name too long for hostnames', mutate: (o) => { o.metadata.name = 'a'.repeat(62); o.spec.completionMode = 'Indexed'; o.spec.completions = 10; o.spec.parallelism = 1; },
    field: 'metadata.name', message: `Invalid value: "${'a'.repeat(62)}": will not able to create pod with invalid DNS label: ${'a'.repeat(62)}-9` },
];
for (const c of jobCases) test(`job: ${c.name}`, () => { const o = job(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('job: missing uid is reported when the selector is generated', () => {
  const o = job();
  delete o.metadata.uid;
  // the registry would run jobSelectorDefaults with the new uid; without one the selector is empty
  o.spec.selector = { matchLabels: { 'batch.kubernetes.io/controller-uid': '' } };
  expectError(create(o), 'metadata.uid', 'Required value');
});

test('job update: template and selector are immutable, completions too', () => {
  const old = stored(job);
  const a = structuredClone(old);
  a.spec.template.spec.containers[0].image = 'perl:6';
  const errs = update(a, old);
  assert.ok(errs.some((e) => e.field === 'spec.template' && e.message.endsWith(': field is immutable')), JSON.stringify(errs));
  const b = structuredClone(old);
  b.spec.completions = 3;
  expectError(update(b, old), 'spec.completions', 'Invalid value: 3: field is immutable');
  const c = structuredClone(old);
  c.spec.parallelism = 0;
  expectValid(update(c, old));
});

test('job update: suspended jobs that never ran may change scheduling directives', () => {
  const base = job();
  base.spec.suspend = true;
  const old = stored(() => base);
  const next = structuredClone(old);
  next.spec.template.spec.nodeSelector = { zone: 'a' };
  expectValid(update(next, old));
});

const cronCases: Case[] = [
  { name: 'schedule required', mutate: (o) => { o.spec.schedule = ''; }, field: 'spec.schedule', message: 'Required value' },
  { name: 'bad schedule', mutate: (o) => { o.spec.schedule = '* * * *'; }, field: 'spec.schedule', message: 'Invalid value: "* * * *": expected exactly 5 fields, found 4: [* * * *]' },
  { name: 'out of range', mutate: (o) => { o.spec.schedule = '0 24 * * *'; }, field: 'spec.schedule', message: 'Invalid value: "0 24 * * *": end of range (24) above maximum (23): 24' },
  { name: 'TZ in schedule', mutate: (o) => { o.spec.schedule = 'TZ=UTC * * * * *'; }, field: 'spec.schedule',
    message: 'Invalid value: "TZ=UTC * * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead' },
  { name: 'concurrencyPolicy', mutate: (o) => { o.spec.concurrencyPolicy = 'Maybe'; }, field: 'spec.concurrencyPolicy', message: 'Unsupported value: "Maybe": supported values: "Allow", "Forbid", "Replace"' },
  { name: 'timeZone unknown', mutate: (o) => { o.spec.timeZone = 'Mars/Olympus'; }, field: 'spec.timeZone', message: 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus' },
  { name: 'timeZone Local', mutate: (o) => { o.spec.timeZone = 'Local'; }, field: 'spec.timeZone',
    message: 'Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones' },
  { name: 'timeZone empty', mutate: (o) => { o.spec.timeZone = ''; }, field: 'spec.timeZone', message: 'Invalid value: "": timeZone must be nil or non-empty string' },
  { name: 'name too long', mutate: (o) => { o.metadata.name = 'a'.repeat(53); }, field: 'metadata.name', message: `Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters` },
  { name: 'job template restartPolicy', mutate: (o) => { o.spec.jobTemplate.spec.template.spec.restartPolicy = 'Always'; },
    field: 'spec.jobTemplate.spec.template.spec.restartPolicy', message: 'Required value: valid values: "OnFailure", "Never"' },
  { name: 'job template selector', mutate: (o) => { o.spec.jobTemplate.spec.selector = { matchLabels: { a: 'b' } }; }, field: 'spec.jobTemplate.spec.selector',
    message: 'Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"a":"b"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` will be auto-generated' },
  { name: 'negative history', mutate: (o) => { o.spec.successfulJobsHistoryLimit = -1; }, field: 'spec.successfulJobsHistoryLimit', message: 'Invalid value: -1: must be greater than or equal to 0' },
];
for (const c of cronCases) test(`cronjob: ${c.name}`, () => { const o = cron(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('cronjob: valid time zone and descriptor pass', () => {
  const o = cron();
  o.spec.schedule = '@daily';
  o.spec.timeZone = 'America/New_York';
  expectValid(create(o));
});
