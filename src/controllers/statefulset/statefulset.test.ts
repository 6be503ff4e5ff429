// The StatefulSet controller's sync without a server: listers are plain
// indexers that the fake API writes into (as an informer would show the
// writes), time is a FakeClock, and a helper plays kubelet by marking pods
// Running/Ready.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, objectKey, WorkQueue, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import type { StatefulSetApi } from './api.ts';
import { POD_INDEX_LABEL, POD_NAME_LABEL, REVISION_LABEL } from './identity.ts';
import { applyRevision, hashRevision, newRevision, REVISION_HASH_LABEL } from './revision.ts';
import { StatefulSetController } from './statefulset.ts';

const silent = pino({ level: 'silent' });
const KEY = 'default/web';

interface Call { op: string; name?: string; body?: unknown }

class FakeRecorder {
  events: { reason: string; type: string; message: string }[] = [];
  event(_obj: KubeObject, type: string, reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
  eventf(obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  messages(): string[] { return this.events.map((e) => `${e.reason}: ${e.message}`); }
}

type Patch = { metadata?: { ownerReferences?: (OwnerReference & { $patch?: string })[] } };

/** Applies the adopt/release patches the controller sends (strategic merge on ownerReferences by uid). */
function applyOwnerPatch<T extends KubeObject>(obj: T, patch: Patch): T {
  const next = structuredClone(obj);
  let refs = [...(next.metadata?.ownerReferences ?? [])];
  for (const r of patch.metadata?.ownerReferences ?? []) {
    refs = refs.filter((x) => x.uid !== r.uid);
    if (r.$patch !== 'delete') refs.push(r);
  }
  next.metadata = { ...next.metadata, ownerReferences: refs.length ? refs : undefined };
  return next;
}

class Fixture {
  clock = new FakeClock();
  sets = new Indexer<StatefulSet>();
  pods = new Indexer<Pod>();
  claims = new Indexer<PersistentVolumeClaim>();
  revisions = new Indexer<ControllerRevision>();
  calls: Call[] = [];
  recorder = new FakeRecorder();
  queue = new WorkQueue<string>({ clock: this.clock });
  /** Pod creations that fail with 403 (e.g. quota). */
  failCreates = 0;
  /** Deleting a pod only marks it (as for a pod on a node) until finishDeletes(). */
  graceful = false;
  private seq = 100;
  api: StatefulSetApi;
  c: StatefulSetController;

  constructor(opts: { maxUnavailable?: boolean } = {}) {
    const meta = (o: KubeObject, ns: string): void => {
      const n = ++this.seq;
      o.metadata = { ...o.metadata, namespace: ns, uid: o.metadata?.uid ?? `uid-${n}`, resourceVersion: String(n), creationTimestamp: rfc3339(this.clock.now() + n) };
    };
    const notFound = (kind: string, name: string): ApiError => ApiError.notFound(kind, name);
    this.api = {
      getStatefulSet: async (ns, name) => {
        const s = this.sets.get(ns, name);
        if (!s) throw notFound('statefulsets.apps', name);
        return structuredClone(s);
      },
      updateStatefulSetStatus: async (set) => {
        this.calls.push({ op: 'updateStatus', body: set.status });
        const next = { ...structuredClone(set), metadata: { ...set.metadata, resourceVersion: String(++this.seq) } };
        this.sets.set(next);
        return next;
      },
      createPod: async (ns, pod) => {
        this.calls.push({ op: 'createPod', name: pod.metadata?.name, body: pod });
        if (this.pods.get(ns, pod.metadata!.name!)) throw ApiError.alreadyExists('pods', pod.metadata!.name!);
        if (this.failCreates > 0 && this.failCreates--) throw ApiError.forbidden(`pods "${pod.metadata?.name}" is forbidden: exceeded quota: q`);
        const created: Pod = { ...structuredClone(pod), status: { phase: 'Pending' } };
        meta(created, ns);
        this.pods.set(created);
        return created;
      },
      getPod: async (ns, name) => {
        const p = this.pods.get(ns, name);
        if (!p) throw notFound('pods', name);
        return structuredClone(p);
      },
      updatePod: async (pod) => {
        this.calls.push({ op: 'updatePod', name: pod.metadata?.name, body: pod });
        const cur = this.pods.get(pod.metadata!.namespace, pod.metadata!.name!);
        if (!cur) throw notFound('pods', pod.metadata!.name!);
        if (cur.metadata?.resourceVersion !== pod.metadata?.resourceVersion) throw ApiError.conflict('pods', pod.metadata!.name!, 'the object has been modified');
        this.pods.set({ ...structuredClone(pod), metadata: { ...pod.metadata, resourceVersion: String(++this.seq) } });
        return pod;
      },
      deletePod: async (ns, name) => {
        this.calls.push({ op: 'deletePod', name });
        const p = this.pods.get(ns, name);
        if (!p) throw notFound('pods', name);
        if (this.graceful) this.pods.set({ ...structuredClone(p), metadata: { ...p.metadata, deletionTimestamp: rfc3339(this.clock.now()) } });
        else this.pods.delete(objectKey(p));
      },
      patchPod: async (ns, name, patch) => {
        this.calls.push({ op: 'patchPod', name, body: patch });
        const p = this.pods.get(ns, name);
        if (!p) throw notFound('pods', name);
        this.pods.set({ ...applyOwnerPatch(p, patch as Patch), metadata: { ...applyOwnerPatch(p, patch as Patch).metadata, resourceVersion: String(++this.seq) } });
      },
      createClaim: async (ns, claim) => {
        this.calls.push({ op: 'createClaim', name: claim.metadata?.name, body: claim });
        if (this.claims.get(ns, claim.metadata!.name!)) throw ApiError.alreadyExists('persistentvolumeclaims', claim.metadata!.name!);
        const created = structuredClone(claim);
        meta(created, ns);
        this.claims.set(created);
        return created;
      },
      updateClaim: async (claim) => {
        this.calls.push({ op: 'updateClaim', name: claim.metadata?.name, body: claim });
        this.claims.set(structuredClone(claim));
        return claim;
      },
      createRevision: async (ns, cr) => {
        this.calls.push({ op: 'createRevision', name: cr.metadata?.name, body: cr });
        if (this.revisions.get(ns, cr.metadata!.name!)) throw ApiError.alreadyExists('controllerrevisions.apps', cr.metadata!.name!);
        const created = structuredClone(cr);
        meta(created, ns);
        this.revisions.set(created);
        return created;
      },
      getRevision: async (ns, name) => {
        const r = this.revisions.get(ns, name);
        if (!r) throw notFound('controllerrevisions.apps', name);
        return structuredClone(r);
      },
      updateRevision: async (cr) => {
        this.calls.push({ op: 'updateRevision', name: cr.metadata?.name, body: cr });
        this.revisions.set(structuredClone(cr));
        return cr;
      },
      deleteRevision: async (ns, name) => {
        this.calls.push({ op: 'deleteRevision', name });
        if (!this.revisions.delete(`${ns}/${name}`)) throw notFound('controllerrevisions.apps', name);
      },
      patchRevision: async (ns, name, patch) => {
        this.calls.push({ op: 'patchRevision', name, body: patch });
        const r = this.revisions.get(ns, name);
        if (!r) throw notFound('controllerrevisions.apps', name);
        this.revisions.set(applyOwnerPatch(r, patch as Patch));
      },
    };
    this.c = new StatefulSetController({
      sets: this.sets, pods: this.pods, claims: this.claims, revisions: this.revisions, api: this.api, recorder: this.recorder,
      clock: this.clock, logger: silent, queue: this.queue, maxUnavailable: opts.maxUnavailable,
    });
  }

  set(replicas: number, spec: Partial<StatefulSet['spec']> = {}): StatefulSet {
    const set: StatefulSet = {
      apiVersion: 'apps/v1', kind: 'StatefulSet',
      metadata: { name: 'web', namespace: 'default', uid: 'set-uid', generation: 1, resourceVersion: '1', annotations: { 'kubernetes.io/change-cause': 'v1' } },
      spec: {
        replicas, serviceName: 'nginx', selector: { matchLabels: { app: 'web' } }, podManagementPolicy: 'OrderedReady',
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }, revisionHistoryLimit: 10,
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
        ...spec,
      },
      status: { replicas: 0, availableReplicas: 0 },
    };
    this.sets.set(set);
    return set;
  }

  /** Changes the set's spec as a user would (generation bumps). */
  edit(fn: (s: StatefulSet) => void): void {
    const s = structuredClone(this.sets.get('default', 'web')!);
    fn(s);
    this.sets.set({ ...s, metadata: { ...s.metadata, generation: (s.metadata?.generation ?? 1) + 1 } });
  }

  /** The kubelet: the pod runs, and is Ready (or not). */
  run(name: string, ready = true): void {
    const p = this.pods.get('default', name);
    assert.ok(p, `pod ${name} exists`);
    this.pods.set({
      ...structuredClone(p), metadata: { ...p.metadata, resourceVersion: String(++this.seq) },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: rfc3339(this.clock.now()) }] },
    });
  }

  /** Graceful deletions finish. */
  finishDeletes(): void {
    for (const p of this.pods.list('default')) if (p.metadata?.deletionTimestamp) this.pods.delete(objectKey(p));
  }

  podNames(): string[] { return this.pods.list('default').map((p) => p.metadata!.name!).sort(); }
  ops(op: string): Call[] { return this.calls.filter((c) => c.op === op); }
  status(): NonNullable<StatefulSet['status']> { return this.sets.get('default', 'web')!.status!; }
  sync(): Promise<void> { return this.c.sync(KEY); }
  revisionsByNumber(): ControllerRevision[] { return this.revisions.list('default').sort((a, b) => a.revision - b.revision); }

  /** Syncs, running every pod the kubelet would, until a sync changes nothing. */
  async converge(ready = true, rounds = 30): Promise<void> {
    const writes = (): number => this.calls.filter((c) => c.op !== 'updateStatus').length;
    for (let i = 0; i < rounds; i++) {
      this.finishDeletes();
      for (const p of this.pods.list('default')) if (p.status?.phase === 'Pending') this.run(p.metadata!.name!, ready);
      const before = writes();
      await this.sync();
      if (writes() === before && this.pods.list('default').every((p) => p.status?.phase !== 'Pending' && !p.metadata?.deletionTimestamp)) return;
    }
    throw new Error('did not converge');
  }
}

test('OrderedReady: web-0 first with its identity and claim; web-1 only once web-0 is Running and Ready', async () => {
  const f = new Fixture();
  f.set(3, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }] });
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0']);
  // The claim is created before the pod.
  assert.deepEqual(f.calls.filter((c) => c.op === 'createClaim' || c.op === 'createPod').map((c) => `${c.op} ${c.name}`), ['createClaim data-web-0', 'createPod web-0']);
  const claim = f.claims.get('default', 'data-web-0')!;
  assert.deepEqual(claim.metadata?.labels, { app: 'web' });
  assert.deepEqual(claim.spec?.resources?.requests, { storage: '1Gi' });
  assert.equal(claim.metadata?.ownerReferences, undefined, 'Retain/Retain: no owner references');

  const pod = f.pods.get('default', 'web-0')!;
  const rev = f.revisionsByNumber();
  assert.equal(rev.length, 1);
  assert.equal(rev[0].metadata?.name, `web-${rev[0].metadata?.labels?.[REVISION_HASH_LABEL]}`);
  assert.equal(pod.metadata?.generateName, 'web-');
  assert.deepEqual(pod.metadata?.labels, { app: 'web', [POD_NAME_LABEL]: 'web-0', [POD_INDEX_LABEL]: '0', [REVISION_LABEL]: rev[0].metadata?.name });
  assert.equal(pod.spec?.hostname, 'web-0');
  assert.equal(pod.spec?.subdomain, 'nginx');
  assert.deepEqual(pod.spec?.volumes, [{ name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } }]);
  assert.deepEqual(pod.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(f.recorder.messages(), [
    'SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success',
    'SuccessfulCreate: create Pod web-0 in StatefulSet web successful',
  ]);

  // Pending, then Running but not Ready: nothing more.
  await f.sync();
  f.run('web-0', false);
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0']);
  f.run('web-0', true);
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1']);
  f.run('web-1');
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1', 'web-2']);
  f.run('web-2');
  await f.sync();
  const s = f.status();
  assert.deepEqual(s, {
    replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3, observedGeneration: 1,
    currentRevision: rev[0].metadata?.name, updateRevision: rev[0].metadata?.name, collisionCount: 0,
  });
  assert.equal(f.ops('createRevision').length, 1, 'one revision for one template');
});

test('Parallel: every pod at once, and scale down deletes all condemned pods in one pass', async () => {
  const f = new Fixture();
  f.set(4, { podManagementPolicy: 'Parallel' });
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1', 'web-2', 'web-3']);
  f.edit((s) => { s.spec!.replicas = 1; });
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0']);
  assert.deepEqual(f.ops('deletePod').map((c) => c.name).sort(), ['web-1', 'web-2', 'web-3']);
});

test('OrderedReady scale down: highest ordinal first, one at a time, only while the rest is healthy', async () => {
  const f = new Fixture();
  f.graceful = true;
  f.set(3);
  await f.converge();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1', 'web-2']);
  f.edit((s) => { s.spec!.replicas = 1; });
  // An unhealthy lower pod blocks scale down.
  f.run('web-0', false);
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
  f.run('web-0', true);
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2']);
  // web-2 still terminating: web-1 waits.
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2']);
  f.finishDeletes();
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2', 'web-1']);
  assert.ok(f.recorder.messages().includes('SuccessfulDelete: delete Pod web-2 in StatefulSet web successful'));
  f.finishDeletes();
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0']);
  assert.equal(f.status().replicas, 1);
});

test('rolling update with a partition: highest ordinal first, waits for readiness, pods below the partition keep the old revision', async () => {
  const f = new Fixture();
  f.set(3);
  await f.converge();
  const [r1] = f.revisionsByNumber();
  f.edit((s) => {
    s.spec!.template!.spec!.containers[0].image = 'nginx:2';
    s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 1 } };
  });
  await f.sync();
  const revs = f.revisionsByNumber();
  assert.equal(revs.length, 2);
  const r2 = revs[1];
  assert.equal(r2.revision, 2);
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2']);
  assert.equal(f.status().updateRevision, r2.metadata?.name);
  assert.equal(f.status().currentRevision, r1.metadata?.name);
  // Recreated at the new revision; not ready yet: web-1 waits.
  await f.sync();
  const web2 = f.pods.get('default', 'web-2')!;
  assert.equal(web2.metadata?.labels?.[REVISION_LABEL], r2.metadata?.name);
  assert.equal(web2.spec?.containers[0].image, 'nginx:2');
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2']);
  f.run('web-2');
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2', 'web-1']);
  await f.converge();
  assert.equal(f.pods.get('default', 'web-0')!.metadata?.labels?.[REVISION_LABEL], r1.metadata?.name, 'below the partition: old revision');
  assert.equal(f.pods.get('default', 'web-1')!.spec?.containers[0].image, 'nginx:2');
  let s = f.status();
  assert.equal(s.currentReplicas, 1);
  assert.equal(s.updatedReplicas, 2);
  assert.equal(s.currentRevision, r1.metadata?.name);
  // Partition 0 finishes the rollout; the update revision becomes current.
  f.edit((st) => { st.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0 } }; });
  await f.converge();
  s = f.status();
  assert.deepEqual([s.currentRevision, s.updateRevision, s.currentReplicas, s.updatedReplicas], [r2.metadata?.name, r2.metadata?.name, 3, 3]);
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-2', 'web-1', 'web-0']);
});

test('going back to an earlier template renumbers its revision instead of making a new one (rollback)', async () => {
  const f = new Fixture();
  f.set(2);
  await f.converge();
  f.edit((s) => { s.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await f.converge();
  const [r1, r2] = f.revisionsByNumber();
  f.edit((s) => { s.spec!.template!.spec!.containers[0].image = 'nginx:1'; });
  await f.converge();
  assert.equal(f.ops('createRevision').length, 2);
  const after = f.revisionsByNumber();
  assert.deepEqual(after.map((r) => [r.metadata?.name, r.revision]), [[r2.metadata?.name, 2], [r1.metadata?.name, 3]]);
  assert.equal(f.status().currentRevision, r1.metadata?.name);
  for (const p of f.pods.list('default')) assert.equal(p.spec?.containers[0].image, 'nginx:1');
});

test('OnDelete: a new template changes no pod until one is deleted; the replacement gets the new revision', async () => {
  const f = new Fixture();
  f.set(2, { updateStrategy: { type: 'OnDelete' } });
  await f.converge();
  f.edit((s) => { s.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await f.converge();
  assert.equal(f.ops('deletePod').length, 0);
  const [, r2] = f.revisionsByNumber();
  f.pods.delete('default/web-1');
  await f.converge();
  assert.equal(f.pods.get('default', 'web-1')!.metadata?.labels?.[REVISION_LABEL], r2.metadata?.name);
  assert.equal(f.pods.get('default', 'web-0')!.spec?.containers[0].image, 'nginx:1');
  assert.equal(f.status().updatedReplicas, 1);
  assert.equal(f.status().currentReplicas, 1);
});

test('a failed pod is deleted and created again, with an event', async () => {
  const f = new Fixture();
  f.set(1);
  await f.converge();
  const old = f.pods.get('default', 'web-0')!;
  f.pods.set({ ...structuredClone(old), status: { phase: 'Failed' } });
  await f.sync();
  const fresh = f.pods.get('default', 'web-0')!;
  assert.notEqual(fresh.metadata?.uid, old.metadata?.uid);
  assert.equal(fresh.status?.phase, 'Pending');
  assert.ok(f.recorder.messages().includes('RecreatingFailedPod: StatefulSet default/web is recreating failed Pod web-0'));
  assert.deepEqual(f.recorder.events.filter((e) => e.reason === 'RecreatingFailedPod').map((e) => e.type), ['Warning']);
});

test('revisionHistoryLimit keeps only that many unused revisions, oldest deleted first', async () => {
  const f = new Fixture();
  f.set(1, { revisionHistoryLimit: 1 });
  await f.converge();
  for (const image of ['nginx:2', 'nginx:3', 'nginx:4']) {
    f.edit((s) => { s.spec!.template!.spec!.containers[0].image = image; });
    await f.converge();
  }
  await f.sync();
  const revs = f.revisionsByNumber();
  // Live: the current = update revision (4); history: 3 only.
  assert.deepEqual(revs.map((r) => r.revision), [3, 4]);
  assert.equal(f.ops('deleteRevision').length, 2);
});

test('a name collision with a different revision bumps collisionCount', async () => {
  const f = new Fixture();
  const set = f.set(1);
  // Someone else's revision already holds the name our template hashes to.
  const mine = newRevision(set, 1, 0);
  f.revisions.set({ ...mine, metadata: { ...mine.metadata, uid: 'other', labels: { other: 'x' }, ownerReferences: [] }, data: { spec: { template: { other: true } } } });
  await f.sync();
  const ours = f.revisions.list('default').filter((r) => r.metadata?.ownerReferences?.some((o) => o.uid === 'set-uid'));
  assert.equal(ours.length, 1);
  assert.equal(ours[0].metadata?.name, `web-${hashRevision(mine, 1)}`);
  assert.notEqual(ours[0].metadata?.name, mine.metadata?.name);
  assert.equal(f.status().collisionCount, 1);
});

test('adopts orphan pods and revisions it selects, releases pods it no longer selects, ignores pods of other names', async () => {
  const f = new Fixture();
  const set = f.set(1);
  const orphan = (name: string, labels: Record<string, string>): Pod => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: `uid-${name}`, labels, resourceVersion: '5' },
    spec: { containers: [{ name: 'c', image: 'nginx:1' }] }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  const rev = newRevision(set, 1, 0);
  f.pods.set(orphan('web-0', { app: 'web', [REVISION_LABEL]: rev.metadata!.name! }));
  f.pods.set(orphan('db-0', { app: 'web' }));
  const owned = orphan('web-7', { app: 'other' });
  owned.metadata!.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid', controller: true }];
  f.pods.set(owned);
  f.revisions.set({ ...rev, metadata: { ...rev.metadata, uid: 'rev-uid', ownerReferences: undefined } });
  await f.sync();
  assert.deepEqual(f.pods.get('default', 'web-0')!.metadata?.ownerReferences?.map((r) => r.uid), ['set-uid']);
  assert.equal(f.pods.get('default', 'db-0')!.metadata?.ownerReferences, undefined);
  assert.equal(f.pods.get('default', 'web-7')!.metadata?.ownerReferences, undefined, 'released');
  assert.deepEqual(f.revisions.get('default', rev.metadata!.name!)!.metadata?.ownerReferences?.map((r) => r.uid), ['set-uid']);
  assert.equal(f.ops('createRevision').length, 0, 'the adopted revision is the template');
  // Adopted at the update revision: kept, and its identity label restored (an update, with its event).
  assert.equal(f.ops('deletePod').length, 0);
  assert.equal(f.pods.get('default', 'web-0')!.metadata?.labels?.[POD_NAME_LABEL], 'web-0');
  assert.ok(f.recorder.messages().includes('SuccessfulUpdate: update Pod web-0 in StatefulSet web successful'));
});

test('retention policy Delete/Delete: claims owned by the set; a scaled-away pod\'s claims owned by the pod', async () => {
  const f = new Fixture();
  f.set(2, {
    persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
    volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
  });
  await f.converge();
  for (const n of ['data-web-0', 'data-web-1']) {
    assert.deepEqual(f.claims.get('default', n)!.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'set-uid' }], n);
  }
  f.edit((s) => { s.spec!.replicas = 1; });
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-1']);
  const refs = f.claims.get('default', 'data-web-1')!.metadata?.ownerReferences;
  assert.deepEqual(refs?.map((r) => r.kind), ['Pod'], 'set reference replaced by the pod\'s before the pod goes');
  assert.deepEqual(f.claims.get('default', 'data-web-0')!.metadata?.ownerReferences?.map((r) => r.kind), ['StatefulSet']);
});

test('minReadySeconds: available only after that long, and OrderedReady waits for availability', async () => {
  const f = new Fixture();
  f.set(2, { minReadySeconds: 10 });
  await f.sync();
  f.run('web-0');
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0'], 'ready but not yet available');
  assert.equal(f.status().readyReplicas, 1);
  assert.equal(f.status().availableReplicas, 0);
  await f.clock.advance(11_000);
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1']);
  assert.equal(f.status().availableReplicas, 1);
});

test('MaxUnavailableStatefulSet (opt-in): up to maxUnavailable pods updated at once', async () => {
  const f = new Fixture({ maxUnavailable: true });
  f.set(4, { podManagementPolicy: 'Parallel' });
  await f.converge();
  f.edit((s) => {
    s.spec!.template!.spec!.containers[0].image = 'nginx:2';
    s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } };
  });
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), ['web-3', 'web-2']);
  // Without the gate the same spec rolls one at a time.
  const g = new Fixture();
  g.set(4, { podManagementPolicy: 'Parallel' });
  await g.converge();
  g.edit((s) => {
    s.spec!.template!.spec!.containers[0].image = 'nginx:2';
    s.spec!.updateStrategy = { type: 'RollingUpdate', rollingUpdate: { partition: 0, maxUnavailable: 2 } };
  });
  await g.sync();
  assert.deepEqual(g.ops('deletePod').map((c) => c.name), ['web-3']);
});

test('start ordinal: pods numbered from spec.ordinals.start', async () => {
  const f = new Fixture();
  f.set(2, { ordinals: { start: 5 }, podManagementPolicy: 'Parallel' });
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-5', 'web-6']);
  assert.equal(f.pods.get('default', 'web-6')!.metadata?.labels?.[POD_INDEX_LABEL], '6');
});

test('revisions: data is a template-replacing patch; applyRevision restores the template', () => {
  const f = new Fixture();
  const set = f.set(1);
  const r = newRevision(set, 3, 0);
  assert.equal(r.revision, 3);
  assert.deepEqual(r.data, { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'web' } }, spec: { containers: [{ image: 'nginx:1', name: 'c' }] } } } });
  assert.equal(JSON.stringify(r.data), '{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1","name":"c"}]}}}}');
  assert.deepEqual(r.metadata?.annotations, { 'kubernetes.io/change-cause': 'v1' });
  assert.equal(r.metadata?.labels?.app, 'web');
  assert.match(r.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.notEqual(hashRevision(r, 0), hashRevision(r, 1));
  const changed = structuredClone(set);
  changed.spec!.template!.spec!.containers[0].image = 'other';
  assert.deepEqual(applyRevision(changed, r).spec?.template, set.spec?.template);
});

test('a failed create is a Warning event and a retried sync; nothing after it is created', async () => {
  const f = new Fixture();
  f.set(2, { podManagementPolicy: 'Parallel' });
  f.failCreates = 1;
  await assert.rejects(f.sync(), /exceeded quota/);
  assert.deepEqual(f.recorder.events.map((e) => `${e.type} ${e.reason}: ${e.message}`), [
    'Warning FailedCreate: create Pod web-0 in StatefulSet web failed error: pods "web-0" is forbidden: exceeded quota: q',
  ]);
  assert.deepEqual(f.podNames(), [], 'the batch of 1 failed: no further batch');
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0', 'web-1']);
});

test('a claim still owned by a deleted pod of the same name holds back that pod until it is gone', async () => {
  const f = new Fixture();
  f.set(1, { volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'] } }] });
  f.claims.set({ metadata: { name: 'data-web-0', namespace: 'default', uid: 'c', ownerReferences: [{ apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'old' }] } });
  await f.sync();
  assert.deepEqual(f.podNames(), []);
  f.claims.delete('default/data-web-0');
  await f.sync();
  assert.deepEqual(f.podNames(), ['web-0']);
  assert.equal(f.ops('createClaim').length, 1);
});
