import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitErrorMessage, Framework, numFeasibleNodesToFind } from './framework.ts';
import { buildPodInfo } from './podinfo.ts';
import { defaultProfile } from './profile.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from './testing.ts';
import { unresolvable, unschedulable } from './types.ts';

test('numFeasibleNodesToFind: all below 100 nodes, adaptive percentage above, never below 100', () => {
  const cases: [number, number][] = [[10, 10], [99, 99], [100, 100], [500, 230], [1000, 420], [5000, 500], [6000, 300], [100_000, 5000]];
  for (const [n, want] of cases) assert.equal(numFeasibleNodesToFind(n), want, `${n} nodes`);
  assert.equal(numFeasibleNodesToFind(1000, 50), 500);
  assert.equal(numFeasibleNodesToFind(1000, 100), 1000);
});

test('fit error message: reasons counted over nodes and sorted, then the PostFilter message', () => {
  const nodeToStatus = new Map([
    ['a', unschedulable('Insufficient cpu')],
    ['b', unschedulable('Insufficient cpu', 'Insufficient memory')],
    ['c', unresolvable('node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }')],
  ]);
  assert.equal(
    fitErrorMessage(3, { nodeToStatus }, 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.'),
    '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, '
      + '2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..',
  );
  assert.equal(fitErrorMessage(2, { nodeToStatus: new Map(), preFilterMsg: 'persistentvolumeclaim "x" not found' }),
    '0/2 nodes are available: persistentvolumeclaim "x" not found.');
});

test('schedule: filters then picks the best-scoring node (least allocated)', () => {
  const fw = new Framework(defaultProfile(), () => 0);
  const snap = mkSnapshot(
    mkNodeInfo(mkNode('busy', { cpu: '4' }), [mkPod('x', { cpu: '3' })]),
    mkNodeInfo(mkNode('idle', { cpu: '4' })),
    mkNodeInfo(mkNode('tainted', { cpu: '16', taints: [{ key: 'k', effect: 'NoSchedule' }] })),
  );
  const r = fw.schedule(buildPodInfo(mkPod('p', { cpu: '500m' })), snap);
  assert.ok(r.ok);
  assert.equal(r.node, 'idle');
  assert.equal(r.feasibleNodes, 2);
});

test('schedule: a failure records each node\'s first rejection and the plugins', () => {
  const fw = new Framework(defaultProfile());
  const snap = mkSnapshot(
    mkNodeInfo(mkNode('small', { cpu: '1' })),
    mkNodeInfo(mkNode('tainted', { cpu: '1', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] })),
  );
  const r = fw.schedule(buildPodInfo(mkPod('p', { cpu: '2' })), snap);
  assert.ok(!r.ok);
  assert.deepEqual([...r.diagnosis.unschedulablePlugins].sort(), ['NodeResourcesFit', 'TaintToleration']);
  assert.equal(fitErrorMessage(r.numAllNodes, r.diagnosis), '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {k: v}.');
});

test('schedule: a search over many nodes stops at numFeasibleNodesToFind and rotates its start', () => {
  const fw = new Framework(defaultProfile());
  const nodes = Array.from({ length: 1000 }, (_, i) => mkNodeInfo(mkNode(`n${i}`)));
  const snap = mkSnapshot(...nodes);
  const r1 = fw.schedule(buildPodInfo(mkPod('p1')), snap);
  assert.ok(r1.ok);
  assert.equal(r1.evaluatedNodes, 420);
  const r2 = fw.schedule(buildPodInfo(mkPod('p2')), snap);
  assert.ok(r2.ok);
  assert.ok(Number(r2.node.slice(1)) >= 420, 'second search starts where the first stopped');
});

test('schedule: pods nominated to a node with higher priority keep their room', () => {
  const fw = new Framework(defaultProfile());
  const snap = mkSnapshot(mkNodeInfo(mkNode('only', { cpu: '1' })));
  const nominated = buildPodInfo(mkPod('pre', { cpu: '800m', priority: 100 }));
  const r = fw.schedule(buildPodInfo(mkPod('p', { cpu: '500m' })), snap, (n) => (n === 'only' ? [nominated] : []));
  assert.ok(!r.ok);
  const r2 = fw.schedule(buildPodInfo(mkPod('p', { cpu: '500m', priority: 200 })), snap, (n) => (n === 'only' ? [nominated] : []));
  assert.ok(r2.ok, 'a higher-priority pod ignores lower nominated pods');
});
