import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Affinity } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { nodeAffinity } from './node-affinity.ts';

const node = mkNodeInfo(mkNode('n1', { labels: { zone: 'a', gen: '5', disk: 'ssd' } }));
const req = (...exprs: object[]): Affinity => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs as never }] } } });

const cases: { name: string; nodeSelector?: Record<string, string>; affinity?: Affinity; fits: boolean }[] = [
  { name: 'nothing asked', fits: true },
  { name: 'nodeSelector matches', nodeSelector: { zone: 'a' }, fits: true },
  { name: 'nodeSelector differs', nodeSelector: { zone: 'b' }, fits: false },
  { name: 'In', affinity: req({ key: 'zone', operator: 'In', values: ['a', 'b'] }), fits: true },
  { name: 'NotIn', affinity: req({ key: 'zone', operator: 'NotIn', values: ['a'] }), fits: false },
  { name: 'Exists', affinity: req({ key: 'disk', operator: 'Exists' }), fits: true },
  { name: 'DoesNotExist', affinity: req({ key: 'gpu', operator: 'DoesNotExist' }), fits: true },
  { name: 'Gt', affinity: req({ key: 'gen', operator: 'Gt', values: ['4'] }), fits: true },
  { name: 'Lt', affinity: req({ key: 'gen', operator: 'Lt', values: ['4'] }), fits: false },
  { name: 'matchFields on name', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] }] } } }, fits: true },
  { name: 'terms are ORed', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }, { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }] } } }, fits: true },
  { name: 'empty term matches nothing', affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } }, fits: false },
];

for (const c of cases) {
  test(`NodeAffinity filter: ${c.name}`, () => {
    const s = nodeAffinity.filter!(new CycleState(), buildPodInfo(mkPod('p', { spec: { nodeSelector: c.nodeSelector, affinity: c.affinity } })), node);
    assert.equal(s.code, c.fits ? 'Success' : 'UnschedulableAndUnresolvable');
    if (!c.fits) assert.deepEqual([...s.reasons], ["node(s) didn't match Pod's node affinity/selector"]);
  });
}

test('NodeAffinity score: weights of matching preferred terms, normalized', () => {
  const pod = buildPodInfo(mkPod('p', {
    spec: {
      affinity: {
        nodeAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
            { weight: 30, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } },
          ],
        },
      },
    },
  }));
  const nodes = [mkNodeInfo(mkNode('a', { labels: { zone: 'a' } })), mkNodeInfo(mkNode('b', { labels: { zone: 'a', disk: 'ssd' } })), mkNodeInfo(mkNode('c'))];
  const st = new CycleState();
  const scores = nodes.map((n) => nodeAffinity.score!(st, pod, n));
  assert.deepEqual(scores, [10, 40, 0]);
  nodeAffinity.normalizeScore!(st, pod, scores);
  assert.deepEqual(scores, [25, 100, 0]);
});
