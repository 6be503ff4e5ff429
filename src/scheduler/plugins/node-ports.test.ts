import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ContainerPort } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod } from '../testing.ts';
import { CycleState } from '../types.ts';
import { nodePorts } from './node-ports.ts';

const withPorts = (name: string, ports: ContainerPort[]): ReturnType<typeof mkPod> => mkPod(name, { containers: [{ name: 'c', ports }] });

const cases: { name: string; existing: ContainerPort[]; wanted: ContainerPort[]; fits: boolean }[] = [
  { name: 'no host ports', existing: [{ containerPort: 80, hostPort: 80 }], wanted: [{ containerPort: 80 }], fits: true },
  { name: 'same port taken', existing: [{ containerPort: 80, hostPort: 8080 }], wanted: [{ containerPort: 81, hostPort: 8080 }], fits: false },
  { name: 'other protocol', existing: [{ containerPort: 53, hostPort: 53, protocol: 'UDP' }], wanted: [{ containerPort: 53, hostPort: 53, protocol: 'TCP' }], fits: true },
  { name: 'different IPs', existing: [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }], wanted: [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' }], fits: true },
  { name: '0.0.0.0 conflicts with a specific IP', existing: [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.1' }], wanted: [{ containerPort: 80, hostPort: 80 }], fits: false },
  { name: 'specific IP conflicts with 0.0.0.0', existing: [{ containerPort: 80, hostPort: 80 }], wanted: [{ containerPort: 80, hostPort: 80, hostIP: '10.0.0.2' }], fits: false },
];

for (const c of cases) {
  test(`NodePorts filter: ${c.name}`, () => {
    const node = mkNodeInfo(mkNode('n'), [withPorts('a', c.existing)]);
    const s = nodePorts.filter!(new CycleState(), buildPodInfo(withPorts('p', c.wanted)), node);
    assert.equal(s.code, c.fits ? 'Success' : 'Unschedulable');
    if (!c.fits) assert.deepEqual([...s.reasons], ["node(s) didn't have free ports for the requested pod ports"]);
  });
}

test('NodePorts: a removed pod frees its port', () => {
  const node = mkNodeInfo(mkNode('n'), [withPorts('a', [{ containerPort: 80, hostPort: 80 }])]);
  node.removePod('default/a');
  assert.equal(nodePorts.filter!(new CycleState(), buildPodInfo(withPorts('p', [{ containerPort: 80, hostPort: 80 }])), node).code, 'Success');
});
