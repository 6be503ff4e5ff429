import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildLease, buildNode, healthyConditions, microTime, simNodeIdentity } from './node.ts';
import { SIMULATED_DEFAULTS } from './options.ts';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

test('node identities: names from the prefix, distinct fake addresses', () => {
  assert.deepEqual(simNodeIdentity('sim-node-', 0), { name: 'sim-node-0', index: 0, ip: '10.200.0.1', fakePodCidr: '10.128.0.0/24' });
  assert.deepEqual(simNodeIdentity('n-', 4999), { name: 'n-4999', index: 4999, ip: '10.200.19.136', fakePodCidr: '10.147.135.0/24' });
  const ips = new Set<string>();
  const cidrs = new Set<string>();
  for (let i = 0; i < 20_000; i++) { const id = simNodeIdentity('x', i); ips.add(id.ip); cidrs.add(id.fakePodCidr); }
  assert.equal(ips.size, 20_000);
  assert.equal(cidrs.size, 20_000);
});

test('a registered node looks like a kubelet\'s: labels, capacity = allocatable, taints, conditions, nodeInfo', () => {
  const cfg = { ...SIMULATED_DEFAULTS, capacity: { cpu: '4', memory: '32Gi', pods: '110', 'nvidia.com/gpu': '2' },
    labels: { 'topology.kubernetes.io/zone': 'z1' }, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] };
  const n = buildNode(simNodeIdentity('sim-node-', 3), cfg, 'v1.32.0+pilot', T0);
  assert.equal(n.metadata?.name, 'sim-node-3');
  assert.equal(n.metadata?.labels?.['kubernetes.io/hostname'], 'sim-node-3');
  assert.equal(n.metadata?.labels?.['kubernetes.io/os'], 'linux');
  assert.ok(n.metadata?.labels?.['kubernetes.io/arch']);
  assert.equal(n.metadata?.labels?.['topology.kubernetes.io/zone'], 'z1');
  assert.equal(n.metadata?.labels?.['pilot.dev/simulated'], 'true');
  assert.deepEqual(n.spec?.taints, [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }]);
  assert.deepEqual(n.status?.capacity, cfg.capacity);
  assert.deepEqual(n.status?.allocatable, cfg.capacity);
  assert.deepEqual(n.status?.addresses, [{ type: 'InternalIP', address: '10.200.0.4' }, { type: 'Hostname', address: 'sim-node-3' }]);
  assert.equal(n.status?.nodeInfo?.kubeletVersion, 'v1.32.0+pilot');
  assert.equal(n.status?.nodeInfo?.operatingSystem, 'linux');
  assert.deepEqual(n.status?.daemonEndpoints, { kubeletEndpoint: { Port: 10250 } });
  assert.deepEqual(n.status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`),
    ['MemoryPressure=False/KubeletHasSufficientMemory', 'DiskPressure=False/KubeletHasNoDiskPressure', 'PIDPressure=False/KubeletHasSufficientPID', 'Ready=True/KubeletReady']);
  // Another node of the set differs only where it must.
  const m = buildNode(simNodeIdentity('sim-node-', 4), cfg, 'v1.32.0+pilot', T0);
  assert.notEqual(m.status?.nodeInfo?.machineID, n.status?.nodeInfo?.machineID);
});

test('heartbeat conditions keep transition times unless the status changed (e.g. Unknown set by the node lifecycle controller)', () => {
  const first = healthyConditions(T0);
  const later = healthyConditions(T0 + 300_000, first);
  assert.equal(later[3].lastTransitionTime, first[3].lastTransitionTime);
  assert.equal(later[3].lastHeartbeatTime, '2026-01-01T12:05:00Z');
  const unknown = first.map((c) => (c.type === 'Ready' ? { ...c, status: 'Unknown', reason: 'NodeStatusUnknown' } : c));
  const back = healthyConditions(T0 + 600_000, unknown);
  assert.equal(back[3].status, 'True');
  assert.equal(back[3].lastTransitionTime, '2026-01-01T12:10:00Z');
  assert.equal(back[0].lastTransitionTime, first[0].lastTransitionTime);
});

test('the node lease is held by the node, owned by it, with a MicroTime renewTime', () => {
  const l = buildLease({ name: 'sim-node-0', uid: 'u1' }, 40, T0 + 123);
  assert.equal(l.metadata?.namespace, 'kube-node-lease');
  assert.deepEqual(l.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'sim-node-0', uid: 'u1' }]);
  assert.deepEqual(l.spec, { holderIdentity: 'sim-node-0', leaseDurationSeconds: 40, renewTime: '2026-01-01T12:00:00.123000Z' });
  assert.equal(microTime(T0), '2026-01-01T12:00:00.000000Z');
});
