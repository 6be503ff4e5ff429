import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { Framework } from './framework.ts';
import { buildPodInfo } from './podinfo.ts';
import { preempt } from './preemption.ts';
import { defaultProfile } from './profile.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from './testing.ts';

function run(nodes: ReturnType<typeof mkNodeInfo>[], pod: ReturnType<typeof mkPod>, pdbs: PodDisruptionBudget[] = []): ReturnType<typeof preempt> {
  const fw = new Framework(defaultProfile());
  const snap = mkSnapshot(...nodes);
  const info = buildPodInfo(pod);
  const r = fw.schedule(info, snap);
  assert.ok(!r.ok, 'the pod must not fit before preemption');
  return preempt(fw, r.state, info, r.diagnosis, snap, pdbs);
}

test('preemption picks the node with the lowest-priority victims, and the fewest of them', () => {
  const nodes = [
    mkNodeInfo(mkNode('mid', { cpu: '2' }), [mkPod('m1', { cpu: '2', priority: 50 })]),
    mkNodeInfo(mkNode('low-two', { cpu: '2' }), [mkPod('l1', { cpu: '1', priority: 10 }), mkPod('l2', { cpu: '1', priority: 10 })]),
    mkNodeInfo(mkNode('low-one', { cpu: '2' }), [mkPod('l3', { cpu: '1500m', priority: 10 }), mkPod('keep', { cpu: '500m', priority: 10 })]),
  ];
  const r = run(nodes, mkPod('p', { cpu: '1500m', priority: 100 }));
  assert.ok(r.ok);
  assert.equal(r.candidate.node, 'low-one');
  assert.deepEqual(r.candidate.victims.map((v) => v.key), ['default/l3']);
});

test('preemption never evicts equal or higher priority pods; the message says why', () => {
  const nodes = [
    mkNodeInfo(mkNode('n1', { cpu: '1' }), [mkPod('same', { cpu: '1', priority: 100 })]),
    mkNodeInfo(mkNode('n2', { cpu: '1', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] })),
  ];
  const r = run(nodes, mkPod('p', { cpu: '1', priority: 100 }));
  assert.ok(!r.ok);
  assert.equal(r.message, 'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.');
});

test('preemptionPolicy Never is not eligible', () => {
  const nodes = [mkNodeInfo(mkNode('n1', { cpu: '1' }), [mkPod('low', { cpu: '1', priority: 0 })])];
  const r = run(nodes, mkPod('p', { cpu: '1', priority: 100, spec: { preemptionPolicy: 'Never' } }));
  assert.ok(!r.ok);
  assert.equal(r.message, 'not eligible due to preemptionPolicy=Never.');
});

test('preemption prefers a node where no PodDisruptionBudget is violated', () => {
  const nodes = [
    mkNodeInfo(mkNode('protected', { cpu: '1' }), [mkPod('guarded', { cpu: '1', priority: 0, labels: { app: 'db' } })]),
    mkNodeInfo(mkNode('free', { cpu: '1' }), [mkPod('plain', { cpu: '1', priority: 5 })]),
  ];
  const pdb: PodDisruptionBudget = { metadata: { name: 'db', namespace: 'default' }, spec: { selector: { matchLabels: { app: 'db' } } }, status: { disruptionsAllowed: 0 } as never };
  const r = run(nodes, mkPod('p', { cpu: '1', priority: 100 }), [pdb]);
  assert.ok(r.ok);
  assert.equal(r.candidate.node, 'free');
  assert.equal(r.candidate.numPDBViolations, 0);
  // Without the PDB the lower-priority victim wins.
  const r2 = run(nodes, mkPod('p', { cpu: '1', priority: 100 }));
  assert.ok(r2.ok);
  assert.equal(r2.candidate.node, 'protected');
});

test('preemption helps with anti-affinity to a lower-priority pod', () => {
  const nodes = [mkNodeInfo(mkNode('n1', { cpu: '4' }), [mkPod('noisy', { priority: 0, labels: { app: 'noisy' } })])];
  const pod = mkPod('p', {
    priority: 10,
    spec: { affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname', labelSelector: { matchLabels: { app: 'noisy' } } }] } } },
  });
  const r = run(nodes, pod);
  assert.ok(r.ok);
  assert.deepEqual(r.candidate.victims.map((v) => v.key), ['default/noisy']);
});
