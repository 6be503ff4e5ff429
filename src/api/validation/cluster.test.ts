import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const ns = (): any => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
const node = (): any => ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' },
  spec: { podCIDRs: ['10.42.1.0/24'], taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] },
  status: { capacity: { cpu: '4', memory: '8Gi', pods: '110' } } });

test('cluster: valid namespace and node pass', () => {
  expectValid(create(ns()));
  expectValid(create(node()));
});

const cases: [string, () => any, Case][] = [
  ['namespace', ns, { name: 'name is a label', mutate: (o) => { o.metadata.name = 'team.a'; }, field: 'metadata.name', message: 'Invalid value: "team.a": must not contain dots' }],
  ['namespace', ns, { name: 'spec finalizers', mutate: (o) => { o.spec = { finalizers: ['custom'] }; }, field: 'spec.finalizers',
    message: 'Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified' }],
  ['node', node, { name: 'taint effect', mutate: (o) => { o.spec.taints[0].effect = 'Sometimes'; }, field: 'metadata.taints[0].effect',
    message: 'Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"' }],
  ['node', node, { name: 'taint effect required', mutate: (o) => { delete o.spec.taints[0].effect; }, field: 'metadata.taints[0].effect', message: 'Required value' }],
  ['node', node, { name: 'duplicate taints', mutate: (o) => { o.spec.taints.push({ key: 'dedicated', value: 'x', effect: 'NoSchedule' }); }, field: 'metadata.taints[1]',
    message: 'Duplicate value: {"key":"dedicated","value":"x","effect":"NoSchedule"}: taints must be unique by key and effect pair' }],
  ['node', node, { name: 'podCIDR', mutate: (o) => { o.spec.podCIDRs = ['10.42.1.0']; }, field: 'spec.podCIDRs[0]',
    message: 'Invalid value: "10.42.1.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)' }],
  ['node', node, { name: 'negative capacity', mutate: (o) => { o.status.capacity.cpu = '-1'; }, field: 'status.capacity[cpu]', message: 'Invalid value: "-1": must be greater than or equal to 0' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('node update: podCIDRs and providerID are fixed once set', () => {
  const old = stored(node);
  old.spec.providerID = 'sim://node-1';
  const a = structuredClone(old); a.spec.podCIDRs = ['10.42.2.0/24'];
  expectError(update(a, old), 'spec.podCIDRs', 'Forbidden: node updates may not change podCIDR except from "" to valid');
  const b = structuredClone(old); b.spec.providerID = 'sim://other';
  expectError(update(b, old), 'spec.providerID', 'Forbidden: node updates may not change providerID except from "" to valid');
  const c = structuredClone(old); c.spec.unschedulable = true; c.status.conditions = [{ type: 'Ready', status: 'True' }];
  expectValid(update(c, old));
});

test('namespace update: labels may change', () => {
  const old = stored(ns);
  const next = structuredClone(old);
  next.metadata.labels.team = 'a';
  expectValid(update(next, old));
});
