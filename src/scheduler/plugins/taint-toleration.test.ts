import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { taintToleration } from './taint-toleration.ts';

const cases: { name: string; taints: Taint[]; tolerations: Toleration[]; want: string | null }[] = [
  { name: 'no taints', taints: [], tolerations: [], want: null },
  { name: 'untolerated NoSchedule', taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }], tolerations: [], want: 'node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }' },
  { name: 'value shown', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoExecute' }], tolerations: [], want: 'node(s) had untolerated taint {dedicated: gpu}' },
  { name: 'Equal toleration', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }], want: null },
  { name: 'wrong value', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }], tolerations: [{ key: 'dedicated', value: 'cpu' }], want: 'node(s) had untolerated taint {dedicated: gpu}' },
  { name: 'Exists without key tolerates all', taints: [{ key: 'a', effect: 'NoSchedule' }, { key: 'b', effect: 'NoExecute' }], tolerations: [{ operator: 'Exists' }], want: null },
  { name: 'effect mismatch', taints: [{ key: 'a', effect: 'NoSchedule' }], tolerations: [{ key: 'a', operator: 'Exists', effect: 'NoExecute' }], want: 'node(s) had untolerated taint {a: }' },
  { name: 'PreferNoSchedule does not filter', taints: [{ key: 'a', effect: 'PreferNoSchedule' }], tolerations: [], want: null },
];

for (const c of cases) {
  test(`TaintToleration filter: ${c.name}`, () => {
    const s = taintToleration.filter!(new CycleState(), buildPodInfo(mkPod('p', { spec: { tolerations: c.tolerations } })), mkNodeInfo(mkNode('n', { taints: c.taints })));
    if (c.want === null) assert.equal(s.code, 'Success');
    else {
      assert.equal(s.code, 'UnschedulableAndUnresolvable');
      assert.deepEqual([...s.reasons], [c.want]);
    }
  });
}

test('TaintToleration score: fewer untolerated PreferNoSchedule taints score higher', () => {
  const pod = buildPodInfo(mkPod('p', { spec: { tolerations: [{ key: 'ok', operator: 'Exists', effect: 'PreferNoSchedule' }] } }));
  const nodes = [
    mkNodeInfo(mkNode('clean')),
    mkNodeInfo(mkNode('tolerated', { taints: [{ key: 'ok', effect: 'PreferNoSchedule' }] })),
    mkNodeInfo(mkNode('two', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }, { key: 'y', effect: 'PreferNoSchedule' }] })),
    mkNodeInfo(mkNode('one', { taints: [{ key: 'x', effect: 'PreferNoSchedule' }] })),
  ];
  const st = new CycleState();
  taintToleration.preScore!(st, pod, nodes, undefined as never);
  const scores = nodes.map((n) => taintToleration.score!(st, pod, n));
  assert.deepEqual(scores, [0, 0, 2, 1]);
  taintToleration.normalizeScore!(st, pod, scores);
  assert.deepEqual(scores, [100, 100, 0, 50]);
});
