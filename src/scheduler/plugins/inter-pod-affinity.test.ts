import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Affinity } from 'kubernetes-types/core/v1.js';
import { buildPodInfo } from '../podinfo.ts';
import { mkNode, mkNodeInfo, mkPod, mkSnapshot } from '../testing.ts';
import { CycleState } from '../types.ts';
import { interPodAffinity } from './inter-pod-affinity.ts';

const ZONE = 'topology.kubernetes.io/zone';
const term = (app: string, key = ZONE): object => ({ labelSelector: { matchLabels: { app } }, topologyKey: key });
const antiOf = (app: string, key = ZONE): Affinity => ({ podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(app, key) as never] } });
const affOf = (app: string, key = ZONE): Affinity => ({ podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term(app, key) as never] } });

function cluster(): ReturnType<typeof mkNodeInfo>[] {
  return [
    mkNodeInfo(mkNode('a1', { labels: { [ZONE]: 'a' } }), [mkPod('db', { labels: { app: 'db' } })]),
    mkNodeInfo(mkNode('a2', { labels: { [ZONE]: 'a' } })),
    mkNodeInfo(mkNode('b1', { labels: { [ZONE]: 'b' } }), [mkPod('guard', { labels: { app: 'guard' }, spec: { affinity: antiOf('web') } })]),
    mkNodeInfo(mkNode('c1', { labels: { [ZONE]: 'c' } }), [mkPod('other-ns-db', { ns: 'other', labels: { app: 'db' } })]),
    mkNodeInfo(mkNode('nozone')),
  ];
}

const cases: { name: string; labels?: Record<string, string>; affinity?: Affinity; want: Record<string, string> }[] = [
  { name: 'no terms', affinity: undefined, labels: { app: 'x' }, want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: 'Success' } },
  {
    name: 'affinity to db: only zone a (same namespace)', affinity: affOf('db'),
    want: { a1: 'Success', a2: 'Success', b1: 'UnschedulableAndUnresolvable', c1: 'UnschedulableAndUnresolvable', nozone: 'UnschedulableAndUnresolvable' },
  },
  {
    name: 'anti-affinity to db: not zone a', affinity: antiOf('db'),
    want: { a1: 'Unschedulable', a2: 'Unschedulable', b1: 'Success', c1: 'Success', nozone: 'Success' },
  },
  {
    name: 'anti-affinity by hostname: only the node itself', affinity: antiOf('db', 'kubernetes.io/hostname'),
    want: { a1: 'Unschedulable', a2: 'Success', b1: 'Success', c1: 'Success', nozone: 'Success' },
  },
  {
    name: "existing pod's anti-affinity keeps web out of zone b", labels: { app: 'web' },
    want: { a1: 'Success', a2: 'Success', b1: 'Unschedulable', c1: 'Success', nozone: 'Success' },
  },
  {
    name: 'self-affinity of the first pod of a group', labels: { app: 'new' }, affinity: affOf('new'),
    want: { a1: 'Success', a2: 'Success', b1: 'Success', c1: 'Success', nozone: 'UnschedulableAndUnresolvable' },
  },
];

for (const c of cases) {
  test(`InterPodAffinity filter: ${c.name}`, () => {
    const nodes = cluster();
    const pod = buildPodInfo(mkPod('p', { labels: c.labels, spec: { affinity: c.affinity } }));
    const st = new CycleState();
    const pre = interPodAffinity.preFilter!(st, pod, mkSnapshot(...nodes));
    const got: Record<string, string> = {};
    for (const n of nodes) got[n.name] = pre.code === 'Skip' ? 'Success' : interPodAffinity.filter!(st, pod, n).code;
    assert.deepEqual(got, c.want);
  });
}

test('InterPodAffinity reasons are upstream\'s', () => {
  const nodes = cluster();
  const reason = (labels: Record<string, string> | undefined, affinity: Affinity | undefined, node: number): string => {
    const pod = buildPodInfo(mkPod('p', { labels, spec: { affinity } }));
    const st = new CycleState();
    interPodAffinity.preFilter!(st, pod, mkSnapshot(...nodes));
    return interPodAffinity.filter!(st, pod, nodes[node]).reasons[0];
  };
  assert.equal(reason(undefined, affOf('db'), 2), "node(s) didn't match pod affinity rules");
  assert.equal(reason(undefined, antiOf('db'), 0), "node(s) didn't match pod anti-affinity rules");
  assert.equal(reason({ app: 'web' }, undefined, 2), "node(s) didn't satisfy existing pods anti-affinity rules");
});

test('InterPodAffinity: removing the matching pod (preemption what-if) lifts anti-affinity', () => {
  const nodes = cluster();
  const pod = buildPodInfo(mkPod('p', { spec: { affinity: antiOf('db') } }));
  const st = new CycleState();
  interPodAffinity.preFilter!(st, pod, mkSnapshot(...nodes));
  interPodAffinity.removePod!(st, pod, nodes[0].pods.get('default/db')!, nodes[0]);
  assert.equal(interPodAffinity.filter!(st, pod, nodes[1]).code, 'Success');
});

test('InterPodAffinity score: preferred affinity attracts, preferred anti-affinity repels', () => {
  const nodes = cluster().slice(0, 4);
  const pod = buildPodInfo(mkPod('p', {
    spec: {
      affinity: {
        podAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: term('db') as never }] },
        podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 20, podAffinityTerm: term('guard') as never }] },
      },
    },
  }));
  const st = new CycleState();
  assert.equal(interPodAffinity.preScore!(st, pod, nodes, mkSnapshot(...nodes)).code, 'Success');
  const scores = nodes.map((n) => interPodAffinity.score!(st, pod, n));
  assert.deepEqual(scores, [50, 50, -20, 0]);
  interPodAffinity.normalizeScore!(st, pod, scores);
  assert.deepEqual(scores, [100, 100, 0, 28]);
});
