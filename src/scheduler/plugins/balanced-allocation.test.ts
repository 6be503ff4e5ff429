import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { balancedAllocation } from './balanced-allocation.ts';

const cases: { name: string; node: { cpu: string; memory: string }; existing: { cpu: string; memory: string }[]; pod: { cpu: string; memory: string }; want: number }[] = [
  { name: 'perfectly balanced', node: { cpu: '4', memory: '4Gi' }, existing: [], pod: { cpu: '2', memory: '2Gi' }, want: 100 },
  // cpu 3/4 = 0.75, memory 1/4 = 0.25 → std 0.25 → 75
  { name: 'cpu heavy', node: { cpu: '4', memory: '4Gi' }, existing: [{ cpu: '2', memory: '512Mi' }], pod: { cpu: '1', memory: '512Mi' }, want: 75 },
  // fractions capped at 1: cpu 1, memory 0 → 50
  { name: 'over-committed capped', node: { cpu: '1', memory: '4Gi' }, existing: [], pod: { cpu: '2', memory: '1Ki' }, want: 50 },
];

for (const c of cases) {
  test(`BalancedAllocation score: ${c.name}`, () => {
    const ni = mkNodeInfo(mkNode('n', c.node), c.existing.map((e, i) => mkPod(`e${i}`, e)));
    assert.equal(balancedAllocation.score!(new CycleState(), buildPodInfo(mkPod('p', c.pod)), ni), c.want);
  });
}
