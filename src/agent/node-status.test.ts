import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialNode, microTime, nodeConditions, nodeStatus, type RuntimeState } from './node-status.ts';
import type { HostFacts } from './host.ts';

const host: HostFacts = {
  cpus: 4, memoryBytes: 8 * 1024 ** 3, ephemeralStorageBytes: 100 * 1024 ** 3, hostname: 'h', internalIP: '192.0.2.7',
  kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', machineID: 'm', systemUUID: 's', bootID: 'b', architecture: 'amd64',
};
const rt: RuntimeState = { runtimeVersion: 'containerd://1.6.20', runtimeReady: true, networkReady: true, images: [{ names: ['a'], sizeBytes: 1 }, { names: ['b'], sizeBytes: 5 }] };
const id = { name: 'n1', kubeletVersion: 'v1.32.0+pilot', labels: { 'node-role.kubernetes.io/control-plane': 'true' } };

test('node status: capacity from the host, allocatable minus eviction thresholds, addresses, nodeInfo', () => {
  const s = nodeStatus(id, host, rt, '2026-01-01T00:00:00Z');
  assert.deepEqual(s.capacity, { cpu: '4', memory: '8388608Ki', pods: '110', 'ephemeral-storage': '104857600Ki', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0' });
  assert.equal(s.allocatable?.memory, `${8 * 1024 * 1024 - 100 * 1024}Ki`);
  assert.equal(s.allocatable?.['ephemeral-storage'], String(Math.floor(100 * 1024 ** 3 * 0.9)));
  assert.deepEqual(s.addresses, [{ type: 'InternalIP', address: '192.0.2.7' }, { type: 'Hostname', address: 'n1' }]);
  assert.equal(s.nodeInfo?.containerRuntimeVersion, 'containerd://1.6.20');
  assert.equal(s.nodeInfo?.kubeletVersion, 'v1.32.0+pilot');
  assert.equal(s.nodeInfo?.osImage, 'Debian GNU/Linux 12 (bookworm)');
  assert.deepEqual(s.images?.map((i) => i.names?.[0]), ['b', 'a'], 'largest image first');
  assert.equal(nodeStatus({ ...id, nodeIP: '10.0.0.1' }, host, rt, 'x').addresses?.[0].address, '10.0.0.1');
});

test('node conditions: Ready with upstream reasons; runtime down makes it NotReady; transition times kept', () => {
  const c1 = nodeConditions('2026-01-01T00:00:00Z', rt);
  assert.deepEqual(c1.map((c) => [c.type, c.status, c.reason]), [
    ['MemoryPressure', 'False', 'KubeletHasSufficientMemory'], ['DiskPressure', 'False', 'KubeletHasNoDiskPressure'],
    ['PIDPressure', 'False', 'KubeletHasSufficientPID'], ['Ready', 'True', 'KubeletReady'],
  ]);
  assert.equal(c1[3].message, 'kubelet is posting ready status');
  const c2 = nodeConditions('2026-01-01T00:01:00Z', { ...rt, networkReady: false, message: 'cni config uninitialized' }, c1);
  assert.equal(c2[3].status, 'False');
  assert.equal(c2[3].reason, 'KubeletNotReady');
  assert.match(c2[3].message ?? '', /^container runtime network not ready: NetworkReady=false/);
  assert.equal(c2[3].lastTransitionTime, '2026-01-01T00:01:00Z');
  assert.equal(c2[0].lastTransitionTime, '2026-01-01T00:00:00Z', 'unchanged condition keeps its transition time');
  assert.equal(c2[0].lastHeartbeatTime, '2026-01-01T00:01:00Z');
  const down = nodeConditions('t', { ...rt, runtimeReady: false, message: 'connection refused' });
  assert.equal(down[3].message, 'container runtime is down: connection refused');
});

test('registration object: well-known labels plus extras', () => {
  const n = initialNode(id, host);
  assert.deepEqual(n.metadata?.labels, {
    'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': 'n1', 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/control-plane': 'true',
  });
  assert.equal(microTime(Date.UTC(2026, 0, 1, 0, 0, 0, 123)), '2026-01-01T00:00:00.123000Z');
});
