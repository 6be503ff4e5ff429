// The node lifecycle and taint eviction controllers without a server: caches
// are plain indexers the fake API writes into (as the informers would), time
// is a FakeClock driven past the grace period and toleration seconds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, WorkQueue, objectKey, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { NodeLifecycleController, type NodeLifecycleApi } from './lifecycle.ts';
import { TaintEvictionController } from './taint-eviction.ts';
import { matchingTolerations, minTolerationMs, swapTaints, toleratesTaint } from './taints.ts';
import { NODE_NAME_INDEX } from './pods.ts';

const silent = pino({ level: 'silent' });

interface Ev { reason: string; type: string; message: string; name?: string }

class Fixture {
  clock = new FakeClock();
  nodes = new Indexer<Node>();
  pods = new Indexer<Pod>();
  leases = new Indexer<Lease>();
  events: Ev[] = [];
  deleted: string[] = [];
  statusWrites = 0;
  private rv = 100;
  recorder = {
    event: (obj: KubeObject, type: string, reason: string, message: string) => { this.events.push({ type, reason, message, name: obj.metadata?.name }); },
    eventf: (obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]) => {
      this.events.push({ type, reason, name: obj.metadata?.name, message: fmt.replace(/%[sdv]/g, () => String(args.shift())) });
    },
  } as never;
  api: NodeLifecycleApi = {
    getNode: async (name) => {
      const n = this.nodes.get('', name);
      if (!n) throw ApiError.notFound('nodes', name);
      return n;
    },
    updateNodeStatus: async (node) => {
      const cur = this.nodes.get('', node.metadata!.name!);
      if (cur?.metadata?.resourceVersion !== node.metadata?.resourceVersion) throw ApiError.conflict('nodes', node.metadata!.name!, 'stale');
      this.statusWrites++;
      return this.putNode({ ...structuredClone(cur!), status: structuredClone(node.status) });
    },
    setNodeTaints: async (name, rv, taints) => {
      const cur = this.nodes.get('', name);
      if (!cur) throw ApiError.notFound('nodes', name);
      if (cur.metadata?.resourceVersion !== rv) throw ApiError.conflict('nodes', name, 'stale');
      const next = structuredClone(cur);
      return this.putNode({ ...next, spec: { ...next.spec, taints } });
    },
    setNodeLabels: async (name, rv, labels) => {
      const cur = this.nodes.get('', name);
      if (!cur) throw ApiError.notFound('nodes', name);
      if (cur.metadata?.resourceVersion !== rv) throw ApiError.conflict('nodes', name, 'stale');
      const next = structuredClone(cur);
      return this.putNode({ ...next, metadata: { ...next.metadata, labels: { ...next.metadata?.labels, ...labels } } });
    },
    updatePodStatus: async (pod) => {
      const next = { ...structuredClone(pod), metadata: { ...pod.metadata, resourceVersion: String(++this.rv) } };
      this.pods.set(next);
      return next;
    },
  };
  queue = new WorkQueue<string>({ clock: this.clock });
  lc: NodeLifecycleController;
  te: TaintEvictionController;

  constructor(opts: { evictionRate?: number } = {}) {
    this.pods.addIndex(NODE_NAME_INDEX, (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []));
    this.lc = new NodeLifecycleController({
      nodes: this.nodes, pods: this.pods, leases: this.leases, api: this.api, recorder: this.recorder, clock: this.clock, logger: silent,
      queue: this.queue, options: { monitorPeriodMs: 5000, gracePeriodMs: 40_000, startupGracePeriodMs: 60_000, evictionRate: opts.evictionRate ?? 0.1 },
    });
    this.te = new TaintEvictionController({
      nodes: this.nodes, pods: this.pods, recorder: this.recorder, clock: this.clock, logger: silent,
      api: {
        markPodForDeletion: async () => undefined,
        deletePod: async (ns, name) => {
          const p = this.pods.get(ns, name);
          if (!p) throw ApiError.notFound('pods', name);
          this.deleted.push(`${ns}/${name}`);
          this.pods.delete(objectKey(p));
          this.te.podHandler().delete!(p);
        },
      },
    });
  }

  /** Stores a node as the informer would, telling the taint eviction controller. */
  putNode(node: Node): Node {
    const next = { ...node, metadata: { ...node.metadata, resourceVersion: String(++this.rv) } };
    const old = this.nodes.set(next);
    if (old) this.te.nodeHandler().update!(old, next); else this.te.nodeHandler().add!(next);
    return next;
  }

  node(name: string, ready: 'True' | 'False' | 'Unknown' = 'True', extra: Partial<Node['spec']> = {}): Node {
    const now = rfc3339(this.clock.now());
    return this.putNode({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, uid: `uid-${name}`, creationTimestamp: now },
      spec: { ...extra },
      status: { conditions: [{ type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }] },
    });
  }

  /** The kubelet posting status: a new heartbeat, maybe a new Ready status. */
  heartbeat(name: string, ready: 'True' | 'False' = 'True'): void {
    const cur = this.nodes.get('', name)!;
    const now = rfc3339(this.clock.now());
    const old = cur.status?.conditions?.find((c) => c.type === 'Ready');
    const conditions = (cur.status?.conditions ?? []).filter((c) => c.type === 'Ready');
    conditions.splice(0, conditions.length, {
      type: 'Ready', status: ready, reason: 'KubeletReady', lastHeartbeatTime: now,
      lastTransitionTime: old?.status === ready ? old.lastTransitionTime : now,
    });
    this.putNode({ ...structuredClone(cur), status: { conditions } });
  }

  renewLease(name: string): void {
    this.leases.set({
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name, namespace: 'kube-node-lease' },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(this.clock.now()).toISOString().replace('Z', '000Z') },
    });
  }

  pod(name: string, node: string, tolerations: Toleration[] = []): Pod {
    const p: Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: { name, namespace: 'default', uid: `uid-${name}`, resourceVersion: String(++this.rv) },
      spec: { nodeName: node, containers: [{ name: 'c', image: 'x' }], tolerations },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
    };
    this.pods.set(p);
    this.te.podHandler().add!(p);
    return p;
  }

  taints(name: string): string[] {
    return (this.nodes.get('', name)?.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
  }

  ready(name: string): { status?: string; reason?: string; message?: string } | undefined {
    const c = this.nodes.get('', name)?.status?.conditions?.find((x) => x.type === 'Ready');
    return c && { status: c.status, reason: c.reason, message: c.message };
  }

  private beating = new Set<string>();

  /** Keeps renewing the node's Lease before every pass. */
  beatEvery(name: string): void { this.beating.add(name); }
  stopBeating(name: string): void { this.beating.delete(name); }

  /** One monitor pass plus the NoSchedule pass the resulting node events would trigger. */
  async pass(...names: string[]): Promise<void> {
    for (const n of this.beating) this.renewLease(n);
    await this.lc.monitorNodeHealth();
    await this.clock.advance(0);
    for (const n of names) await this.lc.syncNoScheduleTaints(n);
  }
}

test('toleration matching and toleration times', () => {
  const unreachable: Taint = { key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' };
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }, unreachable), true);
  assert.equal(toleratesTaint({ operator: 'Exists' }, unreachable), true);
  assert.equal(toleratesTaint({ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoSchedule' }, unreachable), false);
  assert.equal(toleratesTaint({ key: 'k', value: 'v' }, { key: 'k', value: 'v', effect: 'NoExecute' }), true);
  assert.equal(toleratesTaint({ key: 'k', value: 'w' }, { key: 'k', value: 'v', effect: 'NoExecute' }), false);
  const m = matchingTolerations([unreachable], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 }, { operator: 'Exists', tolerationSeconds: 5 }]);
  assert.equal(m.allTolerated, true);
  assert.equal(minTolerationMs(m.used), 300_000);
  assert.equal(minTolerationMs([{ operator: 'Exists' }]), -1);
  assert.equal(minTolerationMs([{ operator: 'Exists', tolerationSeconds: -5 }]), 0);
  assert.equal(matchingTolerations([unreachable, { key: 'x', effect: 'NoExecute' }], [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists' }]).allTolerated, false);
  // Swapping keeps an identical taint's timeAdded and reports no change.
  const kept = [{ key: 'a', effect: 'NoSchedule', timeAdded: 'T0' }] as Taint[];
  assert.equal(swapTaints(kept, [{ key: 'a', effect: 'NoSchedule' }], [], 'T1'), undefined);
  assert.deepEqual(swapTaints(kept, [{ key: 'b', effect: 'NoExecute' }], [{ key: 'a', effect: 'NoSchedule' }], 'T1'), [{ key: 'b', effect: 'NoExecute', timeAdded: 'T1' }]);
});

test('silent node: Unknown after the grace period, pods not Ready, taints, eviction after tolerationSeconds; recovery', async () => {
  const f = new Fixture();
  f.node('n1');
  f.renewLease('n1');
  // A healthy neighbour: with every node down the controller would suspect itself and evict nothing.
  f.node('n2');
  f.beatEvery('n2');
  f.pod('plain', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  f.pod('short', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 20 }]);
  f.pod('forever', 'n1', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' }]);
  f.pod('intolerant', 'n1', [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }]);
  await f.pass('n1');
  assert.deepEqual(f.taints('n1'), []);
  assert.ok(f.events.some((e) => e.reason === 'RegisteredNode' && e.message === 'Registered Node n1 in Controller'));

  // Lease renewals alone keep it healthy, although status heartbeats stopped.
  for (let i = 0; i < 6; i++) {
    await f.clock.advance(10_000);
    f.renewLease('n1');
    await f.pass('n1');
  }
  assert.equal(f.ready('n1')?.status, 'True');

  // Silence: still fine at 40 s, Unknown once past it.
  await f.clock.advance(40_000);
  await f.pass('n1');
  assert.equal(f.ready('n1')?.status, 'True');
  await f.clock.advance(1000);
  await f.pass('n1');
  assert.deepEqual(f.ready('n1'), { status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' });
  const mem = f.nodes.get('', 'n1')!.status!.conditions!.find((c) => c.type === 'MemoryPressure');
  assert.deepEqual([mem?.status, mem?.reason, mem?.message], ['Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.']);
  assert.ok(f.events.some((e) => e.reason === 'NodeNotReady' && e.message === 'Node n1 status is now: NodeNotReady'));
  for (const name of ['plain', 'short', 'forever']) {
    assert.equal(f.pods.get('default', name)?.status?.conditions?.find((c) => c.type === 'Ready')?.status, 'False', `${name} marked not Ready`);
  }
  assert.ok(f.events.some((e) => e.reason === 'NodeNotReady' && e.message === 'Node is not ready' && e.name === 'plain'));
  // The NoSchedule taint follows the condition at once.
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/unreachable:NoSchedule']);

  // Next pass: the NoExecute taint; the intolerant pod goes at once.
  await f.clock.advance(5000);
  await f.pass('n1');
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  await f.clock.advance(0);
  assert.deepEqual(f.deleted, ['default/intolerant']);
  assert.ok(f.events.some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Marking for deletion Pod default/intolerant'));

  // tolerationSeconds: 20 s later the short one goes; the 300 s one not yet.
  await f.clock.advance(19_000);
  assert.deepEqual(f.deleted, ['default/intolerant']);
  await f.clock.advance(1000);
  assert.deepEqual(f.deleted, ['default/intolerant', 'default/short']);
  assert.equal(f.te.pending().has('default/plain'), true);
  assert.equal(f.te.pending().has('default/forever'), false);

  // The kubelet comes back before 300 s: taints removed, the pending eviction cancelled.
  await f.clock.advance(60_000);
  f.heartbeat('n1');
  await f.pass('n1');
  await f.clock.advance(0);
  assert.deepEqual(f.taints('n1'), []);
  assert.equal(f.te.pending().size, 0);
  assert.ok(f.events.some((e) => e.reason === 'TaintManagerEviction' && e.message === 'Cancelling deletion of Pod default/plain'));
  await f.clock.advance(400_000);
  assert.deepEqual(f.deleted, ['default/intolerant', 'default/short']);
});

test('Ready False: not-ready taints, swapped for unreachable when the node then goes silent', async () => {
  const f = new Fixture();
  f.node('n1');
  f.node('n2');
  f.beatEvery('n2');
  await f.pass('n1');
  await f.clock.advance(1000);
  f.heartbeat('n1', 'False');
  await f.pass('n1');
  await f.clock.advance(0);
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/not-ready:NoSchedule']);
  await f.clock.advance(41_000);
  await f.pass('n1');
  await f.clock.advance(0);
  await f.lc.syncNoScheduleTaints('n1');
  assert.equal(f.ready('n1')?.status, 'Unknown');
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
  // The pass that observes Unknown swaps the NoExecute taint at once (no rate limit for a swap).
  await f.clock.advance(5000);
  await f.pass('n1');
  await f.clock.advance(0);
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/unreachable:NoSchedule']);
});

test('cordon: spec.unschedulable gives the unschedulable NoSchedule taint, uncordon takes it away', async () => {
  const f = new Fixture();
  const n = f.node('n1');
  f.putNode({ ...n, spec: { ...n.spec, unschedulable: true } });
  await f.lc.syncNoScheduleTaints('n1');
  assert.deepEqual(f.taints('n1'), ['node.kubernetes.io/unschedulable:NoSchedule']);
  const t = f.nodes.get('', 'n1')!.spec!.taints![0];
  assert.equal(t.timeAdded, rfc3339(f.clock.now()));
  const cur = f.nodes.get('', 'n1')!;
  f.putNode({ ...cur, spec: { ...cur.spec, unschedulable: false } });
  await f.lc.syncNoScheduleTaints('n1');
  assert.deepEqual(f.taints('n1'), []);
  // Taints of others stay untouched.
  const c2 = f.nodes.get('', 'n1')!;
  f.putNode({ ...c2, spec: { ...c2.spec, taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] } });
  await f.lc.syncNoScheduleTaints('n1');
  assert.deepEqual(f.taints('n1'), ['dedicated:NoSchedule']);
});

test('a node that never posted status gets the startup grace period (60 s)', async () => {
  const f = new Fixture();
  f.putNode({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'new', creationTimestamp: rfc3339(f.clock.now()) }, spec: {} });
  await f.clock.advance(50_000);
  await f.pass('new');
  assert.equal(f.ready('new'), undefined);
  await f.clock.advance(11_000);
  await f.pass('new');
  const ready = f.nodes.get('', 'new')!.status!.conditions!.find((c) => c.type === 'Ready');
  assert.deepEqual([ready?.status, ready?.reason, ready?.message], ['Unknown', 'NodeStatusNeverUpdated', 'Kubelet never posted node status.']);
});

test('NoExecute tainting is rate limited: --node-eviction-rate 0.1 taints one node per 10 s', async () => {
  const f = new Fixture({ evictionRate: 0.1 });
  f.node('a');
  f.node('b');
  f.node('c');
  f.beatEvery('c');
  await f.pass();
  await f.clock.advance(1000);
  f.heartbeat('a', 'False');
  f.heartbeat('b', 'False');
  await f.pass();
  await f.clock.advance(0);
  const tainted = (): string[] => ['a', 'b'].filter((n) => f.taints(n).includes('node.kubernetes.io/not-ready:NoExecute'));
  assert.equal(tainted().length, 1);
  await f.clock.advance(9000);
  assert.equal(tainted().length, 1);
  await f.clock.advance(1000);
  assert.deepEqual(tainted(), ['a', 'b']);
});

test('taint eviction: a NoExecute taint added by hand evicts pods that do not tolerate it, at once', async () => {
  const f = new Fixture();
  const n = f.node('n1');
  f.pod('web', 'n1');
  f.pod('tolerant', 'n1', [{ key: 'maintenance', operator: 'Equal', value: 'yes', effect: 'NoExecute' }]);
  f.pod('elsewhere', 'n2');
  f.putNode({ ...n, spec: { taints: [{ key: 'maintenance', value: 'yes', effect: 'NoExecute' }] } });
  await f.clock.advance(0);
  assert.deepEqual(f.deleted, ['default/web']);
});

test('every node down: master disruption mode — no NoExecute taints (removed if present) until some node is back', async () => {
  const f = new Fixture();
  f.node('a');
  f.node('b');
  f.pod('web', 'a', [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }]);
  await f.pass('a', 'b');
  // a goes silent first, b is fine: a is tainted as usual.
  f.beatEvery('b');
  await f.clock.advance(41_000);
  await f.pass('a', 'b');
  await f.clock.advance(5000);
  await f.pass('a', 'b');
  await f.clock.advance(0);
  assert.ok(f.taints('a').includes('node.kubernetes.io/unreachable:NoExecute'));
  assert.equal(f.lc.zoneState(), 'Normal');

  // Now b falls silent too: everything is down, so the controller is the one cut off.
  f.stopBeating('b');
  await f.clock.advance(41_000);
  await f.pass('a', 'b');
  await f.clock.advance(0);
  assert.equal(f.ready('b')?.status, 'Unknown');
  assert.equal(f.lc.zoneState(), 'FullDisruption');
  assert.ok(!f.taints('a').includes('node.kubernetes.io/unreachable:NoExecute'), 'NoExecute taint taken off');
  for (let i = 0; i < 5; i++) {
    await f.clock.advance(5000);
    await f.pass('a', 'b');
  }
  assert.deepEqual(f.taints('b'), ['node.kubernetes.io/unreachable:NoSchedule']);
  assert.deepEqual(f.taints('a'), ['node.kubernetes.io/unreachable:NoSchedule']);
  // The eviction the taint had scheduled is cancelled with it.
  assert.equal(f.te.pending().size, 0);
  await f.clock.advance(300_000);
  assert.deepEqual(f.deleted, []);

  // b is back: normal mode again, and a (still Unknown) is tainted for eviction again.
  f.heartbeat('b');
  f.beatEvery('b');
  await f.pass('a', 'b');
  assert.equal(f.lc.zoneState(), 'Normal');
  await f.clock.advance(5000);
  await f.pass('a', 'b');
  await f.clock.advance(0);
  assert.ok(f.taints('a').includes('node.kubernetes.io/unreachable:NoExecute'));
});

test('a zone mostly down (partial disruption, small cluster) is not tainted for eviction', async () => {
  const f = new Fixture();
  for (const n of ['a', 'b', 'c', 'd']) f.node(n);
  f.beatEvery('d');
  await f.pass();
  await f.clock.advance(1000);
  for (const n of ['a', 'b', 'c']) f.heartbeat(n, 'False');
  await f.pass();
  await f.clock.advance(20_000);
  await f.pass();
  assert.equal(f.lc.zoneState(), 'PartialDisruption');
  for (const n of ['a', 'b', 'c']) assert.ok(!f.taints(n).some((t) => t.endsWith(':NoExecute')), n);
  // One recovers: 2 of 4 down is Normal again, and tainting resumes.
  f.heartbeat('a');
  await f.pass();
  await f.clock.advance(0);
  assert.equal(f.lc.zoneState(), 'Normal');
  await f.clock.advance(20_000);
  await f.pass();
  assert.equal(['b', 'c'].filter((n) => f.taints(n).includes('node.kubernetes.io/not-ready:NoExecute')).length, 2);
});

test('node processing mirrors kubernetes.io/os and /arch into the beta labels', async () => {
  const f = new Fixture();
  const n = f.node('n1');
  f.putNode({ ...n, metadata: { ...n.metadata, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/arch': 'arm64' } } });
  await f.lc.syncNode('n1');
  assert.deepEqual(f.nodes.get('', 'n1')?.metadata?.labels, {
    'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'beta.kubernetes.io/arch': 'amd64',
  });
  const rv = f.nodes.get('', 'n1')?.metadata?.resourceVersion;
  await f.lc.syncNode('n1');
  assert.equal(f.nodes.get('', 'n1')?.metadata?.resourceVersion, rv, 'nothing to write the second time');
});
