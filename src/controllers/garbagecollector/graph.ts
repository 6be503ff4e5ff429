// The garbage collector's dependency graph (upstream's GraphBuilder): one node
// per object uid, each knowing its owners (metadata.ownerReferences) and its
// dependents. Informer events change it synchronously; what needs a decision
// (an owner gone, an owner that started foreground or orphan deletion) is
// handed to the GC's queues. The graph itself does no I/O, so it is tested
// without a server.
//
// An owner referenced before it was observed (or that no longer exists) gets a
// *virtual* node with the coordinates its dependent gave. The GC checks a
// virtual node with a live GET: if the API says it is absent, virtualDelete()
// drops it and its dependents are re-examined.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { findByKind } from '../../api/resources.ts';
import type { KubeObject } from '../../client/index.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Where an object is and which incarnation of it (uid). namespace is '' for cluster-scoped objects. */
export interface Identity {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export class GraphNode {
  /** Owner references as last observed (empty for virtual nodes). */
  owners: readonly OwnerReference[] = [];
  readonly dependents = new Set<GraphNode>();
  /** Not (yet) observed through an informer: known only from a dependent's ownerReference. */
  virtual: boolean;
  /** deletionTimestamp was seen; a one-way trip. */
  beingDeleted = false;
  /** Being deleted with foregroundDeletion: waits for its blocking dependents. */
  deletingDependents = false;

  constructor(public identity: Identity, virtual: boolean) {
    this.virtual = virtual;
  }

  get uid(): string { return this.identity.uid; }

  /** Dependents whose reference to this node has blockOwnerDeletion: true. */
  blockingDependents(): GraphNode[] {
    const out: GraphNode[] = [];
    for (const dep of this.dependents) {
      if (dep.owners.some((o) => o.uid === this.uid && o.blockOwnerDeletion === true)) out.push(dep);
    }
    return out;
  }
}

/** What the graph asks of the collector. Implementations only queue work (never call back into the graph). */
export interface GraphSink {
  /** Re-examine `node` (rateLimited: after its back-off). */
  attemptToDelete(node: GraphNode, rateLimited?: boolean): void;
  /** `node` is being deleted with the orphan finalizer. */
  attemptToOrphan(node: GraphNode): void;
  /** `dependent` names an owner that was observed in another namespace (upstream's OwnerRefInvalidNamespace). */
  invalidNamespaceOwnerRef?(dependent: GraphNode, ref: OwnerReference): void;
}

/** A bounded set of owners verified absent, so dependents need no GET to learn it (upstream's absentOwnerCache). */
export class AbsentOwnerCache {
  private readonly keys = new Map<string, true>();
  constructor(private readonly max = 500) {}

  static key(ref: { apiVersion: string; kind: string; name: string; uid: string }, namespace: string): string {
    return JSON.stringify([ref.apiVersion, ref.kind, namespace, ref.name, ref.uid]);
  }

  add(key: string): void {
    this.keys.delete(key);
    this.keys.set(key, true);
    if (this.keys.size > this.max) this.keys.delete(this.keys.keys().next().value as string);
  }

  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
  }

  get size(): number { return this.keys.size; }
}

/** Whether a kind is namespaced; undefined when this server does not serve it. */
export function kindIsNamespaced(apiVersion: string, kind: string): boolean | undefined {
  return findByKind(apiVersion, kind)?.namespaced;
}

export function identityOf(obj: KubeObject): Identity {
  const m = obj.metadata ?? {};
  return { apiVersion: obj.apiVersion ?? '', kind: obj.kind ?? '', namespace: m.namespace ?? '', name: m.name ?? '', uid: m.uid ?? '' };
}

export function hasFinalizer(obj: KubeObject | undefined, f: string): boolean {
  return !!obj?.metadata?.finalizers?.includes(f);
}

export function beingDeleted(obj: KubeObject | undefined): boolean {
  return !!obj?.metadata?.deletionTimestamp;
}

/** Where a dependent's owner lives: cluster-scoped kinds have no namespace; unknown kinds keep the dependent's. */
function ownerIdentity(ref: OwnerReference, dependentNamespace: string): Identity {
  const namespaced = kindIsNamespaced(ref.apiVersion, ref.kind);
  return { apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: namespaced === false ? '' : dependentNamespace };
}

function refMatchesCoordinates(ref: OwnerReference, id: Identity): boolean {
  return ref.uid === id.uid && ref.name === id.name && ref.kind === id.kind && ref.apiVersion === id.apiVersion;
}

export function sameIdentity(a: Identity, b: Identity): boolean {
  return a.uid === b.uid && a.name === b.name && a.kind === b.kind && a.apiVersion === b.apiVersion && a.namespace === b.namespace;
}

export function describeIdentity(id: Identity): string {
  return `[${id.apiVersion}/${id.kind}, namespace: ${id.namespace}, name: ${id.name}, uid: ${id.uid}]`;
}

function sameRef(a: OwnerReference, b: OwnerReference): boolean {
  return a.apiVersion === b.apiVersion && a.kind === b.kind && a.name === b.name && a.uid === b.uid
    && (a.controller ?? null) === (b.controller ?? null) && (a.blockOwnerDeletion ?? null) === (b.blockOwnerDeletion ?? null);
}

/** How the owner references changed, matched by uid. */
export function referencesDiffs(old: readonly OwnerReference[], next: readonly OwnerReference[]): {
  added: OwnerReference[]; removed: OwnerReference[]; changed: { oldRef: OwnerReference; newRef: OwnerReference }[];
} {
  const oldByUid = new Map(old.map((r) => [r.uid, r]));
  const added: OwnerReference[] = [];
  const changed: { oldRef: OwnerReference; newRef: OwnerReference }[] = [];
  for (const r of next) {
    const o = oldByUid.get(r.uid);
    if (!o) added.push(r);
    else {
      if (!sameRef(o, r)) changed.push({ oldRef: o, newRef: r });
      oldByUid.delete(r.uid);
    }
  }
  return { added, removed: [...oldByUid.values()], changed };
}

/** Dependents that refer to `owner` by these exact coordinates, and those that refer to it otherwise. */
export function partitionDependents(dependents: Iterable<GraphNode>, owner: Identity): { matching: GraphNode[]; nonmatching: GraphNode[] } {
  const matching: GraphNode[] = [];
  const nonmatching: GraphNode[] = [];
  for (const dep of dependents) {
    let match = false;
    let mismatch = false;
    if (owner.namespace && owner.namespace !== dep.identity.namespace) mismatch = true;
    else {
      for (const ref of dep.owners) {
        if (ref.uid !== owner.uid) continue;
        if (refMatchesCoordinates(ref, owner)) match = true; else mismatch = true;
      }
    }
    if (match) matching.push(dep);
    if (mismatch) nonmatching.push(dep);
  }
  return { matching, nonmatching };
}

/** Whether `obj` has just started being deleted with finalizer `f` (upstream's deletionStartsWithFinalizer). */
function startsDeletingWith(old: KubeObject | undefined, obj: KubeObject, f: string): boolean {
  if (!beingDeleted(obj) || !hasFinalizer(obj, f)) return false;
  return !old || !beingDeleted(old) || !hasFinalizer(old, f);
}

export class DependencyGraph {
  private readonly nodes = new Map<string, GraphNode>();
  readonly absentOwners: AbsentOwnerCache;

  constructor(private readonly sink: GraphSink, opts: { absentOwnerCacheSize?: number } = {}) {
    this.absentOwners = new AbsentOwnerCache(opts.absentOwnerCacheSize);
  }

  node(uid: string): GraphNode | undefined { return this.nodes.get(uid); }

  get size(): number { return this.nodes.size; }

  /** An informer add or update (old: the previous state, if any). */
  observe(obj: KubeObject, old?: KubeObject): void {
    const identity = identityOf(obj);
    if (!identity.uid) return;
    const refs = obj.metadata?.ownerReferences ?? [];
    let node = this.nodes.get(identity.uid);

    if (node?.virtual) {
      // Observed at last. Dependents that named it by other coordinates may be
      // wrong: re-examine them (a no-op if their owners turn out solid).
      if (!sameIdentity(node.identity, identity)) {
        const { nonmatching } = partitionDependents(node.dependents, identity);
        for (const dep of nonmatching) {
          if (identity.namespace && dep.identity.namespace !== identity.namespace) this.reportInvalidNamespace(dep, identity.uid);
          this.sink.attemptToDelete(dep);
        }
        node.identity = identity;
      }
      node.virtual = false;
    }

    if (!node) {
      node = new GraphNode(identity, false);
      node.owners = refs;
      node.beingDeleted = beingDeleted(obj);
      node.deletingDependents = node.beingDeleted && hasFinalizer(obj, FOREGROUND_FINALIZER);
      this.nodes.set(identity.uid, node);
      this.addDependentToOwners(node, refs);
      this.processTransitions(old, obj, node);
      return;
    }

    const { added, removed, changed } = referencesDiffs(node.owners, refs);
    if (added.length || removed.length || changed.length) {
      this.addUnblockedOwnersToDeleteQueue(removed, changed);
      node.owners = refs;
      this.addDependentToOwners(node, added);
      this.removeDependentFromOwners(node, removed);
    }
    if (beingDeleted(obj)) node.beingDeleted = true;
    this.processTransitions(old, obj, node);
  }

  /** An informer delete: the object is gone. */
  observeDelete(obj: KubeObject): void {
    const uid = obj.metadata?.uid;
    const node = uid ? this.nodes.get(uid) : undefined;
    if (!node) return;
    this.removeAndNotify(node, identityOf(obj));
  }

  /**
   * The collector found `identity` absent with a live GET. A virtual node goes
   * unless some dependents name it by other coordinates (then only those that
   * matched are re-examined); an observed node goes only if the coordinates agree.
   */
  virtualDelete(identity: Identity): void {
    const node = this.nodes.get(identity.uid);
    if (!node) return;
    if (node.virtual) {
      const { matching, nonmatching } = partitionDependents(node.dependents, identity);
      if (nonmatching.length > 0) {
        if (matching.length > 0) {
          this.absentOwners.add(AbsentOwnerCache.key(identity, identity.namespace));
          for (const dep of matching) this.sink.attemptToDelete(dep);
        }
        if (sameIdentity(node.identity, identity)) {
          // Try the coordinates another dependent gave.
          const dep = nonmatching[0];
          const ref = dep.owners.find((o) => o.uid === identity.uid);
          if (ref) {
            node.identity = ownerIdentity(ref, dep.identity.namespace);
            this.sink.attemptToDelete(node, true);
          }
        }
        return;
      }
    } else if (!sameIdentity(node.identity, identity)) {
      const { matching } = partitionDependents(node.dependents, identity);
      if (matching.length > 0) {
        this.absentOwners.add(AbsentOwnerCache.key(identity, identity.namespace));
        for (const dep of matching) this.sink.attemptToDelete(dep);
      }
      return;
    }
    this.removeAndNotify(node, identity);
  }

  private removeAndNotify(node: GraphNode, identity: Identity): void {
    this.nodes.delete(node.uid);
    this.removeDependentFromOwners(node, node.owners);
    if (node.dependents.size > 0) this.absentOwners.add(AbsentOwnerCache.key(identity, identity.namespace));
    for (const dep of node.dependents) this.sink.attemptToDelete(dep);
    // An owner deleting in the foreground may have been waiting for this one.
    for (const ref of node.owners) {
      const owner = this.nodes.get(ref.uid);
      if (owner?.deletingDependents) this.sink.attemptToDelete(owner);
    }
  }

  private addDependentToOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    let potentiallyInvalid = false;
    for (const ref of refs) {
      let owner = this.nodes.get(ref.uid);
      if (!owner) {
        // Not seen (yet): a virtual node the collector verifies with a live GET.
        owner = new GraphNode(ownerIdentity(ref, node.identity.namespace), true);
        this.nodes.set(ref.uid, owner);
        owner.dependents.add(node);
        this.sink.attemptToDelete(owner);
        continue;
      }
      owner.dependents.add(node);
      if (potentiallyInvalid) continue;
      const ownerNs = owner.identity.namespace;
      if (ownerNs && ownerNs !== node.identity.namespace) {
        // A namespaced owner must be in the dependent's namespace.
        if (!owner.virtual) this.reportInvalidNamespace(node, ref.uid);
        potentiallyInvalid = true;
      } else if (!refMatchesCoordinates(ref, owner.identity)) {
        potentiallyInvalid = true;
      } else if (!node.identity.namespace && kindIsNamespaced(ref.apiVersion, ref.kind) === true) {
        // A cluster-scoped object cannot be owned by a namespaced one.
        potentiallyInvalid = true;
      }
    }
    // Let the collector check whether those references are dangling.
    if (potentiallyInvalid) this.sink.attemptToDelete(node);
  }

  private removeDependentFromOwners(node: GraphNode, refs: readonly OwnerReference[]): void {
    for (const ref of refs) this.nodes.get(ref.uid)?.dependents.delete(node);
  }

  /** A dependent that stopped blocking its owner may be what a foreground deletion waits for. */
  private addUnblockedOwnersToDeleteQueue(removed: OwnerReference[], changed: { oldRef: OwnerReference; newRef: OwnerReference }[]): void {
    for (const ref of removed) {
      if (ref.blockOwnerDeletion !== true) continue;
      const owner = this.nodes.get(ref.uid);
      if (owner) this.sink.attemptToDelete(owner);
    }
    for (const { oldRef, newRef } of changed) {
      if (oldRef.blockOwnerDeletion === true && newRef.blockOwnerDeletion !== true) {
        const owner = this.nodes.get(newRef.uid);
        if (owner) this.sink.attemptToDelete(owner);
      }
    }
  }

  private processTransitions(old: KubeObject | undefined, obj: KubeObject, node: GraphNode): void {
    if (startsDeletingWith(old, obj, ORPHAN_FINALIZER)) {
      this.sink.attemptToOrphan(node);
      return;
    }
    if (startsDeletingWith(old, obj, FOREGROUND_FINALIZER)) {
      node.deletingDependents = true;
      for (const dep of node.dependents) this.sink.attemptToDelete(dep);
      this.sink.attemptToDelete(node);
    }
  }

  private reportInvalidNamespace(dependent: GraphNode, ownerUid: string): void {
    const ref = dependent.owners.find((o) => o.uid === ownerUid);
    if (ref) this.sink.invalidNamespaceOwnerRef?.(dependent, ref);
  }
}
