// The garbage collector's decisions (upstream's GarbageCollector): two work
// queues of object uids fed by the dependency graph.
//
//  attemptToDelete(uid) — is this object garbage?
//    · gone from the API (live GET, uid compared): tell the graph (virtualDelete);
//    · deleting in the foreground: delete its blocking dependents; once none is
//      left, remove the `foregroundDeletion` finalizer;
//    · otherwise classify its owner references with live GETs:
//        solid (owner exists, not deleting in the foreground) — keep it, and drop
//          references to absent owners and to owners deleting in the foreground;
//        some owner deleting in the foreground and it has dependents itself —
//          delete it in the foreground too (chains wait link by link);
//        no solid owner — delete it (uid precondition), honouring its own GC
//          finalizers, background by default.
//  attemptToOrphan(uid) — an owner deleting with `orphan`: remove the
//    references to it from its dependents, then the finalizer.
//
// Syncs are idempotent and re-read the API before writing; failures retry
// with per-uid exponential back-off and leave a Warning event on the object.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../base/errors.ts';
import type { Clock } from '../../base/clock.ts';
import { WorkQueue, isConflict, isNotFound, type KubeObject } from '../../client/index.ts';
import {
  AbsentOwnerCache, DependencyGraph, FOREGROUND_FINALIZER, ORPHAN_FINALIZER, describeIdentity, hasFinalizer, kindIsNamespaced,
  type GraphNode, type GraphSink, type Identity,
} from './graph.ts';

export type Propagation = 'Orphan' | 'Background' | 'Foreground';

/** Where an object lives; namespace '' for cluster-scoped objects. */
export type ObjectCoordinates = Pick<Identity, 'apiVersion' | 'kind' | 'namespace' | 'name'>;

/** The API calls the collector makes: the API server in production, a fake in unit tests. */
export interface GCObjectApi {
  /** The live object, or undefined when the API answers 404. Throws UnknownKindError for kinds it does not serve. */
  get(ref: ObjectCoordinates, signal?: AbortSignal): Promise<KubeObject | undefined>;
  /** DELETE with a uid precondition and a propagation policy. */
  delete(ref: ObjectCoordinates, uid: string, propagationPolicy: Propagation, signal?: AbortSignal): Promise<void>;
  /** JSON merge patch (RFC 7396). */
  patch(ref: ObjectCoordinates, patch: unknown, signal?: AbortSignal): Promise<void>;
}

/** The recorder the collector reports failures to (EventRecorder fits). */
export interface GCEventRecorder {
  event(obj: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

export class UnknownKindError extends Error {
  constructor(readonly apiVersion: string, readonly kind: string) {
    super(`unable to resolve kind ${kind} in ${apiVersion}: not served by this API server`);
  }
}

/** A cluster-scoped object naming a namespaced owner: never resolves, so it is not retried. */
class NamespacedOwnerOfClusterScopedError extends Error {}

type Action = 'forget' | 'requeue';

export interface GarbageCollectorOptions {
  api: GCObjectApi;
  clock?: Clock;
  logger?: GCLogger;
  recorder?: GCEventRecorder;
  /** Concurrent syncs per queue (upstream --concurrent-gc-syncs, default 20). */
  workers?: number;
  /** Conflicts retried within one finalizer/ownerReference update before giving up for a back-off. */
  maxConflictRetries?: number;
}

/** The logging the collector does; a pino Logger fits. */
export interface GCLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

const noopLogger: GCLogger = { debug() {}, info() {}, warn() {} };

export class GarbageCollector implements GraphSink {
  readonly graph: DependencyGraph;
  readonly deleteQueue: WorkQueue<string>;
  readonly orphanQueue: WorkQueue<string>;
  private readonly api: GCObjectApi;
  private readonly logger: GCLogger;
  private readonly recorder?: GCEventRecorder;
  private readonly workers: number;
  private readonly maxConflictRetries: number;
  private signal?: AbortSignal;

  constructor(opts: GarbageCollectorOptions) {
    this.api = opts.api;
    this.logger = opts.logger ?? noopLogger;
    this.recorder = opts.recorder;
    this.workers = opts.workers ?? 10;
    this.maxConflictRetries = opts.maxConflictRetries ?? 5;
    this.deleteQueue = new WorkQueue<string>({ clock: opts.clock, name: 'garbage_collector_attempt_to_delete' });
    this.orphanQueue = new WorkQueue<string>({ clock: opts.clock, name: 'garbage_collector_attempt_to_orphan' });
    this.graph = new DependencyGraph(this);
  }

  // ---- GraphSink: the graph only queues work --------------------------------

  attemptToDelete(node: GraphNode, rateLimited = false): void {
    if (rateLimited) this.deleteQueue.addRateLimited(node.uid); else this.deleteQueue.add(node.uid);
  }

  attemptToOrphan(node: GraphNode): void { this.orphanQueue.add(node.uid); }

  invalidNamespaceOwnerRef(dependent: GraphNode, ref: OwnerReference): void {
    const id = dependent.identity;
    const owner = describeIdentity({ apiVersion: ref.apiVersion, kind: ref.kind, name: ref.name, uid: ref.uid, namespace: id.namespace });
    this.recorder?.event(objectOf(id), 'Warning', 'OwnerRefInvalidNamespace', `ownerRef ${owner} does not exist in namespace "${id.namespace}"`);
  }

  // ---- running ---------------------------------------------------------------

  /** Processes both queues until `signal` aborts; resolves when every worker stopped. */
  async run(signal: AbortSignal): Promise<void> {
    this.signal = signal;
    const stop = (): void => { this.deleteQueue.shutDown(); this.orphanQueue.shutDown(); };
    if (signal.aborted) stop(); else signal.addEventListener('abort', stop, { once: true });
    const loops: Promise<void>[] = [];
    for (let i = 0; i < this.workers; i++) {
      loops.push(this.worker(this.deleteQueue, (uid) => this.processAttemptToDelete(uid)));
      loops.push(this.worker(this.orphanQueue, (uid) => this.processAttemptToOrphan(uid)));
    }
    await Promise.all(loops);
  }

  private async worker(queue: WorkQueue<string>, sync: (uid: string) => Promise<Action>): Promise<void> {
    for (;;) {
      const uid = await queue.get();
      if (uid === undefined) return;
      // Shutting down: what is still queued is dropped (a restart relists anyway).
      if (this.signal?.aborted) { queue.done(uid); continue; }
      let action: Action;
      try {
        action = await sync(uid);
      } catch (e) {
        if (this.signal?.aborted) { queue.done(uid); continue; }
        // Syncs catch what they expect; this is a bug or an unexpected failure.
        this.logger.warn({ err: e, uid, queue: queue.name }, 'garbage collector sync failed; retrying');
        action = 'requeue';
      }
      if (action === 'forget') queue.forget(uid); else queue.addRateLimited(uid);
      queue.done(uid);
    }
  }

  // ---- attemptToDelete ---------------------------------------------------------

  /** One attemptToDelete sync of `uid`, as a worker runs it. Exposed for tests. */
  async processAttemptToDelete(uid: string): Promise<Action> {
    const node = this.graph.node(uid);
    if (!node) return 'forget';
    let result: Action;
    try {
      result = await this.attemptToDeleteItem(node);
    } catch (e) {
      if (e instanceof NamespacedOwnerOfClusterScopedError) return 'forget';
      if (e instanceof UnknownKindError || isConflict(e)) this.logger.debug({ err: e, item: describeIdentity(node.identity) }, 'retrying');
      else this.logger.warn({ err: e, item: describeIdentity(node.identity) }, 'error syncing item');
      return 'requeue';
    }
    // A virtual node seen by GET but not yet by an informer: poll until observed,
    // or a node added and removed while a watch restarted would stay forever.
    if (result === 'forget' && this.graph.node(uid)?.virtual) return 'requeue';
    return result;
  }

  private async attemptToDeleteItem(item: GraphNode): Promise<Action> {
    // Being deleted is a one-way trip: its dependents are handled once it is gone.
    if (item.beingDeleted && !item.deletingDependents) return 'forget';
    const latest = await this.getLive(item.identity);
    if (!latest || latest.metadata?.uid !== item.uid) {
      this.graph.virtualDelete(item.identity);
      return 'forget';
    }
    if (item.deletingDependents) return this.processDeletingDependents(item);

    const refs = latest.metadata?.ownerReferences ?? [];
    if (refs.length === 0) return 'forget';
    const { solid, dangling, waiting } = await this.classifyReferences(item, refs);
    if (solid.length > 0) {
      if (dangling.length === 0 && waiting.length === 0) return 'forget';
      // Still owned: only the references to absent owners and to owners
      // deleting in the foreground go.
      const drop = new Set([...dangling, ...waiting].map((r) => r.uid));
      this.logger.debug({ item: describeIdentity(item.identity), drop: [...drop] }, 'removing dangling and waiting owner references');
      await this.removeOwnerReferences(item, drop);
      return 'forget';
    }
    if (waiting.length > 0 && item.dependents.size > 0) {
      for (const dep of item.dependents) {
        if (dep.deletingDependents) {
          // Owner and dependent both wait for their dependents: a possible cycle.
          // Stop blocking the owners, then delete in the foreground anyway.
          this.logger.info({ item: describeIdentity(item.identity) }, 'an owner and a dependent both delete in the foreground; unblocking owner references');
          await this.unblockOwnerReferences(item);
          break;
        }
      }
      await this.deleteObject(item, 'Foreground');
      return 'forget';
    }
    // No solid owner: garbage. Honour a GC finalizer it already carries.
    const policy: Propagation = hasFinalizer(latest, ORPHAN_FINALIZER) ? 'Orphan'
      : hasFinalizer(latest, FOREGROUND_FINALIZER) ? 'Foreground' : 'Background';
    await this.deleteObject(item, policy);
    return 'forget';
  }

  private async processDeletingDependents(item: GraphNode): Promise<Action> {
    const blocking = item.blockingDependents();
    if (blocking.length === 0) {
      await this.removeFinalizer(item, FOREGROUND_FINALIZER);
      return 'forget';
    }
    for (const dep of blocking) if (!dep.deletingDependents) this.deleteQueue.add(dep.uid);
    return 'forget';
  }

  private async classifyReferences(item: GraphNode, refs: readonly OwnerReference[]): Promise<{
    solid: OwnerReference[]; dangling: OwnerReference[]; waiting: OwnerReference[];
  }> {
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await this.ownerIfPresent(ref, item);
      if (!owner) dangling.push(ref);
      else if (owner.metadata?.deletionTimestamp && hasFinalizer(owner, FOREGROUND_FINALIZER)) waiting.push(ref);
      else solid.push(ref);
    }
    return { solid, dangling, waiting };
  }

  /** The owner `ref` names, read live; undefined if it is absent (or another incarnation). */
  private async ownerIfPresent(ref: OwnerReference, item: GraphNode): Promise<KubeObject | undefined> {
    const ns = item.identity.namespace;
    if (this.graph.absentOwners.has(AbsentOwnerCache.key(ref, ''))) return undefined;
    if (ns && this.graph.absentOwners.has(AbsentOwnerCache.key(ref, ns))) return undefined;
    const namespaced = kindIsNamespaced(ref.apiVersion, ref.kind);
    if (namespaced === undefined) throw new UnknownKindError(ref.apiVersion, ref.kind);
    if (namespaced && !ns) {
      this.logger.info({ item: describeIdentity(item.identity), owner: ref }, 'a cluster-scoped object refers to a namespaced owner; ignoring it');
      throw new NamespacedOwnerOfClusterScopedError();
    }
    const ownerNs = namespaced ? ns : '';
    const owner = await this.api.get({ apiVersion: ref.apiVersion, kind: ref.kind, namespace: ownerNs, name: ref.name }, this.signal);
    if (!owner || owner.metadata?.uid !== ref.uid) {
      this.graph.absentOwners.add(AbsentOwnerCache.key(ref, ownerNs));
      return undefined;
    }
    return owner;
  }

  // ---- attemptToOrphan ---------------------------------------------------------

  /** One attemptToOrphan sync of `uid`, as a worker runs it. Exposed for tests. */
  async processAttemptToOrphan(uid: string): Promise<Action> {
    const owner = this.graph.node(uid);
    if (!owner) return 'forget';
    const dependents = [...owner.dependents];
    const results = await Promise.allSettled(dependents.map((dep) => this.removeOwnerReferences(dep, new Set([uid]))));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length > 0) {
      this.logger.warn({ owner: describeIdentity(owner.identity), err: failed[0].reason as unknown }, 'orphaning dependents failed; retrying');
      return 'requeue';
    }
    try {
      await this.removeFinalizer(owner, ORPHAN_FINALIZER);
    } catch (e) {
      this.logger.warn({ owner: describeIdentity(owner.identity), err: e }, 'removing the orphan finalizer failed; retrying');
      return 'requeue';
    }
    return 'forget';
  }

  // ---- writes --------------------------------------------------------------------

  private async getLive(id: Identity): Promise<KubeObject | undefined> {
    // A namespaced kind without a namespace: a virtual owner named by a
    // cluster-scoped object. Nowhere to look, and no retry will change that.
    const namespaced = kindIsNamespaced(id.apiVersion, id.kind);
    if (namespaced === undefined) throw new UnknownKindError(id.apiVersion, id.kind);
    if (namespaced && !id.namespace) throw new NamespacedOwnerOfClusterScopedError();
    return this.api.get(id, this.signal);
  }

  private async deleteObject(item: GraphNode, policy: Propagation): Promise<void> {
    this.logger.debug({ item: describeIdentity(item.identity), policy }, 'deleting object');
    try {
      await this.api.delete(item.identity, item.uid, policy, this.signal);
    } catch (e) {
      // Gone: nothing to delete. A 409 (another incarnation, per the uid
      // precondition) is retried: the next GET sees the new uid.
      if (isNotFound(e)) return;
      this.reportFailure(item.identity, 'FailedDelete', `garbage collector failed to delete ${describeIdentity(item.identity)}: ${message(e)}`, e);
      throw e;
    }
  }

  /** Drops the references to `uids` from the live object (merge patch pinned to its resourceVersion). */
  private async removeOwnerReferences(item: GraphNode, uids: Set<string>): Promise<void> {
    await this.updateLive(item, 'FailedRemoveOwnerReference', (obj) => {
      const refs = obj.metadata?.ownerReferences ?? [];
      const kept = refs.filter((r) => !uids.has(r.uid));
      if (kept.length === refs.length) return undefined;
      return { ownerReferences: kept.length ? kept : null };
    });
  }

  /** blockOwnerDeletion: false on every reference that blocks (breaks foreground cycles). */
  private async unblockOwnerReferences(item: GraphNode): Promise<void> {
    await this.updateLive(item, 'FailedRemoveOwnerReference', (obj) => {
      const refs = obj.metadata?.ownerReferences ?? [];
      if (!refs.some((r) => r.blockOwnerDeletion === true)) return undefined;
      return { ownerReferences: refs.map((r) => (r.blockOwnerDeletion === true ? { ...r, blockOwnerDeletion: false } : r)) };
    });
  }

  private async removeFinalizer(item: GraphNode, finalizer: string): Promise<void> {
    await this.updateLive(item, 'FailedRemoveFinalizer', (obj) => {
      const fins = obj.metadata?.finalizers ?? [];
      if (!fins.includes(finalizer)) return undefined;
      const kept = fins.filter((f) => f !== finalizer);
      return { finalizers: kept.length ? kept : null };
    });
  }

  /**
   * Read-modify-write of the live object's metadata: `change` returns the
   * metadata fields to merge (undefined: nothing to do). The patch carries the
   * resourceVersion read, so a concurrent change is a 409 and is retried.
   * A missing object (or another incarnation) is not an error.
   */
  private async updateLive(item: GraphNode, reason: string, change: (obj: KubeObject) => Record<string, unknown> | undefined): Promise<void> {
    const id = item.identity;
    for (let attempt = 0; ; attempt++) {
      const live = await this.getLive(id);
      if (!live || live.metadata?.uid !== id.uid) return;
      const meta = change(live);
      if (!meta) return;
      try {
        await this.api.patch(id, { metadata: { ...meta, resourceVersion: live.metadata?.resourceVersion } }, this.signal);
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isConflict(e) && attempt < this.maxConflictRetries) continue;
        this.reportFailure(id, reason, `garbage collector failed to update ${describeIdentity(id)}: ${message(e)}`, e);
        throw e;
      }
    }
  }

  private reportFailure(id: Identity, reason: string, msg: string, e: unknown): void {
    // Conflicts and an aborted request are routine; anything else is worth an Event.
    if (this.signal?.aborted || isConflict(e) || !(e instanceof ApiError)) return;
    this.recorder?.event(objectOf(id), 'Warning', reason, msg);
  }
}

function objectOf(id: Identity): KubeObject {
  return { apiVersion: id.apiVersion, kind: id.kind, metadata: { name: id.name, uid: id.uid, ...(id.namespace ? { namespace: id.namespace } : {}) } };
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
