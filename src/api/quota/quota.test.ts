import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Container, Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { add, equals, lessThanOrEqual, mask, prettyPrint, subtract, subtractNonNegative, isZero, negatives } from './resource-list.ts';
import { evaluatorFor, objectCountName, parseObjectCountName, podEvaluator, pvcEvaluator, quotaMatches, serviceEvaluator } from './evaluators.ts';
import { podLimits, podRequests } from './pod-resources.ts';
import { calculateUsage } from './usage.ts';

const NOW = Date.UTC(2024, 0, 1);

test('resource lists: exact sums in the first non-zero term\'s format, masks, comparisons, pretty printing', () => {
  assert.deepEqual(add({ 'requests.memory': '1Gi', cpu: '100m' }, { 'requests.memory': '512Mi', cpu: '0.2', pods: '1' }),
    { 'requests.memory': '1536Mi', cpu: '300m', pods: '1' });
  assert.deepEqual(add({ memory: '0' }, { memory: '128Mi' }), { memory: '128Mi' });
  assert.deepEqual(add({ cpu: '1' }, { cpu: '500m' }), { cpu: '1500m' });
  assert.deepEqual(subtract({ pods: '3' }, { pods: '1', services: '1' }), { pods: '2', services: '-1' });
  assert.deepEqual(subtractNonNegative({ pods: '1' }, { pods: '2' }), { pods: '0' });
  assert.deepEqual(mask({ a: '1', b: '2' }, ['b', 'c']), { b: '2' });
  assert.deepEqual(lessThanOrEqual({ pods: '3', cpu: '1', other: '9' }, { pods: '2', cpu: '1000m' }), { ok: false, exceeded: ['pods'] });
  assert.equal(equals({ cpu: '1' }, { cpu: '1000m' }), true);
  assert.equal(equals({ cpu: '1' }, { cpu: '1', pods: '0' }), false);
  assert.equal(isZero({ a: '0', b: '0m' }), true);
  assert.deepEqual(negatives({ a: '-1', b: '1' }), ['a']);
  assert.equal(prettyPrint({ pods: '1', 'requests.cpu': '0.5', 'count/deployments.apps': '1' }), 'count/deployments.apps=1,pods=1,requests.cpu=500m');
});

function pod(containers: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}, status: Pod['status'] = { phase: 'Running' }): Pod {
  return { metadata: { name: 'p', namespace: 'ns' }, spec: { containers, ...extra }, status };
}

test('pod requests/limits: containers summed, init containers as a floor, sidecars added, overhead', () => {
  const p = pod([
    { name: 'a', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } } },
    { name: 'b', resources: { requests: { cpu: '300m' } } },
  ], {
    initContainers: [
      { name: 'init', resources: { requests: { cpu: '1', memory: '32Mi' } } },
      { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '50m' } } },
    ],
    overhead: { cpu: '10m', memory: '1Mi' },
  });
  // containers 400m + sidecar 50m = 450m vs init 1 (before the sidecar starts) → 1; memory 64Mi vs 32Mi; + overhead.
  assert.deepEqual(podRequests(p), { cpu: '1010m', memory: '65Mi' });
  // limits: only cpu has a limit, so only cpu gets the overhead.
  assert.deepEqual(podLimits(p), { cpu: '210m' });
});

test('pod evaluator: usage, terminal pods, constraints message, scopes', () => {
  const p = pod([{ name: 'c', resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '500m', memory: '2Gi' } } }]);
  assert.deepEqual(podEvaluator.usage(p, NOW), {
    'count/pods': '1', pods: '1', cpu: '250m', 'requests.cpu': '250m', memory: '1Gi', 'requests.memory': '1Gi', 'limits.cpu': '500m', 'limits.memory': '2Gi',
  });
  assert.deepEqual(podEvaluator.usage({ ...p, status: { phase: 'Succeeded' } }, NOW), { 'count/pods': '1' });
  const stuck = { ...p, metadata: { ...p.metadata, deletionTimestamp: '2023-12-31T23:00:00Z', deletionGracePeriodSeconds: 30 } };
  assert.deepEqual(podEvaluator.usage(stuck, NOW), { 'count/pods': '1' }, 'past its grace period: not charged');

  const bare = pod([{ name: 'b' }, { name: 'a', resources: { requests: { cpu: '1' } } }], { initContainers: [{ name: 'i' }] });
  assert.equal(podEvaluator.constraints(['pods', 'requests.cpu', 'limits.memory'], bare),
    'must specify limits.memory for: a,b,i; requests.cpu for: b,i');
  assert.equal(podEvaluator.constraints(['pods', 'count/pods'], bare), undefined);

  const best = pod([{ name: 'c' }]);
  const deadline = pod([{ name: 'c', resources: { requests: { cpu: '1' } } }], { activeDeadlineSeconds: 10, priorityClassName: 'high' });
  const be = (s: string) => podEvaluator.matchesScope({ scopeName: s, operator: 'Exists' }, best);
  const dl = (s: string) => podEvaluator.matchesScope({ scopeName: s, operator: 'Exists' }, deadline);
  assert.deepEqual([be('BestEffort'), be('NotBestEffort'), be('Terminating'), be('NotTerminating')], [true, false, false, true]);
  assert.deepEqual([dl('BestEffort'), dl('NotBestEffort'), dl('Terminating'), dl('NotTerminating'), dl('PriorityClass')], [false, true, true, false, true]);
  assert.equal(podEvaluator.matchesScope({ scopeName: 'PriorityClass', operator: 'In', values: ['low'] }, deadline), false);
});

test('services and claims; object counts by name', () => {
  assert.deepEqual(serviceEvaluator.usage({ spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] } }, NOW),
    { 'count/services': '1', services: '1', 'services.loadbalancers': '0', 'services.nodeports': '2' });
  assert.deepEqual(serviceEvaluator.usage({ spec: { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [{ port: 1 }] } }, NOW),
    { 'count/services': '1', services: '1', 'services.loadbalancers': '1', 'services.nodeports': '0' });
  assert.deepEqual(pvcEvaluator.usage({ spec: { storageClassName: 'fast', resources: { requests: { storage: '10Gi' } } }, status: { allocatedResources: { storage: '20Gi' } } }, NOW), {
    'count/persistentvolumeclaims': '1', persistentvolumeclaims: '1', 'fast.storageclass.storage.k8s.io/persistentvolumeclaims': '1',
    'requests.storage': '20Gi', 'fast.storageclass.storage.k8s.io/requests.storage': '20Gi',
  });
  assert.equal(objectCountName('apps', 'deployments'), 'count/deployments.apps');
  assert.deepEqual(parseObjectCountName('count/deployments.apps'), { group: 'apps', plural: 'deployments' });
  assert.deepEqual(parseObjectCountName('count/secrets'), { group: '', plural: 'secrets' });
  assert.deepEqual(evaluatorFor('', 'secrets').usage({}, NOW), { 'count/secrets': '1', secrets: '1' });
  assert.deepEqual(evaluatorFor('apps', 'deployments').matchingResources(['pods', 'count/deployments.apps']), ['count/deployments.apps']);
  assert.equal(evaluatorFor('apps', 'deployments').handles('UPDATE', {}, {}, ''), false);
});

test('quotaMatches uses status.hard and the scopes', () => {
  const rq: ResourceQuota = { metadata: { name: 'q' }, spec: { hard: { pods: '1' }, scopes: ['BestEffort'] }, status: { hard: { pods: '1' }, used: { pods: '0' } } };
  assert.equal(quotaMatches(podEvaluator, rq, pod([{ name: 'c' }])), true);
  assert.equal(quotaMatches(podEvaluator, rq, pod([{ name: 'c', resources: { requests: { cpu: '1' } } }])), false);
  assert.equal(quotaMatches(serviceEvaluator, rq, {}), false);
  assert.equal(quotaMatches(podEvaluator, { ...rq, status: {} }, pod([{ name: 'c' }])), false, 'no status yet: not applied');
});

test('calculateUsage: zeros for tracked names, scopes filter pods, unknown resources left out', () => {
  const pods = [
    pod([{ name: 'c', resources: { requests: { cpu: '100m', memory: '100Mi' } } }]),
    pod([{ name: 'c', resources: { requests: { cpu: '300m' } } }], { activeDeadlineSeconds: 5 }),
    pod([{ name: 'c' }], {}, { phase: 'Failed' }),
  ];
  const objs: Record<string, object[]> = { '/pods': pods, '/services': [{ spec: { type: 'ClusterIP' } }], '/configmaps': [{}, {}] };
  const list = (g: string, p: string) => (g === 'example.com' ? undefined : objs[`${g}/${p}`] ?? []);
  const rq: ResourceQuota = {
    metadata: { name: 'q', namespace: 'ns' },
    spec: { hard: { pods: '10', 'count/pods': '10', 'requests.cpu': '2', 'requests.memory': '1Gi', services: '5', configmaps: '5', 'count/widgets.example.com': '3', secrets: '1' } },
  };
  assert.deepEqual(calculateUsage(rq, list, NOW), {
    pods: '2', 'count/pods': '3', 'requests.cpu': '400m', 'requests.memory': '100Mi', services: '1', configmaps: '2', secrets: '0',
  });
  const scoped: ResourceQuota = { metadata: { name: 'q', namespace: 'ns' }, spec: { hard: { pods: '10', 'requests.cpu': '2' }, scopes: ['NotTerminating'] } };
  assert.deepEqual(calculateUsage(scoped, list, NOW), { pods: '1', 'requests.cpu': '100m' });
});
