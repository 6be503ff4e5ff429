import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const rq = (): any => ({ apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'q', namespace: 'default' },
  spec: { hard: { pods: '10', 'requests.cpu': '4', 'count/deployments.apps': '5' } } });
const lr = (): any => ({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'limits', namespace: 'default' },
  spec: { limits: [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '100m' }, default: { cpu: '500m' } }] } });

test('quota: valid objects pass', () => { expectValid(create(rq())); expectValid(create(lr())); });

const cases: [string, () => any, Case][] = [
  ['resourcequota', rq, { name: 'unknown resource', mutate: (o) => { o.spec.hard.widgets = '1'; }, field: 'spec.hard[widgets]',
    message: 'Invalid value: "widgets": must be a standard resource type or fully qualified' }],
  ['resourcequota', rq, { name: 'not a quota resource', mutate: (o) => { o.spec.hard.storage = '1Gi'; }, field: 'spec.hard[storage]', message: 'Invalid value: "storage": must be a standard resource for quota' }],
  ['resourcequota', rq, { name: 'pods must be an integer', mutate: (o) => { o.spec.hard.pods = '1.5'; }, field: 'spec.hard[pods]', message: 'Invalid value: 1500m: must be an integer' }],
  ['resourcequota', rq, { name: 'negative', mutate: (o) => { o.spec.hard['requests.cpu'] = '-1'; }, field: 'spec.hard[requests.cpu]', message: 'Invalid value: "-1": must be greater than or equal to 0' }],
  ['resourcequota', rq, { name: 'conflicting scopes', mutate: (o) => { o.spec.scopes = ['BestEffort', 'NotBestEffort']; }, field: 'spec.scopes',
    message: 'Invalid value: []string{"BestEffort", "NotBestEffort"}: conflicting scopes' }],
  ['limitrange', lr, { name: 'min above max', mutate: (o) => { o.spec.limits[0].min.cpu = '3'; }, field: 'spec.limits[0].min[cpu]', message: 'Invalid value: 3: min value 3 is greater than max value 2' }],
  ['limitrange', lr, { name: 'default above max', mutate: (o) => { o.spec.limits[0].default.cpu = '3'; }, field: 'spec.limits[0].default[cpu]', message: 'Invalid value: 2: default value 3 is greater than max value 2' }],
  ['limitrange', lr, { name: 'pod defaults forbidden', mutate: (o) => { o.spec.limits[0].type = 'Pod'; }, field: 'spec.limits[0].default', message: "Forbidden: may not be specified when `type` is 'Pod'" }],
  ['limitrange', lr, { name: 'unknown type', mutate: (o) => { o.spec.limits[0].type = 'Thing'; }, field: 'spec.limits[0]', message: 'Invalid value: "Thing": must be a standard limit type or fully qualified' }],
  ['limitrange', lr, { name: 'duplicate type', mutate: (o) => { o.spec.limits.push({ type: 'Container', max: { memory: '1Gi' } }); }, field: 'spec.limits[1].type', message: 'Duplicate value: "Container"' }],
  ['limitrange', lr, { name: 'pvc needs storage bounds', mutate: (o) => { o.spec.limits = [{ type: 'PersistentVolumeClaim', max: {} }]; }, field: 'spec.limits[0].limits',
    message: 'Required value: either minimum or maximum storage value is required, but neither was provided' }],
  ['limitrange', lr, { name: 'ratio below 1', mutate: (o) => { o.spec.limits[0].maxLimitRequestRatio = { cpu: '500m' }; }, field: 'spec.limits[0].maxLimitRequestRatio[cpu]',
    message: 'Invalid value: 500m: ratio 500m is less than 1' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('resourcequota update: scopes are immutable', () => {
  const old = stored(rq);
  const next = structuredClone(old); next.spec.scopes = ['BestEffort']; next.spec.hard = { pods: '10' };
  expectError(update(next, old), 'spec.scopes', 'Invalid value: []string{"BestEffort"}: field is immutable');
  const grow = structuredClone(old); grow.spec.hard.pods = '20';
  expectValid(update(grow, old));
});
