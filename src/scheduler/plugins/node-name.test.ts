import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { nodeName } from './node-name.ts';
import { nodeUnschedulable } from './node-unschedulable.ts';

for (const c of [
  { name: 'no node name', want: undefined, code: 'Success' },
  { name: 'same node', want: 'n1', code: 'Success' },
  { name: 'other node', want: 'n2', code: 'UnschedulableAndUnresolvable' },
]) {
  test(`NodeName filter: ${c.name}`, () => {
    const s = nodeName.filter!(new CycleState(), buildPodInfo(mkPod('p', { spec: { nodeName: c.want } })), mkNodeInfo(mkNode('n1')));
    assert.equal(s.code, c.code);
  });
}

for (const c of [
  { name: 'schedulable node', unschedulable: false, tolerations: [], code: 'Success' },
  { name: 'cordoned node', unschedulable: true, tolerations: [], code: 'UnschedulableAndUnresolvable' },
  { name: 'cordoned node, tolerated', unschedulable: true, tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }], code: 'Success' },
]) {
  test(`NodeUnschedulable filter: ${c.name}`, () => {
    const s = nodeUnschedulable.filter!(new CycleState(), buildPodInfo(mkPod('p', { spec: { tolerations: c.tolerations } })), mkNodeInfo(mkNode('n', { unschedulable: c.unschedulable })));
    assert.equal(s.code, c.code);
    if (c.code !== 'Success') assert.deepEqual([...s.reasons], ['node(s) were unschedulable']);
  });
}
