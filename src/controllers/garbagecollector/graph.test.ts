// The dependency graph alone: informer events in, queued work out.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../client/index.ts';
import { AbsentOwnerCache, DependencyGraph, partitionDependents, referencesDiffs, type GraphNode, type GraphSink } from './graph.ts';

class RecordingSink implements GraphSink {
  deletes: string[] = [];
  rateLimited: string[] = [];
  orphans: string[] = [];
  invalid: { dependent: string; owner: string }[] = [];
  attemptToDelete(node: GraphNode, rateLimited?: boolean): void { (rateLimited ? this.rateLimited : this.deletes).push(node.identity.name); }
  attemptToOrphan(node: GraphNode): void { this.orphans.push(node.identity.name); }
  invalidNamespaceOwnerRef(dependent: GraphNode, ref: OwnerReference): void { this.invalid.push({ dependent: dependent.identity.name, owner: ref.name }); }
  reset(): void { this.deletes = []; this.rateLimited = []; this.orphans = []; this.invalid = []; }
}

function cm(name: string, opts: { ns?: string; owners?: OwnerReference[]; deleting?: boolean; finalizers?: string[]; uid?: string } = {}): KubeObject {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name, namespace: opts.ns ?? 'default', uid: opts.uid ?? `uid-${name}`,
      ...(opts.owners ? { ownerReferences: opts.owners } : {}),
      ...(opts.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
      ...(opts.finalizers ? { finalizers: opts.finalizers } : {}),
    },
  };
}

function ref(name: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: 'v1', kind: 'ConfigMap', name, uid: `uid-${name}`, ...extra };
}

function setup(): { g: DependencyGraph; sink: RecordingSink } {
  const sink = new RecordingSink();
  return { g: new DependencyGraph(sink), sink };
}

const names = (nodes: Iterable<GraphNode>): string[] => [...nodes].map((n) => n.identity.name).sort();

test('owner then dependent: an edge, no work', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('dep', { owners: [ref('owner')] }));
  assert.deepEqual(names(g.node('uid-owner')!.dependents), ['dep']);
  assert.deepEqual(sink.deletes, []);
  assert.equal(g.node('uid-owner')!.virtual, false);
});

test('a dependent whose owner was not seen makes a virtual owner, queued for a check', () => {
  const { g, sink } = setup();
  g.observe(cm('dep', { owners: [ref('ghost')] }));
  const ghost = g.node('uid-ghost')!;
  assert.equal(ghost.virtual, true);
  assert.deepEqual(ghost.identity, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'ghost', uid: 'uid-ghost' });
  assert.deepEqual(sink.deletes, ['ghost']);

  // Observed later: no longer virtual, the edge stays.
  sink.reset();
  g.observe(cm('ghost'));
  assert.equal(g.node('uid-ghost')!.virtual, false);
  assert.deepEqual(names(g.node('uid-ghost')!.dependents), ['dep']);
  assert.deepEqual(sink.deletes, []);
});

test('a cluster-scoped virtual owner has no namespace', () => {
  const { g } = setup();
  g.observe(cm('dep', { owners: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1' }] }));
  assert.equal(g.node('uid-n1')!.identity.namespace, '');
});

test('an owner deleted: its dependents are queued and it is remembered as absent', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('a', { owners: [ref('owner')] }));
  g.observe(cm('b', { owners: [ref('owner')] }));
  g.observeDelete(cm('owner'));
  assert.equal(g.node('uid-owner'), undefined);
  assert.deepEqual(sink.deletes.sort(), ['a', 'b']);
  assert.ok(g.absentOwners.has(AbsentOwnerCache.key(ref('owner'), 'default')));
});

test('a dependent deleted is unlinked from its owners; a foreground owner is re-queued', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('dep', { owners: [ref('owner', { blockOwnerDeletion: true })] }));
  g.observeDelete(cm('dep'));
  assert.equal(g.node('uid-owner')!.dependents.size, 0);
  assert.deepEqual(sink.deletes, []);

  g.observe(cm('dep2', { owners: [ref('owner', { blockOwnerDeletion: true })] }));
  g.observe(cm('owner', { deleting: true, finalizers: ['foregroundDeletion'] }), cm('owner'));
  sink.reset();
  g.observeDelete(cm('dep2'));
  assert.deepEqual(sink.deletes, ['owner']);
});

test('foreground deletion starts: owner marked, dependents and owner queued (once per transition)', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('a', { owners: [ref('owner', { blockOwnerDeletion: true })] }));
  g.observe(cm('b', { owners: [ref('owner')] }));
  const deleting = cm('owner', { deleting: true, finalizers: ['foregroundDeletion'] });
  g.observe(deleting, cm('owner'));
  const owner = g.node('uid-owner')!;
  assert.equal(owner.deletingDependents, true);
  assert.equal(owner.beingDeleted, true);
  assert.deepEqual(sink.deletes.sort(), ['a', 'b', 'owner']);
  assert.deepEqual(names(owner.blockingDependents()), ['a']);
  // A resync (same state) is no new transition.
  sink.reset();
  g.observe(deleting, deleting);
  assert.deepEqual(sink.deletes, []);
});

test('an object already deleting with a GC finalizer when first listed is acted on', () => {
  const { g, sink } = setup();
  g.observe(cm('fg', { deleting: true, finalizers: ['foregroundDeletion'] }));
  g.observe(cm('or', { deleting: true, finalizers: ['orphan'] }));
  assert.deepEqual(sink.deletes, ['fg']);
  assert.deepEqual(sink.orphans, ['or']);
  assert.equal(g.node('uid-fg')!.deletingDependents, true);
});

test('orphan deletion starts: owner queued for orphaning', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('dep', { owners: [ref('owner')] }));
  g.observe(cm('owner', { deleting: true, finalizers: ['orphan'] }), cm('owner'));
  assert.deepEqual(sink.orphans, ['owner']);
  assert.deepEqual(sink.deletes, []);
});

test('a blocking reference removed or unblocked re-queues the owner', () => {
  const { g, sink } = setup();
  g.observe(cm('o1'));
  g.observe(cm('o2'));
  g.observe(cm('dep', { owners: [ref('o1', { blockOwnerDeletion: true }), ref('o2', { blockOwnerDeletion: true })] }));
  assert.deepEqual(names(g.node('uid-o1')!.dependents), ['dep']);
  g.observe(cm('dep', { owners: [ref('o2', { blockOwnerDeletion: false })] }));
  assert.deepEqual(sink.deletes.sort(), ['o1', 'o2']);
  assert.equal(g.node('uid-o1')!.dependents.size, 0);
  assert.deepEqual(names(g.node('uid-o2')!.dependents), ['dep']);
  // A new owner reference links the new owner.
  g.observe(cm('o3'));
  g.observe(cm('dep', { owners: [ref('o2'), ref('o3')] }));
  assert.deepEqual(names(g.node('uid-o3')!.dependents), ['dep']);
});

test('an owner observed in another namespace: the dependent is queued and an event reported', () => {
  const { g, sink } = setup();
  g.observe(cm('owner', { ns: 'other' }));
  g.observe(cm('dep', { ns: 'default', owners: [ref('owner')] }));
  assert.deepEqual(sink.deletes, ['dep']);
  assert.deepEqual(sink.invalid, [{ dependent: 'dep', owner: 'owner' }]);

  // The other order: dependent first (virtual owner in its namespace), owner observed elsewhere.
  const s2 = setup();
  s2.g.observe(cm('dep', { ns: 'default', owners: [ref('owner')] }));
  s2.sink.reset();
  s2.g.observe(cm('owner', { ns: 'other' }));
  assert.deepEqual(s2.sink.deletes, ['dep']);
  assert.deepEqual(s2.sink.invalid, [{ dependent: 'dep', owner: 'owner' }]);
});

test('a cluster-scoped dependent naming a namespaced owner is queued for verification', () => {
  const { g, sink } = setup();
  g.observe(cm('owner', { ns: 'default' }));
  g.observe({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns1', uid: 'uid-ns1', ownerReferences: [ref('owner')] } });
  assert.deepEqual(sink.deletes, ['ns1']);
});

test('virtualDelete: a virtual owner goes and its dependents are queued', () => {
  const { g, sink } = setup();
  g.observe(cm('dep', { owners: [ref('ghost')] }));
  sink.reset();
  g.virtualDelete(g.node('uid-ghost')!.identity);
  assert.equal(g.node('uid-ghost'), undefined);
  assert.deepEqual(sink.deletes, ['dep']);
  assert.ok(g.absentOwners.has(AbsentOwnerCache.key(ref('ghost'), 'default')));
});

test('virtualDelete: dependents that disagree on the coordinates keep the virtual node', () => {
  const { g, sink } = setup();
  g.observe(cm('a', { owners: [ref('ghost')] }));
  // b names the same uid as a Secret.
  g.observe(cm('b', { owners: [{ apiVersion: 'v1', kind: 'Secret', name: 'ghost', uid: 'uid-ghost' }] }));
  sink.reset();
  g.virtualDelete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'ghost', uid: 'uid-ghost' });
  const node = g.node('uid-ghost')!;
  assert.ok(node, 'kept');
  assert.equal(node.identity.kind, 'Secret', 'tries the other coordinates next');
  assert.deepEqual(sink.deletes, ['a']);
  assert.deepEqual(sink.rateLimited, ['ghost']);
});

test('virtualDelete of an observed node with other coordinates leaves it', () => {
  const { g, sink } = setup();
  g.observe(cm('owner'));
  g.observe(cm('dep', { owners: [ref('owner')] }));
  sink.reset();
  g.virtualDelete({ apiVersion: 'v1', kind: 'Secret', namespace: 'default', name: 'owner', uid: 'uid-owner' });
  assert.ok(g.node('uid-owner'));
  assert.deepEqual(sink.deletes, []);
  g.virtualDelete(g.node('uid-owner')!.identity);
  assert.equal(g.node('uid-owner'), undefined);
  assert.deepEqual(sink.deletes, ['dep']);
});

test('referencesDiffs and partitionDependents', () => {
  const d = referencesDiffs([ref('a'), ref('b', { blockOwnerDeletion: true })], [ref('b'), ref('c')]);
  assert.deepEqual(d.added.map((r) => r.name), ['c']);
  assert.deepEqual(d.removed.map((r) => r.name), ['a']);
  assert.deepEqual(d.changed.map((c) => c.newRef.name), ['b']);

  const { g } = setup();
  g.observe(cm('x', { owners: [ref('o')] }));
  g.observe(cm('y', { ns: 'other', owners: [ref('o')] }));
  const p = partitionDependents(g.node('uid-o')!.dependents, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'default', name: 'o', uid: 'uid-o' });
  assert.deepEqual(names(p.matching), ['x']);
  assert.deepEqual(names(p.nonmatching), ['y']);
});

test('the absent-owner cache is bounded (least recently used goes)', () => {
  const c = new AbsentOwnerCache(2);
  c.add('a'); c.add('b');
  assert.ok(c.has('a'));
  c.add('c');
  assert.ok(c.has('a'));
  assert.ok(!c.has('b'));
  assert.ok(c.has('c'));
  assert.equal(c.size, 2);
});
