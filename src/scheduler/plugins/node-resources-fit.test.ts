import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { nodeResourcesFit } from './node-resources-fit.ts';

const fit = nodeResourcesFit();
const filterCases: { name: string; node: ReturnType<typeof mkNodeInfo>; pod: ReturnType<typeof mkPod>; reasons: string[] }[] = [
  { name: 'fits', node: mkNodeInfo(mkNode('n', { cpu: '2' }), [mkPod('a', { cpu: '1' })]), pod: mkPod('p', { cpu: '1' }), reasons: [] },
  { name: 'cpu short', node: mkNodeInfo(mkNode('n', { cpu: '2' }), [mkPod('a', { cpu: '1500m' })]), pod: mkPod('p', { cpu: '600m' }), reasons: ['Insufficient cpu'] },
  { name: 'cpu and memory short', node: mkNodeInfo(mkNode('n', { cpu: '1', memory: '1Gi' })), pod: mkPod('p', { cpu: '2', memory: '2Gi' }), reasons: ['Insufficient cpu', 'Insufficient memory'] },
  { name: 'too many pods', node: mkNodeInfo(mkNode('n', { pods: '1' }), [mkPod('a')]), pod: mkPod('p'), reasons: ['Too many pods'] },
  { name: 'best effort pod ignores resources', node: mkNodeInfo(mkNode('n', { cpu: '1' }), [mkPod('a', { cpu: '1' })]), pod: mkPod('p'), reasons: [] },
  { name: 'extended resource missing', node: mkNodeInfo(mkNode('n')), pod: mkPod('p', { requests: { 'nvidia.com/gpu': '1' } }), reasons: ['Insufficient nvidia.com/gpu'] },
  { name: 'extended resource present', node: mkNodeInfo(mkNode('n', { extra: { 'nvidia.com/gpu': '2' } }), [mkPod('a', { requests: { 'nvidia.com/gpu': '1' } })]), pod: mkPod('p', { requests: { 'nvidia.com/gpu': '1' } }), reasons: [] },
  { name: 'ephemeral storage', node: mkNodeInfo(mkNode('n', { extra: { 'ephemeral-storage': '1Gi' } })), pod: mkPod('p', { requests: { 'ephemeral-storage': '2Gi' } }), reasons: ['Insufficient ephemeral-storage'] },
  {
    name: 'init container max, not sum',
    node: mkNodeInfo(mkNode('n', { cpu: '2' })),
    pod: mkPod('p', { cpu: '1', initContainers: [{ name: 'i1', resources: { requests: { cpu: '2' } } }, { name: 'i2', resources: { requests: { cpu: '2' } } }] }),
    reasons: [],
  },
  {
    name: 'init container larger than the app',
    node: mkNodeInfo(mkNode('n', { cpu: '2' })),
    pod: mkPod('p', { cpu: '1', initContainers: [{ name: 'i1', resources: { requests: { cpu: '3' } } }] }),
    reasons: ['Insufficient cpu'],
  },
  {
    name: 'sidecar (restartable init) adds to the app',
    node: mkNodeInfo(mkNode('n', { cpu: '2' })),
    pod: mkPod('p', { cpu: '1500m', initContainers: [{ name: 's', restartPolicy: 'Always', resources: { requests: { cpu: '1' } } }] }),
    reasons: ['Insufficient cpu'],
  },
  { name: 'overhead counted', node: mkNodeInfo(mkNode('n', { cpu: '1' })), pod: mkPod('p', { cpu: '900m', spec: { overhead: { cpu: '200m' } } }), reasons: ['Insufficient cpu'] },
];

for (const c of filterCases) {
  test(`NodeResourcesFit filter: ${c.name}`, () => {
    const s = fit.filter!(new CycleState(), buildPodInfo(c.pod), c.node);
    assert.deepEqual([...s.reasons], c.reasons);
    assert.equal(s.code, c.reasons.length ? 'Unschedulable' : 'Success');
  });
}

test('NodeResourcesFit scores: LeastAllocated prefers the emptier node, MostAllocated the fuller', () => {
  const empty = mkNodeInfo(mkNode('e', { cpu: '4', memory: '4Gi' }));
  const busy = mkNodeInfo(mkNode('b', { cpu: '4', memory: '4Gi' }), [mkPod('a', { cpu: '2', memory: '2Gi' })]);
  const p = buildPodInfo(mkPod('p', { cpu: '1', memory: '1Gi' }));
  const least = nodeResourcesFit('LeastAllocated');
  const most = nodeResourcesFit('MostAllocated');
  const st = new CycleState();
  // (4-1)/4 → 75 for both resources
  assert.equal(least.score!(st, p, empty), 75);
  assert.equal(least.score!(st, p, busy), 25);
  assert.equal(most.score!(st, p, empty), 25);
  assert.equal(most.score!(st, p, busy), 75);
});
