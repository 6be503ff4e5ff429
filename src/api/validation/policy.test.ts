import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const pdb = (): any => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'default' },
  spec: { minAvailable: 1, selector: { matchLabels: { app: 'web' } } } });
const pc = (): any => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
const lease = (): any => ({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'node-1', namespace: 'kube-node-lease' },
  spec: { holderIdentity: 'node-1', leaseDurationSeconds: 40 } });

test('policy: valid objects pass', () => { for (const f of [pdb, pc, lease]) expectValid(create(f())); });

const cases: [string, () => any, Case][] = [
  ['pdb', pdb, { name: 'both set', mutate: (o) => { o.spec.maxUnavailable = '10%'; }, field: 'spec',
    message: 'Invalid value: {"minAvailable":1,"selector":{"matchLabels":{"app":"web"}},"maxUnavailable":"10%"}: minAvailable and maxUnavailable cannot be both set' }],
  ['pdb', pdb, { name: 'negative', mutate: (o) => { o.spec.minAvailable = -1; }, field: 'spec.minAvailable', message: 'Invalid value: -1: must be greater than or equal to 0' }],
  ['pdb', pdb, { name: 'over 100%', mutate: (o) => { o.spec.minAvailable = '120%'; }, field: 'spec.minAvailable', message: 'Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"120%"}: must not be greater than 100%' }],
  ['pdb', pdb, { name: 'eviction policy', mutate: (o) => { o.spec.unhealthyPodEvictionPolicy = 'Never'; }, field: 'spec.unhealthyPodEvictionPolicy',
    message: 'Unsupported value: "Never": supported values: "AlwaysAllow", "IfHealthyBudget"' }],
  ['priorityclass', pc, { name: 'too high', mutate: (o) => { o.value = 2000000000; }, field: 'value', message: 'Forbidden: maximum allowed value of a user defined priority is 1000000000' }],
  ['priorityclass', pc, { name: 'system prefix', mutate: (o) => { o.metadata.name = 'system-mine'; }, field: 'metadata.name',
    message: "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class" }],
  ['priorityclass', pc, { name: 'system value', mutate: (o) => { o.metadata.name = 'system-node-critical'; }, field: 'metadata.name',
    message: "Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000" }],
  ['priorityclass', pc, { name: 'preemption policy', mutate: (o) => { o.preemptionPolicy = 'Sometimes'; }, field: 'preemptionPolicy',
    message: 'Unsupported value: "Sometimes": supported values: "PreemptLowerPriority", "Never"' }],
  ['lease', lease, { name: 'duration', mutate: (o) => { o.spec.leaseDurationSeconds = 0; }, field: 'spec.leaseDurationSeconds', message: 'Invalid value: 0: must be greater than 0' }],
  ['lease', lease, { name: 'transitions', mutate: (o) => { o.spec.leaseTransitions = -1; }, field: 'spec.leaseTransitions', message: 'Invalid value: -1: must be greater than or equal to 0' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('priorityclass: the built-in system classes are accepted', () => {
  expectValid(create({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'system-cluster-critical' }, value: 2000000000 }));
});
test('priorityclass update: value and preemptionPolicy are immutable', () => {
  const old = stored(pc);
  const a = structuredClone(old); a.value = 5;
  expectError(update(a, old), 'value', 'Forbidden: may not be changed in an update.');
  const b = structuredClone(old); b.preemptionPolicy = 'Never';
  expectError(update(b, old), 'preemptionPolicy', 'Invalid value: "Never": field is immutable');
});
test('pdb update: spec may change', () => {
  const old = stored(pdb);
  const next = structuredClone(old); next.spec.minAvailable = 2;
  expectValid(update(next, old));
});
