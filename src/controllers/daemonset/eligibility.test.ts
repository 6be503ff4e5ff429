// Which nodes a DaemonSet's pod belongs on: node name, nodeSelector,
// required node affinity, taints against the template's and the default
// daemon tolerations — and the two answers (run a new pod / keep one).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { nodeShouldRunDaemonPod, newDaemonPod } from './eligibility.ts';
import { podFitsNodeAffinity, replaceNodeNameAffinity, targetNodeName } from './node-affinity.ts';
import { addDaemonPodTolerations, addOrUpdateToleration, toleratesTaint } from './tolerations.ts';

function node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name, labels }, spec: taints.length ? { taints } : {} };
}

function ds(spec: Partial<PodSpec> = {}): DaemonSet {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: { name: 'agent', namespace: 'default', uid: 'ds-uid' },
    spec: {
      selector: { matchLabels: { app: 'agent' } },
      template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent' }], ...spec } },
    },
  };
}

const verdict = (n: Node, d: DaemonSet): [boolean, boolean] => {
  const v = nodeShouldRunDaemonPod(n, d);
  return [v.shouldRun, v.shouldContinueRunning];
};

test('a plain node runs the pod', () => {
  assert.deepEqual(verdict(node('n1'), ds()), [true, true]);
});

test('nodeSelector must match the node labels', () => {
  const d = ds({ nodeSelector: { disk: 'ssd' } });
  assert.deepEqual(verdict(node('n1', { disk: 'ssd', zone: 'a' }), d), [true, true]);
  assert.deepEqual(verdict(node('n1', { disk: 'hdd' }), d), [false, false]);
  assert.deepEqual(verdict(node('n1'), d), [false, false]);
});

test('required node affinity: terms are ORed, requirements ANDed, every operator', () => {
  const d = ds({
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, { key: 'gpu', operator: 'DoesNotExist' }] },
            { matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['8'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
          ],
        },
      },
    },
  });
  assert.equal(nodeShouldRunDaemonPod(node('n1', { zone: 'a' }), d).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { zone: 'a', gpu: 'yes' }), d).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { zone: 'c' }), d).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { cores: '16' }), d).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { cores: '4' }), d).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { cores: 'many' }), d).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('special'), d).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('other'), d).shouldRun, false);

  const notIn = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
    { matchExpressions: [{ key: 'role', operator: 'NotIn', values: ['master'] }, { key: 'pool', operator: 'Exists' }] },
  ] } } } });
  assert.equal(nodeShouldRunDaemonPod(node('n1', { pool: 'x' }), notIn).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { pool: 'x', role: 'master' }), notIn).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n1', { role: 'worker' }), notIn).shouldRun, false);
});

test('an empty term, or no terms at all, admits no node', () => {
  const noTerms = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } } } });
  assert.equal(nodeShouldRunDaemonPod(node('n1'), noTerms).shouldRun, false);
  const emptyTerm = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } } });
  assert.equal(nodeShouldRunDaemonPod(node('n1'), emptyTerm).shouldRun, false);
  // Preferred terms do not restrict anything.
  const preferred = ds({ affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 1, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] } },
  ] } } });
  assert.equal(nodeShouldRunDaemonPod(node('n1'), preferred).shouldRun, true);
});

test('a template pinned to a node name runs only there', () => {
  const d = ds({ nodeName: 'n2' });
  assert.deepEqual(verdict(node('n1'), d), [false, false]);
  assert.deepEqual(verdict(node('n2'), d), [true, true]);
});

test('an untolerated NoSchedule taint keeps new pods off but lets existing ones stay', () => {
  const tainted = node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  assert.deepEqual(verdict(tainted, ds()), [false, true]);
  // Tolerated: runs.
  assert.deepEqual(verdict(tainted, ds({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] })), [true, true]);
  assert.deepEqual(verdict(tainted, ds({ tolerations: [{ operator: 'Exists' }] })), [true, true]);
  // A different value is not tolerated.
  assert.deepEqual(verdict(tainted, ds({ tolerations: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] })), [false, true]);
});

test('an untolerated NoExecute taint removes the pod; PreferNoSchedule is ignored', () => {
  assert.deepEqual(verdict(node('n1', {}, [{ key: 'evict', effect: 'NoExecute' }]), ds()), [false, false]);
  assert.deepEqual(verdict(node('n1', {}, [{ key: 'evict', effect: 'NoExecute' }]), ds({ tolerations: [{ key: 'evict', operator: 'Exists', effect: 'NoExecute' }] })), [true, true]);
  assert.deepEqual(verdict(node('n1', {}, [{ key: 'soft', effect: 'PreferNoSchedule' }]), ds()), [true, true]);
  // NoSchedule and NoExecute together: the NoExecute one decides whether it stays.
  assert.deepEqual(verdict(node('n1', {}, [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }]), ds()), [false, false]);
});

test('daemon pods tolerate the node-condition taints by default', () => {
  for (const [key, effect] of [
    ['node.kubernetes.io/not-ready', 'NoExecute'], ['node.kubernetes.io/unreachable', 'NoExecute'],
    ['node.kubernetes.io/disk-pressure', 'NoSchedule'], ['node.kubernetes.io/memory-pressure', 'NoSchedule'],
    ['node.kubernetes.io/pid-pressure', 'NoSchedule'], ['node.kubernetes.io/unschedulable', 'NoSchedule'],
  ]) {
    assert.deepEqual(verdict(node('n1', {}, [{ key, effect }]), ds()), [true, true], key);
  }
  // network-unavailable only for host-network pods.
  const net = node('n1', {}, [{ key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' }]);
  assert.deepEqual(verdict(net, ds()), [false, true]);
  assert.deepEqual(verdict(net, ds({ hostNetwork: true })), [true, true]);
});

test('addDaemonPodTolerations appends the defaults once and replaces an equal toleration', () => {
  const spec: PodSpec = { containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 }, { key: 'mine', operator: 'Exists' }] };
  addDaemonPodTolerations(spec);
  addDaemonPodTolerations(spec);
  assert.deepEqual(spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'mine', operator: 'Exists' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
  ]);
  const host: PodSpec = { containers: [], hostNetwork: true };
  addDaemonPodTolerations(host);
  assert.equal(host.tolerations?.at(-1)?.key, 'node.kubernetes.io/network-unavailable');
  const one: PodSpec = { containers: [] };
  addOrUpdateToleration(one, { key: 'k', operator: 'Exists' });
  addOrUpdateToleration(one, { key: 'k', operator: 'Exists' });
  assert.equal(one.tolerations?.length, 1);
});

test('toleratesTaint: empty key with Exists tolerates all; empty effect matches any effect', () => {
  assert.equal(toleratesTaint({ operator: 'Exists' }, { key: 'x', effect: 'NoSchedule' }), true);
  assert.equal(toleratesTaint({ key: 'x', operator: 'Exists' }, { key: 'x', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(toleratesTaint({ key: 'x', value: 'v' }, { key: 'x', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(toleratesTaint({ key: 'x', value: 'v', effect: 'NoSchedule' }, { key: 'x', value: 'v', effect: 'NoExecute' }), false);
  assert.equal(toleratesTaint({ key: 'x', operator: 'Bogus' as 'Exists' }, { key: 'x', effect: 'NoExecute' }), false);
});

test('the checks do not modify the cached DaemonSet', () => {
  const d = ds({ tolerations: [{ key: 'mine', operator: 'Exists' }] });
  const before = structuredClone(d);
  nodeShouldRunDaemonPod(node('n1'), d);
  const pod = newDaemonPod(d, 'n1');
  assert.equal(pod.spec?.nodeName, 'n1');
  assert.equal(pod.spec?.tolerations?.length, 7);
  assert.deepEqual(d, before);
});

test('replaceNodeNameAffinity pins the pod to the node, keeping other affinities', () => {
  const a = replaceNodeNameAffinity(undefined, 'n1');
  assert.deepEqual(a, { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } });
  const orig = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In' as const, values: ['old'] }] }] },
      preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'z', operator: 'Exists' as const }] } }],
    },
    podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }] },
  };
  const b = replaceNodeNameAffinity(orig, 'n2');
  assert.deepEqual(b.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }]);
  assert.equal(b.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length, 1);
  assert.ok(b.podAntiAffinity);
  assert.deepEqual(orig.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values, ['old']);
  // The pinned pod fits that node only.
  const pod = { spec: { containers: [], affinity: b } };
  assert.equal(podFitsNodeAffinity(pod, node('n2')), true);
  assert.equal(podFitsNodeAffinity(pod, node('n1')), false);
});

test('targetNodeName: spec.nodeName once bound, else the pinned node', () => {
  assert.equal(targetNodeName({ spec: { containers: [], nodeName: 'n3', affinity: replaceNodeNameAffinity(undefined, 'n1') } }), 'n3');
  assert.equal(targetNodeName({ spec: { containers: [], affinity: replaceNodeNameAffinity(undefined, 'n1') } }), 'n1');
  assert.equal(targetNodeName({ spec: { containers: [] } }), undefined);
});
