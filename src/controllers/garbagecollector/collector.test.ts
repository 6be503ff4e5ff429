// The collector's decisions without a server: an in-memory fake of the API
// (GET, DELETE with propagation, merge patch pinned to resourceVersion) and
// informer events fed to the graph by hand.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../base/errors.ts';
import { FakeClock, settle } from '../../base/clock.ts';
import type { KubeObject } from '../../client/index.ts';
import { GarbageCollector, type GCObjectApi, type ObjectCoordinates, type Propagation } from './collector.ts';

type Call = { op: 'get' | 'delete' | 'patch'; name: string; policy?: Propagation; uid?: string; patch?: unknown };

/** Just enough of the API server: objects by coordinates, GC finalizers on delete, rv-pinned merge patches. */
class FakeApi implements GCObjectApi {
  readonly objects = new Map<string, KubeObject>();
  /** Told of every change at once, as an informer would be (unless a write is `silent`). */
  informer?: { observe(obj: KubeObject, old?: KubeObject): void; observeDelete(obj: KubeObject): void };
  calls: Call[] = [];
  /** Errors thrown by the next calls of an op, in order. */
  failures: Partial<Record<Call['op'], ApiError[]>> = {};
  private rv = 1;

  static key(ref: ObjectCoordinates): string { return `${ref.apiVersion}/${ref.kind}/${ref.namespace}/${ref.name}`; }

  static keyOf(o: KubeObject): string {
    return FakeApi.key({ apiVersion: o.apiVersion!, kind: o.kind!, namespace: o.metadata!.namespace ?? '', name: o.metadata!.name! });
  }

  put(obj: KubeObject, silent = false): KubeObject {
    const o = structuredClone(obj);
    o.metadata = { ...o.metadata, resourceVersion: String(++this.rv) };
    const old = this.objects.get(FakeApi.keyOf(o));
    this.objects.set(FakeApi.keyOf(o), o);
    if (!silent) this.informer?.observe(structuredClone(o), old);
    return structuredClone(o);
  }

  remove(key: string, silent = false): void {
    const o = this.objects.get(key);
    if (!o) return;
    this.objects.delete(key);
    if (!silent) this.informer?.observeDelete(o);
  }

  /** Marks `name` as the API server does for DELETE with a GC propagation policy. */
  markDeleting(name: string, finalizers: string[]): void {
    const o = this.objects.get(`v1/ConfigMap/default/${name}`)!;
    this.put({ ...o, metadata: { ...o.metadata, deletionTimestamp: '2024-01-01T00:00:00Z', finalizers } });
  }

  private fail(op: Call['op']): void {
    const e = this.failures[op]?.shift();
    if (e) throw e;
  }

  async get(ref: ObjectCoordinates): Promise<KubeObject | undefined> {
    this.calls.push({ op: 'get', name: ref.name });
    this.fail('get');
    const o = this.objects.get(FakeApi.key(ref));
    return o && structuredClone(o);
  }

  async delete(ref: ObjectCoordinates, uid: string, policy: Propagation): Promise<void> {
    this.calls.push({ op: 'delete', name: ref.name, uid, policy });
    this.fail('delete');
    const o = this.objects.get(FakeApi.key(ref));
    if (!o) throw ApiError.notFound('configmaps', ref.name);
    if (o.metadata!.uid !== uid) throw ApiError.conflict('configmaps', ref.name, 'Precondition failed: UID');
    const fins = (o.metadata!.finalizers ?? []).filter((x) => x !== 'orphan' && x !== 'foregroundDeletion');
    if (policy !== 'Background') fins.push(policy === 'Orphan' ? 'orphan' : 'foregroundDeletion');
    if (fins.length === 0) { this.remove(FakeApi.key(ref)); return; }
    this.put({ ...o, metadata: { ...o.metadata, deletionTimestamp: o.metadata!.deletionTimestamp ?? '2024-01-01T00:00:00Z', finalizers: fins } });
  }

  async patch(ref: ObjectCoordinates, patch: unknown): Promise<void> {
    this.calls.push({ op: 'patch', name: ref.name, patch });
    this.fail('patch');
    const o = this.objects.get(FakeApi.key(ref));
    if (!o) throw ApiError.notFound('configmaps', ref.name);
    const meta = (patch as { metadata: Record<string, unknown> }).metadata;
    if (meta.resourceVersion && meta.resourceVersion !== o.metadata!.resourceVersion) throw ApiError.conflict('configmaps', ref.name, 'the object has been modified');
    const next = structuredClone(o);
    for (const [k, v] of Object.entries(meta)) {
      if (k === 'resourceVersion') continue;
      if (v === null) delete (next.metadata as Record<string, unknown>)[k]; else (next.metadata as Record<string, unknown>)[k] = v;
    }
    if (next.metadata!.deletionTimestamp && !next.metadata!.finalizers?.length) this.remove(FakeApi.key(ref));
    else this.put(next);
  }

  writes(): Call[] { return this.calls.filter((c) => c.op !== 'get'); }
}

class Events {
  list: { name: string; type: string; reason: string; message: string }[] = [];
  event(obj: KubeObject, type: string, reason: string, message: string): void { this.list.push({ name: obj.metadata!.name!, type, reason, message }); }
}

function cm(name: string, opts: { owners?: OwnerReference[]; deleting?: boolean; finalizers?: string[]; ns?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name, namespace: opts.ns ?? 'default', uid: `uid-${name}`,
      ...(opts.owners ? { ownerReferences: opts.owners } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
  };
}
const ref = (name: string, extra: Partial<OwnerReference> = {}): OwnerReference => ({ apiVersion: 'v1', kind: 'ConfigMap', name, uid: `uid-${name}`, ...extra });

function setup(clock = new FakeClock()): { api: FakeApi; gc: GarbageCollector; events: Events; clock: FakeClock; add(o: KubeObject): KubeObject } {
  const api = new FakeApi();
  const events = new Events();
  const gc = new GarbageCollector({ api, clock, recorder: events, workers: 2 });
  api.informer = gc.graph;
  const add = (o: KubeObject): KubeObject => api.put(o);
  return { api, gc, events, clock, add };
}

/** Runs every queued sync (both queues) until none is left: the worker loop without the timing. */
async function drain(gc: GarbageCollector): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (gc.deleteQueue.len() === 0 && gc.orphanQueue.len() === 0) return;
    while (gc.deleteQueue.len() > 0) {
      const uid = (await gc.deleteQueue.get())!;
      await gc.processAttemptToDelete(uid);
      gc.deleteQueue.forget(uid);
      gc.deleteQueue.done(uid);
    }
    while (gc.orphanQueue.len() > 0) {
      const uid = (await gc.orphanQueue.get())!;
      await gc.processAttemptToOrphan(uid);
      gc.orphanQueue.done(uid);
    }
  }
  throw new Error('queues never drained');
}

test('a dependent whose owner is gone is deleted in the background, with a uid precondition', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  add(cm('dep', { owners: [ref('owner')] }));
  await drain(gc);
  assert.deepEqual(api.writes(), [], 'owner present: nothing to do');

  api.remove('v1/ConfigMap/default/owner');
  await drain(gc);
  assert.deepEqual(api.writes(), [{ op: 'delete', name: 'dep', uid: 'uid-dep', policy: 'Background' }]);
  assert.equal(api.objects.has('v1/ConfigMap/default/dep'), false);
});

test('background chain: A → B → C all go once A is gone', async () => {
  const { api, gc, add } = setup();
  add(cm('a'));
  add(cm('b', { owners: [ref('a')] }));
  add(cm('c', { owners: [ref('b')] }));
  api.remove('v1/ConfigMap/default/a');
  await drain(gc);
  assert.deepEqual(api.writes().map((c) => [c.op, c.name, c.policy]), [['delete', 'b', 'Background'], ['delete', 'c', 'Background']]);
  assert.equal(api.objects.size, 0);
  assert.equal(gc.graph.size, 0, 'nothing left in the graph');
});

test('at startup a dangling reference is verified with a live GET before deleting', async () => {
  const { api, gc, add } = setup();
  // The owner exists in the API but the informer has not delivered it yet.
  api.put(cm('slow'), true);
  add(cm('a', { owners: [ref('slow')] }));
  add(cm('b', { owners: [ref('missing')] }));
  await drain(gc);
  assert.deepEqual(api.writes(), [{ op: 'delete', name: 'b', uid: 'uid-b', policy: 'Background' }]);
  assert.ok(api.calls.some((c) => c.op === 'get' && c.name === 'missing'));
  assert.equal(gc.graph.node('uid-missing'), undefined, 'virtual node dropped');
  assert.equal(gc.graph.node('uid-slow')?.virtual, true, 'still waiting for the informer');
  assert.equal(await gc.processAttemptToDelete('uid-slow'), 'requeue', 'polled until observed');
  gc.graph.observe(api.objects.get('v1/ConfigMap/default/slow')!);
  assert.equal(gc.graph.node('uid-slow')?.virtual, false);
  assert.equal(await gc.processAttemptToDelete('uid-slow'), 'forget');
});

test('an owner recreated with another uid counts as absent', async () => {
  const { api, gc, add } = setup();
  api.put({ ...cm('owner'), metadata: { ...cm('owner').metadata, uid: 'uid-new' } }, true);
  add(cm('dep', { owners: [ref('owner')] }));
  await drain(gc);
  assert.deepEqual(api.writes().map((c) => [c.op, c.name]), [['delete', 'dep']]);
});

test('solid owner plus dangling one: only the dangling reference is removed', async () => {
  const { api, gc, add } = setup();
  add(cm('alive'));
  add(cm('dep', { owners: [ref('alive'), ref('gone')] }));
  await drain(gc);
  assert.deepEqual(api.writes().map((c) => c.op), ['patch']);
  const dep = api.objects.get('v1/ConfigMap/default/dep')!;
  assert.deepEqual(dep.metadata!.ownerReferences!.map((r) => r.name), ['alive']);
});

test('an object that keeps an orphan or foreground finalizer is deleted with that policy', async () => {
  const { api, gc, add } = setup();
  add(cm('a', { owners: [ref('gone1')], finalizers: ['orphan'] }));
  add(cm('b', { owners: [ref('gone2')], finalizers: ['foregroundDeletion'] }));
  await drain(gc);
  assert.deepEqual(api.writes().filter((c) => c.op === 'delete').map((c) => [c.name, c.policy]).sort(), [['a', 'Orphan'], ['b', 'Foreground']]);
  assert.equal(api.objects.size, 0, 'and then finalized by the collector itself');
});

test('foreground: dependents deleted (those with dependents: in the foreground), owner last', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  add(cm('leaf', { owners: [ref('owner', { blockOwnerDeletion: true })] }));
  add(cm('mid', { owners: [ref('owner', { blockOwnerDeletion: true })] }));
  add(cm('grandchild', { owners: [ref('mid', { blockOwnerDeletion: true })] }));
  await drain(gc);
  const marked = api.objects.get('v1/ConfigMap/default/owner')!;
  api.markDeleting('owner', ['foregroundDeletion']);
  const rv = api.objects.get('v1/ConfigMap/default/owner')!.metadata!.resourceVersion;
  assert.notEqual(rv, marked.metadata!.resourceVersion);
  await drain(gc);
  const deletes = api.writes().filter((c) => c.op === 'delete').map((c) => `${c.name}:${c.policy}`);
  assert.deepEqual(deletes, ['leaf:Background', 'mid:Foreground', 'grandchild:Background']);
  assert.equal(api.objects.size, 0, 'all gone');
  const patches = api.writes().filter((c) => c.op === 'patch');
  assert.deepEqual(patches.map((p) => p.name), ['mid', 'owner'], 'finalizers removed child first');
  assert.deepEqual(patches[1].patch, { metadata: { finalizers: null, resourceVersion: rv } });
});

test('foreground: the owner waits while a blocking dependent is still there', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  // A dependent that stays a while (its own finalizer).
  add(cm('slow', { owners: [ref('owner', { blockOwnerDeletion: true })], finalizers: ['example.com/slow'] }));
  api.markDeleting('owner', ['foregroundDeletion']);
  await drain(gc);
  assert.ok(api.objects.get('v1/ConfigMap/default/owner'), 'owner waits');
  assert.ok(api.objects.get('v1/ConfigMap/default/slow')!.metadata!.deletionTimestamp, 'dependent deleting');
  // Its finalizer goes: it disappears, and so does the owner.
  const slow = api.objects.get('v1/ConfigMap/default/slow')!;
  await api.patch({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'slow' }, { metadata: { finalizers: null, resourceVersion: slow.metadata!.resourceVersion } });
  await drain(gc);
  assert.equal(api.objects.size, 0);
});

test('foreground: non-blocking dependents do not hold the owner', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  add(cm('loose', { owners: [ref('owner')], finalizers: ['example.com/keep'] }));
  api.markDeleting('owner', ['foregroundDeletion', 'example.com/keep']);
  await drain(gc);
  assert.ok(api.objects.get('v1/ConfigMap/default/loose')!.metadata!.deletionTimestamp, 'dependent deleted');
  assert.deepEqual(api.objects.get('v1/ConfigMap/default/owner')!.metadata!.finalizers, ['example.com/keep'], 'finalizer removed, others stay');
});

test('foreground: a dependent with another, solid owner only loses the reference', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  add(cm('other'));
  add(cm('shared', { owners: [ref('owner', { blockOwnerDeletion: true }), ref('other')] }));
  api.markDeleting('owner', ['foregroundDeletion']);
  await drain(gc);
  const shared = api.objects.get('v1/ConfigMap/default/shared')!;
  assert.deepEqual(shared.metadata!.ownerReferences!.map((r) => r.name), ['other']);
  assert.ok(!api.objects.has('v1/ConfigMap/default/owner'), 'unblocked owner finalized');
});

test('foreground cycle guard: a dependent deleting in the foreground too gets its owner references unblocked', async () => {
  const { api, gc, add } = setup();
  add(cm('a', { owners: [ref('b', { blockOwnerDeletion: true })], deleting: true, finalizers: ['foregroundDeletion'] }));
  add(cm('b', { owners: [ref('a', { blockOwnerDeletion: true })] }));
  api.calls = [];
  await gc.processAttemptToDelete('uid-b');
  assert.deepEqual(api.writes().map((c) => [c.op, c.name, c.policy]), [['patch', 'b', undefined], ['delete', 'b', 'Foreground']]);
  const b = api.objects.get('v1/ConfigMap/default/b')!;
  assert.equal(b.metadata!.ownerReferences![0].blockOwnerDeletion, false);
});

test('orphan: references removed from every dependent, then the finalizer', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  add(cm('keep'));
  add(cm('a', { owners: [ref('owner')] }));
  add(cm('b', { owners: [ref('owner'), ref('keep')] }));
  api.markDeleting('owner', ['orphan']);
  await drain(gc);
  assert.equal(api.objects.get('v1/ConfigMap/default/a')!.metadata!.ownerReferences, undefined);
  assert.deepEqual(api.objects.get('v1/ConfigMap/default/b')!.metadata!.ownerReferences!.map((r) => r.name), ['keep']);
  assert.ok(!api.objects.has('v1/ConfigMap/default/owner'));
  assert.equal(api.writes().filter((c) => c.op === 'delete').length, 0, 'nothing deleted');
});

test('orphan: a failed dependent patch keeps the finalizer and retries', async () => {
  const { api, gc, add, events } = setup();
  add(cm('owner'));
  add(cm('a', { owners: [ref('owner')] }));
  api.markDeleting('owner', ['orphan']);
  api.failures.patch = [ApiError.internal('etcd is sad')];
  assert.equal(await gc.processAttemptToOrphan('uid-owner'), 'requeue');
  assert.ok(api.objects.get('v1/ConfigMap/default/owner'));
  assert.deepEqual(events.list.map((e) => [e.name, e.type, e.reason]), [['a', 'Warning', 'FailedRemoveOwnerReference']]);
  assert.equal(await gc.processAttemptToOrphan('uid-owner'), 'forget');
  assert.ok(!api.objects.has('v1/ConfigMap/default/owner'));
  assert.ok(api.objects.has('v1/ConfigMap/default/a'));
});

test('a conflicting write is re-read and retried', async () => {
  const { api, gc, add } = setup();
  add(cm('owner', { deleting: true, finalizers: ['foregroundDeletion'] }));
  api.failures.patch = [ApiError.conflict('configmaps', 'owner', 'modified')];
  await drain(gc);
  assert.ok(!api.objects.has('v1/ConfigMap/default/owner'));
  assert.equal(api.writes().filter((c) => c.op === 'patch').length, 2);
});

test('a failed delete is requeued with back-off by the workers and reported as an event', async () => {
  const clock = new FakeClock();
  const { api, gc, add, events } = setup(clock);
  api.failures.delete = [ApiError.internal('boom'), ApiError.internal('boom again')];
  add(cm('dep', { owners: [ref('gone')] }));
  const ac = new AbortController();
  const running = gc.run(ac.signal);
  await settle();
  assert.ok(api.objects.has('v1/ConfigMap/default/dep'));
  assert.equal(events.list.length, 1);
  assert.deepEqual([events.list[0].type, events.list[0].reason], ['Warning', 'FailedDelete']);
  assert.match(events.list[0].message, /boom/);
  await clock.advance(5);   // first retry after 5 ms: fails again
  assert.ok(api.objects.has('v1/ConfigMap/default/dep'));
  assert.equal(events.list.length, 2);
  await clock.advance(10);  // second retry after 10 ms: succeeds
  assert.ok(!api.objects.has('v1/ConfigMap/default/dep'));
  ac.abort();
  await running;
});

test('an owner kind the server does not serve is retried, never taken as absent', async () => {
  const { api, gc, add } = setup();
  add(cm('dep', { owners: [{ apiVersion: 'example.com/v1', kind: 'Widget', name: 'w', uid: 'uid-w' }] }));
  assert.equal(await gc.processAttemptToDelete('uid-dep'), 'requeue');
  assert.equal(await gc.processAttemptToDelete('uid-w'), 'requeue');
  assert.equal(api.writes().length, 0);
});

test('a cluster-scoped object naming a namespaced owner is left alone', async () => {
  const { api, gc, add } = setup();
  add({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv', uid: 'uid-pv', ownerReferences: [ref('cm')] } });
  await drain(gc);
  assert.equal(await gc.processAttemptToDelete('uid-pv'), 'forget');
  assert.equal(await gc.processAttemptToDelete('uid-cm'), 'forget');
  assert.equal(api.writes().length, 0);
});

test('namespaced dependents of a cluster-scoped owner', async () => {
  const { api, gc, add } = setup();
  add({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', uid: 'uid-n1' } });
  add(cm('lease', { ns: 'kube-node-lease', owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1' }] }));
  await drain(gc);
  assert.equal(api.writes().length, 0);
  api.remove('v1/Node//n1');
  await drain(gc);
  assert.deepEqual(api.writes().map((c) => [c.op, c.name]), [['delete', 'lease']]);
});

test('an object already being deleted (no foreground) is left to finish', async () => {
  const { api, gc, add } = setup();
  add(cm('dep', { owners: [ref('gone')], deleting: true, finalizers: ['example.com/x'] }));
  await drain(gc);
  assert.equal(await gc.processAttemptToDelete('uid-dep'), 'forget');
  assert.equal(api.writes().length, 0);
});

test('the absent-owner cache spares GETs for further dependents', async () => {
  const { api, gc, add } = setup();
  add(cm('owner'));
  for (const n of ['a', 'b', 'c']) add(cm(n, { owners: [ref('owner')] }));
  api.calls = [];
  api.remove('v1/ConfigMap/default/owner');
  await drain(gc);
  assert.equal(api.calls.filter((c) => c.op === 'get' && c.name === 'owner').length, 0);
  assert.equal(api.writes().length, 3);
});

test('run() returns once aborted, leaving no timers', async () => {
  const clock = new FakeClock();
  const { gc, add, api } = setup(clock);
  api.failures.delete = [ApiError.internal('boom')];
  add(cm('dep', { owners: [ref('gone')] }));
  const ac = new AbortController();
  const running = gc.run(ac.signal);
  await settle();
  assert.equal(clock.pending(), 1, 'a retry is scheduled');
  ac.abort();
  await running;
  assert.equal(clock.pending(), 0);
});
