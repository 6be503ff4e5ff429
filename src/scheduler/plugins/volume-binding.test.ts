import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PersistentVolume, PersistentVolumeClaim } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from '../testing.ts';
import { CycleState } from '../types.ts';
import { volumeBinding } from './volume-binding.ts';

const pvcs: Record<string, PersistentVolumeClaim> = {
  bound: { metadata: { name: 'bound', namespace: 'default' }, spec: { volumeName: 'local-pv' } },
  anywhere: { metadata: { name: 'anywhere', namespace: 'default' }, spec: { volumeName: 'net-pv' } },
  unbound: { metadata: { name: 'unbound', namespace: 'default' }, spec: {} },
};
const pvs: Record<string, PersistentVolume> = {
  'local-pv': { metadata: { name: 'local-pv' }, spec: { nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }] }] } } } },
  'net-pv': { metadata: { name: 'net-pv' }, spec: {} },
};
const nodes = [mkNodeInfo(mkNode('n1')), mkNodeInfo(mkNode('n2'))];
const snap = mkSnapshot(...nodes);
snap.pvc = (_ns, name) => pvcs[name];
snap.pv = (name) => pvs[name];

const cases: { name: string; claim?: string; pre: string; reason?: string; n1?: string; n2?: string }[] = [
  { name: 'no claims', pre: 'Skip' },
  { name: 'local PV pins the pod to its node', claim: 'bound', pre: 'Success', n1: 'Success', n2: 'UnschedulableAndUnresolvable' },
  { name: 'PV without node affinity fits anywhere', claim: 'anywhere', pre: 'Success', n1: 'Success', n2: 'Success' },
  { name: 'unbound claim', claim: 'unbound', pre: 'UnschedulableAndUnresolvable', reason: 'pod has unbound immediate PersistentVolumeClaims' },
  { name: 'missing claim', claim: 'nope', pre: 'UnschedulableAndUnresolvable', reason: 'persistentvolumeclaim "nope" not found' },
];

for (const c of cases) {
  test(`VolumeBinding: ${c.name}`, () => {
    const pod = buildPodInfo(mkPod('p', { spec: c.claim ? { volumes: [{ name: 'v', persistentVolumeClaim: { claimName: c.claim } }] } : {} }));
    const st = new CycleState();
    const pre = volumeBinding.preFilter!(st, pod, snap);
    assert.equal(pre.code, c.pre);
    if (c.reason) assert.deepEqual([...pre.reasons], [c.reason]);
    if (c.n1) assert.equal(volumeBinding.filter!(st, pod, nodes[0]).code, c.n1);
    if (c.n2) {
      const s = volumeBinding.filter!(st, pod, nodes[1]);
      assert.equal(s.code, c.n2);
      if (c.n2 !== 'Success') assert.deepEqual([...s.reasons], ['node(s) had volume node affinity conflict']);
    }
  });
}
