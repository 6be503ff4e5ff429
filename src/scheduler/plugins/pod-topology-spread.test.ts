import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from '../testing.ts';
import { CycleState } from '../types.ts';
import { podTopologySpread } from './pod-topology-spread.ts';

const ZONE = 'topology.kubernetes.io/zone';
const web = (n: string): ReturnType<typeof mkPod> => mkPod(n, { labels: { app: 'web' } });
const hard = (o: Partial<TopologySpreadConstraint> = {}): TopologySpreadConstraint => ({
  maxSkew: 1, topologyKey: ZONE, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: { app: 'web' } }, ...o,
});

function cluster(): ReturnType<typeof mkNodeInfo>[] {
  return [
    mkNodeInfo(mkNode('a1', { labels: { [ZONE]: 'a' } }), [web('w1'), web('w2')]),
    mkNodeInfo(mkNode('b1', { labels: { [ZONE]: 'b' } }), [web('w3')]),
    mkNodeInfo(mkNode('c1', { labels: { [ZONE]: 'c', pool: 'x' } })),
    mkNodeInfo(mkNode('nolabel')),
  ];
}

const cases: { name: string; constraint: TopologySpreadConstraint; spec?: object; want: Record<string, string> }[] = [
  {
    name: 'maxSkew 1: only the emptiest zone',
    constraint: hard(),
    want: { a1: 'Unschedulable', b1: 'Unschedulable', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'maxSkew 2 admits zone b',
    constraint: hard({ maxSkew: 2 }),
    want: { a1: 'Unschedulable', b1: 'Success', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'nodeAffinityPolicy Ignore still counts zones the pod cannot use',
    constraint: hard({ nodeAffinityPolicy: 'Ignore' }),
    spec: { nodeSelector: { [ZONE]: 'a' } },
    want: { a1: 'Unschedulable', b1: 'Unschedulable', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'nodeAffinityPolicy Honor: only zones the pod may use count (zone a alone: skew 0)',
    constraint: hard(),
    spec: { nodeSelector: { [ZONE]: 'a' } },
    want: { a1: 'Success', b1: 'Success', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'minDomains above the domain count makes the global minimum 0',
    constraint: hard({ maxSkew: 2, minDomains: 5 }),
    want: { a1: 'Unschedulable', b1: 'Success', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'selector matching nothing spreads nothing',
    constraint: hard({ labelSelector: { matchLabels: { app: 'other' } } }),
    want: { a1: 'Success', b1: 'Success', c1: 'Success', nolabel: 'UnschedulableAndUnresolvable' },
  },
];

for (const c of cases) {
  test(`PodTopologySpread filter: ${c.name}`, () => {
    const nodes = cluster();
    const pod = buildPodInfo(mkPod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [c.constraint], ...(c.spec ?? {}) } }));
    const st = new CycleState();
    assert.equal(podTopologySpread.preFilter!(st, pod, mkSnapshot(...nodes)).code, 'Success');
    const got: Record<string, string> = {};
    for (const n of nodes) got[n.name] = podTopologySpread.filter!(st, pod, n).code;
    assert.deepEqual(got, c.want);
  });
}

test('PodTopologySpread: nodeSelector restricts the domains (zone c only: skew counts against c)', () => {
  const nodes = cluster();
  const pod = buildPodInfo(mkPod('p', { labels: { app: 'web' }, spec: { nodeSelector: { pool: 'x' }, topologySpreadConstraints: [hard()] } }));
  const st = new CycleState();
  podTopologySpread.preFilter!(st, pod, mkSnapshot(...nodes));
  assert.equal(podTopologySpread.filter!(st, pod, nodes[2]).code, 'Success');
});

test('PodTopologySpread: no hard constraints skips the filter; removePod updates counts', () => {
  const nodes = cluster();
  const st = new CycleState();
  assert.equal(podTopologySpread.preFilter!(st, buildPodInfo(mkPod('p')), mkSnapshot(...nodes)).code, 'Skip');
  const pod = buildPodInfo(mkPod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [hard({ maxSkew: 2 })] } }));
  const st2 = new CycleState();
  podTopologySpread.preFilter!(st2, pod, mkSnapshot(...nodes));
  assert.equal(podTopologySpread.filter!(st2, pod, nodes[0]).code, 'Unschedulable');
  podTopologySpread.removePod!(st2, pod, nodes[0].pods.get('default/w1')!, nodes[0]);
  assert.equal(podTopologySpread.filter!(st2, pod, nodes[0]).code, 'Success');
});

test('PodTopologySpread score: ScheduleAnyway prefers the zone with fewer matching pods', () => {
  const nodes = cluster().slice(0, 3);
  const pod = buildPodInfo(mkPod('p', { labels: { app: 'web' }, spec: { topologySpreadConstraints: [hard({ whenUnsatisfiable: 'ScheduleAnyway' })] } }));
  const st = new CycleState();
  assert.equal(podTopologySpread.preScore!(st, pod, nodes, mkSnapshot(...nodes)).code, 'Success');
  const scores = nodes.map((n) => podTopologySpread.score!(st, pod, n));
  podTopologySpread.normalizeScore!(st, pod, scores);
  assert.ok(scores[2] > scores[1] && scores[1] > scores[0], `scores ${scores.join(',')}`);
  assert.equal(scores[2], 100);
});
