// The disruption controller's sync without a server: listers are plain
// indexers, the API a fake that records status writes, time a FakeClock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ReplicationController } from 'kubernetes-types/core/v1.js';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { Indexer, WorkQueue, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { DisruptionController, type DisruptionApi } from './disruption.ts';
import { DELETION_TIMEOUT_MS, scaledValueRoundUp } from './status.ts';

const silent = pino({ level: 'silent' });

class Fixture {
  clock = new FakeClock();
  pdbs = new Indexer<PodDisruptionBudget>();
  pods = new Indexer<Pod>();
  rss = new Indexer<ReplicaSet>();
  deps = new Indexer<Deployment>();
  sss = new Indexer<StatefulSet>();
  rcs = new Indexer<ReplicationController>();
  queue = new WorkQueue<string>({ clock: this.clock });
  writes: PodDisruptionBudget[] = [];
  events: { reason: string; type: string; message: string; kind?: string }[] = [];
  scales = new Map<string, { uid: string; replicas: number }>();
  private rv = 10;
  podWrites: Pod[] = [];
  staleQueue = new WorkQueue<string>({ clock: this.clock });
  api: DisruptionApi = {
    updatePodStatus: async (pod) => {
      this.podWrites.push(pod);
      this.pods.set(pod);
      return pod;
    },
    updatePdbStatus: async (pdb) => {
      const next = { ...structuredClone(pdb), metadata: { ...pdb.metadata, resourceVersion: String(++this.rv) } };
      this.writes.push(next);
      this.pdbs.set(next);
      return next;
    },
    getScale: async (ref) => this.scales.get(`${ref.kind}/${ref.name}`),
  };
  c = new DisruptionController({
    pdbs: this.pdbs, pods: this.pods, replicaSets: this.rss, deployments: this.deps, statefulSets: this.sss, replicationControllers: this.rcs,
    api: this.api, clock: this.clock, logger: silent, queue: this.queue, staleQueue: this.staleQueue,
    recorder: {
      event: (obj: KubeObject, type: string, reason: string, message: string) => { this.events.push({ type, reason, message, kind: obj.kind }); },
      eventf: (obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]) => {
        this.events.push({ type, reason, kind: obj.kind, message: fmt.replace(/%[sdv]/g, () => String(args.shift())) });
      },
    } as never,
  });

  pdb(spec: PodDisruptionBudget['spec'], status?: PodDisruptionBudget['status']): PodDisruptionBudget {
    const pdb: PodDisruptionBudget = {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget',
      metadata: { name: 'pdb', namespace: 'default', uid: 'pdb-uid', generation: 1, resourceVersion: '1' },
      spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
      status: status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 },
    };
    this.pdbs.set(pdb);
    return pdb;
  }

  pod(name: string, opts: { ready?: boolean; owner?: { kind: string; name: string; uid: string; apiVersion?: string }; deleting?: boolean; labels?: Record<string, string> } = {}): Pod {
    const p: Pod = {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1', labels: opts.labels ?? { app: 'web' },
        ...(opts.deleting ? { deletionTimestamp: rfc3339(this.clock.now()) } : {}),
        ...(opts.owner ? { ownerReferences: [{ apiVersion: opts.owner.apiVersion ?? 'apps/v1', kind: opts.owner.kind, name: opts.owner.name, uid: opts.owner.uid, controller: true }] } : {}),
      },
      spec: { containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
    };
    this.pods.set(p);
    return p;
  }

  replicaSet(name: string, replicas: number, deployment?: { name: string; uid: string }): ReplicaSet {
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name, namespace: 'default', uid: `rs-${name}`, ...(deployment ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.name, uid: deployment.uid, controller: true }] } : {}) },
      spec: { replicas, selector: { matchLabels: { app: 'web' } } },
    };
    this.rss.set(rs);
    return rs;
  }

  status(): NonNullable<PodDisruptionBudget['status']> { return this.pdbs.get('default', 'pdb')!.status!; }
  reasons(): string[] { return this.events.map((e) => e.reason); }
}

test('scaledValueRoundUp: ints as is, percentages of the total rounded up', () => {
  assert.equal(scaledValueRoundUp(3, 10), 3);
  assert.equal(scaledValueRoundUp('30%', 7), 3);
  assert.equal(scaledValueRoundUp('50%', 3), 2);
  assert.equal(scaledValueRoundUp('0%', 3), 0);
  assert.throws(() => scaledValueRoundUp('abc', 3));
});

test('integer minAvailable: expected = matched pods, one disruption per healthy pod above the minimum', async () => {
  const f = new Fixture();
  f.pdb({ minAvailable: 2 });
  f.pod('a'); f.pod('b'); f.pod('c'); f.pod('d', { ready: false }); f.pod('other', { labels: { app: 'db' } });
  await f.c.sync('default/pdb');
  const st = f.status();
  assert.equal(st.expectedPods, 4);
  assert.equal(st.currentHealthy, 3);
  assert.equal(st.desiredHealthy, 2);
  assert.equal(st.disruptionsAllowed, 1);
  assert.equal(st.observedGeneration, 1);
  const cond = st.conditions?.find((c) => c.type === 'DisruptionAllowed');
  assert.deepEqual({ status: cond?.status, reason: cond?.reason, observedGeneration: cond?.observedGeneration, message: cond?.message },
    { status: 'True', reason: 'SufficientPods', observedGeneration: 1, message: '' });
  assert.equal(cond?.lastTransitionTime, rfc3339(f.clock.now()));

  // Nothing changed: nothing written.
  await f.c.sync('default/pdb');
  assert.equal(f.writes.length, 1);

  // A pod turns unready: no disruption left, the condition flips.
  f.pod('c', { ready: false });
  await f.clock.advance(5000);
  await f.c.sync('default/pdb');
  assert.equal(f.status().disruptionsAllowed, 0);
  const c2 = f.status().conditions?.find((c) => c.type === 'DisruptionAllowed');
  assert.equal(c2?.status, 'False');
  assert.equal(c2?.reason, 'InsufficientPods');
  assert.equal(c2?.lastTransitionTime, rfc3339(f.clock.now()));
});

test('no matching pods: event NoPods and no disruptions', async () => {
  const f = new Fixture();
  f.pdb({ minAvailable: 0 });
  await f.c.sync('default/pdb');
  assert.ok(f.reasons().includes('NoPods'));
  assert.equal(f.status().expectedPods, 0);
  assert.equal(f.status().disruptionsAllowed, 0);
});

test('percentage minAvailable counts the Deployment scale once, through its ReplicaSets', async () => {
  const f = new Fixture();
  f.deps.set({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', uid: 'dep-uid' }, spec: { replicas: 4, selector: {}, template: {} } });
  f.replicaSet('web-1', 3, { name: 'web', uid: 'dep-uid' });
  f.replicaSet('web-2', 1, { name: 'web', uid: 'dep-uid' });
  f.pdb({ minAvailable: '50%' });
  for (const n of ['a', 'b', 'c']) f.pod(n, { owner: { kind: 'ReplicaSet', name: 'web-1', uid: 'rs-web-1' } });
  f.pod('d', { owner: { kind: 'ReplicaSet', name: 'web-2', uid: 'rs-web-2' } });
  await f.c.sync('default/pdb');
  assert.deepEqual([f.status().expectedPods, f.status().desiredHealthy, f.status().currentHealthy, f.status().disruptionsAllowed], [4, 2, 4, 2]);
});

test('maxUnavailable: relative to the controller scale (ReplicaSet, StatefulSet, RC), rounded up', async () => {
  const f = new Fixture();
  f.replicaSet('rs', 7);
  f.pdb({ maxUnavailable: '30%' });
  for (const n of ['a', 'b', 'c', 'd', 'e']) f.pod(n, { owner: { kind: 'ReplicaSet', name: 'rs', uid: 'rs-rs' } });
  await f.c.sync('default/pdb');
  // 30% of 7 rounds up to 3: 4 must stay healthy, 5 are.
  assert.deepEqual([f.status().expectedPods, f.status().desiredHealthy, f.status().currentHealthy, f.status().disruptionsAllowed], [7, 4, 5, 1]);

  const g = new Fixture();
  g.sss.set({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default', uid: 'ss-uid' }, spec: { replicas: 3, selector: {}, template: {}, serviceName: 'db' } });
  g.rcs.set({ apiVersion: 'v1', kind: 'ReplicationController', metadata: { name: 'old', namespace: 'default', uid: 'rc-uid' }, spec: { replicas: 2 } });
  g.pdb({ maxUnavailable: 1 });
  g.pod('db-0', { owner: { kind: 'StatefulSet', name: 'db', uid: 'ss-uid' } });
  g.pod('db-1', { owner: { kind: 'StatefulSet', name: 'db', uid: 'ss-uid' } });
  g.pod('old-x', { owner: { kind: 'ReplicationController', name: 'old', uid: 'rc-uid', apiVersion: 'v1' } });
  await g.c.sync('default/pdb');
  assert.deepEqual([g.status().expectedPods, g.status().desiredHealthy, g.status().currentHealthy, g.status().disruptionsAllowed], [5, 4, 3, 0]);
});

test('other controllers are scaled through their scale subresource', async () => {
  const f = new Fixture();
  f.scales.set('Widget/w', { uid: 'w-uid', replicas: 4 });
  f.pdb({ maxUnavailable: 1 });
  for (const n of ['a', 'b', 'c', 'd']) f.pod(n, { owner: { kind: 'Widget', name: 'w', uid: 'w-uid', apiVersion: 'example.com/v1' } });
  await f.c.sync('default/pdb');
  assert.deepEqual([f.status().expectedPods, f.status().desiredHealthy, f.status().disruptionsAllowed], [4, 3, 1]);
});

test('unmanaged pods with maxUnavailable: event UnmanagedPods, they do not count in the expected scale', async () => {
  const f = new Fixture();
  f.pdb({ maxUnavailable: 1 });
  f.pod('naked');
  await f.c.sync('default/pdb');
  assert.ok(f.reasons().includes('UnmanagedPods'));
  assert.match(f.events.find((e) => e.reason === 'UnmanagedPods')!.message, /selector: app=web\) were found to be unmanaged/);
  assert.equal(f.status().expectedPods, 0);
  assert.equal(f.status().disruptionsAllowed, 0);
});

test('a controller that cannot be found fails safe: no disruptions, condition SyncFailed', async () => {
  const f = new Fixture();
  f.pdb({ maxUnavailable: 1 }, { currentHealthy: 3, desiredHealthy: 2, disruptionsAllowed: 1, expectedPods: 3, observedGeneration: 1 });
  f.pod('a', { owner: { kind: 'ReplicaSet', name: 'gone', uid: 'rs-gone' } });
  await f.c.sync('default/pdb');
  assert.ok(f.reasons().includes('CalculateExpectedPodCountFailed'));
  const st = f.status();
  assert.equal(st.disruptionsAllowed, 0);
  const cond = st.conditions?.find((c) => c.type === 'DisruptionAllowed');
  assert.equal(cond?.reason, 'SyncFailed');
  assert.equal(cond?.status, 'False');
  assert.equal(cond?.message, 'found no controllers for pod "a"');
});

test('disruptedPods: recently evicted pods are not healthy until the timeout, then reported NotDeleted', async () => {
  const f = new Fixture();
  const now = f.clock.now();
  f.pdb({ minAvailable: 1 }, {
    currentHealthy: 3, desiredHealthy: 1, disruptionsAllowed: 1, expectedPods: 3, observedGeneration: 1,
    disruptedPods: { a: rfc3339(now - 60_000), gone: rfc3339(now - 10_000), c: rfc3339(now - 10_000) },
  });
  f.pod('a'); f.pod('b'); f.pod('c', { deleting: true });
  await f.c.sync('default/pdb');
  let st = f.status();
  // a: evicted, not yet deleted, within the timeout: not healthy. c: being deleted: not healthy, entry dropped.
  assert.deepEqual(st.disruptedPods, { a: rfc3339(now - 60_000) });
  assert.equal(st.currentHealthy, 1);
  assert.equal(st.disruptionsAllowed, 0);
  // A recheck is queued for when a's entry times out.
  assert.equal(f.queue.len(), 0);
  await f.clock.advance(DELETION_TIMEOUT_MS - 60_000 + 1);
  assert.equal(f.queue.len(), 1);
  await f.c.sync('default/pdb');
  st = f.status();
  assert.equal(st.disruptedPods, undefined);
  assert.equal(st.currentHealthy, 2);
  assert.equal(st.disruptionsAllowed, 1);
  assert.ok(f.events.some((e) => e.reason === 'NotDeleted' && e.kind === 'Pod'));
});

test('event routing: pods queue the budgets that select them; {} selects all, no selector none', async () => {
  const f = new Fixture();
  f.pdb({ minAvailable: 1 });
  f.pdbs.set({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'all', namespace: 'default' }, spec: { selector: {} } });
  f.pdbs.set({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'none', namespace: 'default' }, spec: {} });
  f.pdbs.set({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'elsewhere', namespace: 'other' }, spec: { selector: {} } });
  const p = f.pod('a');
  assert.deepEqual(f.c.budgetsFor(p).map((b) => b.metadata?.name).sort(), ['all', 'pdb']);
  f.c.podHandler().add!(p);
  const keys: string[] = [];
  while (f.queue.len() > 0) { const k = (await f.queue.get())!; keys.push(k); f.queue.done(k); }
  assert.deepEqual(keys.sort(), ['default/all', 'default/pdb']);
});

test('a DisruptionTarget condition on a pod that was not deleted is reset to False after 2 minutes', async () => {
  const f = new Fixture();
  const p = f.pod('a');
  const marked: Pod = {
    ...p, status: { ...p.status, conditions: [...(p.status?.conditions ?? []), {
      type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastTransitionTime: rfc3339(f.clock.now()),
    }] },
  };
  f.pods.set(marked);
  f.c.podHandler().add!(marked);
  assert.equal(f.staleQueue.len(), 0);
  await f.clock.advance(60_000);
  assert.equal(f.staleQueue.len(), 0);
  await f.clock.advance(60_000);
  assert.equal(f.staleQueue.len(), 1);
  const key = (await f.staleQueue.get())!;
  await f.c.syncStaleDisruption(key);
  f.staleQueue.done(key);
  const cond = f.pods.get('default', 'a')!.status!.conditions!.find((c) => c.type === 'DisruptionTarget');
  assert.equal(cond?.status, 'False');
  assert.equal(f.podWrites.length, 1);
  // A pod being deleted, or marked by its kubelet, is left alone.
  assert.equal(f.c.staleDisruptionIn({ ...marked, metadata: { ...marked.metadata, deletionTimestamp: rfc3339(0) } }), undefined);
  assert.equal(f.c.staleDisruptionIn({ ...marked, status: { conditions: [{ type: 'DisruptionTarget', status: 'True', reason: 'TerminationByKubelet' }] } }), undefined);
});
