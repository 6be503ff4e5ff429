// The DaemonSet controller (upstream pkg/controller/daemon): one pod of each
// DaemonSet on every node that should run it. It follows nodes (added,
// relabelled, tainted, removed) and pods, creates a pod for each eligible
// node without one — pinned to that node by a required node-affinity term on
// metadata.name, so that the scheduler binds it there — deletes pods on nodes
// that no longer qualify, replaces failed pods (with a per-node back-off),
// keeps one ControllerRevision per template and rolls pods to the current
// one (RollingUpdate with maxUnavailable/maxSurge, or OnDelete), and reports
// the counts in status.
//
// Expectations keep a sync from acting twice on a lagging cache.

import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import { isAlreadyExists, isNotFound, objectKey, splitKey, type Lister, type ResourceEventHandler, type WorkQueue } from '../../client/index.ts';
import { adoptPatch, claimObjects, releasePatch } from '../replicaset/controller-ref.ts';
import { isPodAvailable, isPodReady, podFromTemplate } from '../replicaset/pods.ts';
import type { Recorder } from '../replicaset/replicaset.ts';
import { aggregate, controllerOf, errorMessage, isNamespaceTerminating, jsonEqual, newControllerRef, semanticEqual } from '../replicaset/util.ts';
import { KeyedBackoff } from './backoff.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { DaemonSetExpectations } from './expectations.ts';
import {
  maxRevision, newRevision, REVISION_HASH_LABEL, revisionMatches, TEMPLATE_GENERATION_LABEL, templateGeneration,
} from './history.ts';
import { replaceNodeNameAffinity } from './node-affinity.ts';
import { compareDaemonPods, groupByNode } from './pods.ts';
import { allowsSurge, planRollingUpdate } from './rolling-update.ts';
import { calculateDaemonSetCounts, daemonSetStatus, daemonSetStatusUnchanged } from './status.ts';
import { addDaemonPodTolerations } from './tolerations.ts';

/** Upstream's BurstReplicas: most pods created or deleted in one sync. */
export const BURST_REPLICAS = 250;
/** Upstream's --concurrent-daemonset-syncs. */
export const DEFAULT_WORKERS = 2;
const STATUS_UPDATE_RETRIES = 1;
/** kube-controller-manager's failedPodsBackoff: 1 s doubling to 15 min. */
export const FAILED_POD_BACKOFF_INITIAL_MS = 1_000;
export const FAILED_POD_BACKOFF_MAX_MS = 15 * 60_000;
const BACKOFF_GC_INTERVAL_MS = 60_000;

/** The API calls the controller makes; a fake records them in tests. */
export interface DaemonSetApi {
  /** Uncached reads (adoption recheck, status retry, collision handling). */
  getDaemonSet(namespace: string, name: string): Promise<DaemonSet>;
  updateDaemonSetStatus(ds: DaemonSet): Promise<DaemonSet>;
  createPod(namespace: string, pod: Pod): Promise<Pod>;
  deletePod(namespace: string, name: string, opts?: { gracePeriodSeconds?: number }): Promise<void>;
  /** Strategic merge patch. */
  patchPod(namespace: string, name: string, patch: object): Promise<void>;
  getRevision(namespace: string, name: string): Promise<ControllerRevision>;
  createRevision(namespace: string, cr: ControllerRevision): Promise<ControllerRevision>;
  updateRevision(namespace: string, cr: ControllerRevision): Promise<ControllerRevision>;
  deleteRevision(namespace: string, name: string): Promise<void>;
  /** Strategic merge patch. */
  patchRevision(namespace: string, name: string, patch: object): Promise<void>;
  /** Uncached: confirms a node is really gone before its pods are removed. */
  getNode(name: string): Promise<Node>;
}

export interface DaemonSetControllerDeps {
  daemonSets: Lister<DaemonSet>;
  pods: Lister<Pod>;
  nodes: Lister<Node>;
  revisions: Lister<ControllerRevision>;
  api: DaemonSetApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  burstReplicas?: number;
}

const matchers = new WeakMap<object, LabelMatcher>();

/** The DaemonSet's selector, parsed once per cached object; undefined when invalid or missing. */
function selectorOf(ds: DaemonSet): LabelMatcher | undefined {
  const sel = ds.spec?.selector;
  if (!sel) return undefined;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { return undefined; }
    matchers.set(sel, m);
  }
  return m;
}

/** failedPodsBackoffKey: per DaemonSet, observed generation and node. */
function failedPodsBackoffKey(ds: DaemonSet, nodeName: string): string {
  return `${ds.metadata?.uid}/${ds.status?.observedGeneration ?? 0}/${nodeName}`;
}

/**
 * util.CreatePodTemplate: the template plus the daemon tolerations, the
 * template generation and the revision hash labels.
 */
export function daemonPodTemplate(ds: DaemonSet, hash: string): PodTemplateSpec {
  const t: PodTemplateSpec = structuredClone(ds.spec?.template ?? {});
  t.spec ??= { containers: [] };
  addDaemonPodTolerations(t.spec);
  t.metadata ??= {};
  const labels = { ...(t.metadata.labels ?? {}) };
  const generation = templateGeneration(ds);
  if (generation !== undefined) labels[TEMPLATE_GENERATION_LABEL] = String(generation);
  if (hash) labels[REVISION_HASH_LABEL] = hash;
  t.metadata.labels = labels;
  return t;
}

interface NodePlan {
  nodesNeedingPods: string[];
  podsToDelete: string[];
}

export class DaemonSetsController {
  readonly expectations: DaemonSetExpectations;
  readonly failedPodsBackoff: KeyedBackoff;
  private readonly d: DaemonSetControllerDeps;
  private lastBackoffGC: number;

  constructor(deps: DaemonSetControllerDeps) {
    this.d = deps;
    this.expectations = new DaemonSetExpectations(deps.clock);
    this.failedPodsBackoff = new KeyedBackoff(deps.clock, FAILED_POD_BACKOFF_INITIAL_MS, FAILED_POD_BACKOFF_MAX_MS);
    this.lastBackoffGC = deps.clock.now();
  }

  // ---- event handlers ------------------------------------------------------

  daemonSetHandler(): ResourceEventHandler<DaemonSet> {
    return {
      add: (ds) => this.enqueue(ds),
      update: (old, cur) => {
        // Deleted and re-created between two events: the old one's expectations go.
        if (old.metadata?.uid !== cur.metadata?.uid) this.expectations.delete(objectKey(old));
        this.enqueue(cur);
      },
      delete: (ds) => {
        const key = objectKey(ds);
        this.expectations.delete(key);
        this.d.queue.add(key);
      },
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod),
    };
  }

  nodeHandler(): ResourceEventHandler<Node> {
    return {
      add: (node) => {
        for (const ds of this.d.daemonSets.list()) if (nodeShouldRunDaemonPod(node, ds).shouldRun) this.enqueue(ds);
      },
      update: (old, cur) => {
        // Only labels and taints decide eligibility.
        if (semanticEqual(old.metadata?.labels, cur.metadata?.labels) && semanticEqual(old.spec?.taints, cur.spec?.taints)) return;
        for (const ds of this.d.daemonSets.list()) {
          const a = nodeShouldRunDaemonPod(old, ds);
          const b = nodeShouldRunDaemonPod(cur, ds);
          if (a.shouldRun !== b.shouldRun || a.shouldContinueRunning !== b.shouldContinueRunning) this.enqueue(ds);
        }
      },
      // Upstream leaves a removed node's pods to the pod GC; here every
      // DaemonSet with a pod there looks again (status, and removing them).
      delete: (node) => {
        const name = node.metadata?.name;
        const owners = new Set<string>();
        for (const pod of this.d.pods.list()) {
          if (pod.spec?.nodeName !== name) continue;
          const ds = this.resolve(pod.metadata?.namespace, controllerOf(pod));
          if (ds) owners.add(objectKey(ds));
        }
        for (const ds of this.d.daemonSets.list()) {
          if (owners.has(objectKey(ds)) || nodeShouldRunDaemonPod(node, ds).shouldRun) this.enqueue(ds);
        }
      },
    };
  }

  revisionHandler(): ResourceEventHandler<ControllerRevision> {
    return {
      add: (cr) => {
        if (cr.metadata?.deletionTimestamp) { this.deleteRevision(cr); return; }
        const ref = controllerOf(cr);
        // An owned revision appearing changes nothing by itself (upstream does not enqueue).
        if (ref) return;
        for (const ds of this.matchingDaemonSets(cr)) this.enqueue(ds);
      },
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const curRef = controllerOf(cur);
        const oldRef = controllerOf(old);
        const refChanged = !jsonEqual(curRef, oldRef);
        if (refChanged && oldRef) {
          const ds = this.resolve(old.metadata?.namespace, oldRef);
          if (ds) this.enqueue(ds);
        }
        if (curRef) {
          const ds = this.resolve(cur.metadata?.namespace, curRef);
          if (ds) this.enqueue(ds);
          return;
        }
        if (refChanged || !jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) {
          for (const ds of this.matchingDaemonSets(cur)) this.enqueue(ds);
        }
      },
      delete: (cr) => this.deleteRevision(cr),
    };
  }

  private deleteRevision(cr: ControllerRevision): void {
    const ds = this.resolve(cr.metadata?.namespace, controllerOf(cr));
    if (ds) this.enqueue(ds);
  }

  private enqueue(ds: DaemonSet): void {
    this.d.queue.add(objectKey(ds));
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): DaemonSet | undefined {
    if (!ref || ref.kind !== 'DaemonSet') return undefined;
    const ds = this.d.daemonSets.get(ns, ref.name);
    return ds && ds.metadata?.uid === ref.uid ? ds : undefined;
  }

  /** DaemonSets in the object's namespace whose (non-empty) selector matches it: candidates to adopt an orphan. */
  private matchingDaemonSets(obj: Pod | ControllerRevision): DaemonSet[] {
    return this.d.daemonSets.list(obj.metadata?.namespace ?? '').filter((ds) => {
      const m = selectorOf(ds);
      return !!m && !m.empty && m.matches(obj.metadata?.labels);
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      // Seen for the first time already being deleted (e.g. after a restart): not a creation.
      this.deletePod(pod);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const ds = this.resolve(pod.metadata?.namespace, ref);
      if (!ds) return;
      this.expectations.creationObserved(objectKey(ds));
      this.enqueue(ds);
      return;
    }
    for (const ds of this.matchingDaemonSets(pod)) this.enqueue(ds);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return; // a resync
    if (cur.metadata?.deletionTimestamp) {
      // Graceful deletion started: act now rather than when the kubelet is done.
      this.deletePod(cur);
      return;
    }
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    if (refChanged && oldRef) {
      const ds = this.resolve(old.metadata?.namespace, oldRef);
      if (ds) this.enqueue(ds);
    }
    if (curRef) {
      const ds = this.resolve(cur.metadata?.namespace, curRef);
      if (!ds) return;
      this.enqueue(ds);
      // Became ready: available minReadySeconds later, and no event will say so.
      const minReady = ds.spec?.minReadySeconds ?? 0;
      if (!isPodReady(old) && isPodReady(cur) && minReady > 0) this.d.queue.addAfter(objectKey(ds), minReady * 1000 + 1000);
      return;
    }
    const labelsChanged = !jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {});
    if (labelsChanged || refChanged) for (const ds of this.matchingDaemonSets(cur)) this.enqueue(ds);
  }

  private deletePod(pod: Pod): void {
    const ds = this.resolve(pod.metadata?.namespace, controllerOf(pod));
    if (!ds) return;
    const key = objectKey(ds);
    this.expectations.deletionObserved(key);
    this.d.queue.add(key);
  }

  // ---- sync ----------------------------------------------------------------

  /** syncDaemonSet: idempotent; reads the caches, writes through the API. Throws to be retried. */
  async sync(key: string): Promise<void> {
    this.maybeCollectBackoff();
    const [ns, name] = splitKey(key);
    const ds = this.d.daemonSets.get(ns, name);
    if (!ds) {
      this.expectations.delete(key);
      return;
    }
    const nodes = this.d.nodes.list();
    const sel = ds.spec?.selector;
    // Exactly `{}` (validation refuses it; an object stored before that still gets the warning).
    if (sel && Object.keys(sel).length === 0) {
      this.d.recorder.event(ds, 'Warning', 'SelectingAll', 'This daemon set is selecting all pods. A non-empty selector is required.');
      return;
    }
    if (!selectorOf(ds)) {
      this.d.logger.warn({ daemonSet: key }, 'invalid selector; not syncing');
      return;
    }
    // Being deleted (foreground or orphan): its pods and revisions may already
    // be going, so neither status nor history can be trusted.
    if (ds.metadata?.deletionTimestamp) return;

    const { cur, old } = await this.constructHistory(ds);
    const hash = cur.metadata?.labels?.[REVISION_HASH_LABEL] ?? '';
    if (!this.expectations.satisfied(key)) {
      // Only status; the generation is not observed since nothing acted on it.
      await this.updateStatus(ds, nodes, hash, false);
      return;
    }
    let err: unknown;
    try {
      await this.updateDaemonSet(ds, nodes, hash, key, old);
    } catch (e) {
      err = e;
    }
    try {
      await this.updateStatus(ds, nodes, hash, true);
    } catch (statusErr) {
      if (!err) throw statusErr;
      this.d.logger.warn({ err: statusErr, daemonSet: key }, 'failed to update status');
    }
    if (err) throw err;
  }

  private maybeCollectBackoff(): void {
    const now = this.d.clock.now();
    if (now - this.lastBackoffGC < BACKOFF_GC_INTERVAL_MS) return;
    this.lastBackoffGC = now;
    this.failedPodsBackoff.gc(now);
  }

  private async updateDaemonSet(ds: DaemonSet, nodes: Node[], hash: string, key: string, old: ControllerRevision[]): Promise<void> {
    await this.manage(ds, nodes, hash);
    if (this.expectations.satisfied(key) && (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate') {
      const nodeToPods = groupByNode(await this.daemonPods(ds), false);
      const plan = planRollingUpdate(ds, nodes, nodeToPods, hash, this.d.clock.now());
      await this.syncNodes(ds, plan.podsToDelete, plan.nodesToCreate, hash);
    }
    try {
      await this.cleanupHistory(ds, old);
    } catch (e) {
      throw new Error(`failed to clean up revisions of DaemonSet: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** getDaemonPods: the pods the DaemonSet owns, adopting matching orphans and releasing owned pods it no longer selects. */
  async daemonPods(ds: DaemonSet): Promise<Pod[]> {
    const ns = ds.metadata!.namespace!;
    const selector = selectorOf(ds)!;
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const { claimed, errors } = await claimObjects(this.d.pods.list(ns), {
      owner: ds,
      match: (p) => selector.matches(p.metadata?.labels),
      canAdopt: () => this.recheckNotDeleted(ds),
      adopt: (p) => this.d.api.patchPod(ns, p.metadata!.name!, adoptPatch(ref, p.metadata?.uid)),
      release: (p) => this.d.api.patchPod(ns, p.metadata!.name!, releasePatch(ds.metadata!.uid!, p.metadata?.uid)),
    });
    if (errors.length) throw aggregate(errors);
    return claimed;
  }

  /** RecheckDeletionTimestamp with an uncached read: never adopt into a DaemonSet that is gone or going. */
  private async recheckNotDeleted(ds: DaemonSet): Promise<void> {
    const fresh = await this.d.api.getDaemonSet(ds.metadata!.namespace!, ds.metadata!.name!);
    if (fresh.metadata?.uid !== ds.metadata?.uid) {
      throw new Error(`original DaemonSet ${ds.metadata?.namespace}/${ds.metadata?.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${ds.metadata?.uid}`);
    }
    if (fresh.metadata?.deletionTimestamp) {
      throw new Error(`${ds.metadata?.namespace}/${ds.metadata?.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
    }
  }

  // ---- pods per node ---------------------------------------------------------

  /** manage: create pods where missing, delete them where not wanted (or failed, or duplicated). */
  private async manage(ds: DaemonSet, nodes: Node[], hash: string): Promise<void> {
    const nodeToPods = groupByNode(await this.daemonPods(ds), false);
    const create: string[] = [];
    const remove: string[] = [];
    for (const node of nodes) {
      const plan = this.podsShouldBeOnNode(node, nodeToPods, ds, hash);
      create.push(...plan.nodesNeedingPods);
      remove.push(...plan.podsToDelete);
    }
    const force = await this.podsOnMissingNodes(ds, nodes, nodeToPods, remove);
    await this.syncNodes(ds, remove, create, hash, force);
  }

  /** podsShouldBeOnNode: what to create and delete on one node. */
  podsShouldBeOnNode(node: Node, nodeToPods: Map<string, Pod[]>, ds: DaemonSet, hash: string): NodePlan {
    const nodeName = node.metadata?.name ?? '';
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(nodeName);
    const out: NodePlan = { nodesNeedingPods: [], podsToDelete: [] };
    if (shouldRun && !pods) {
      out.nodesNeedingPods.push(nodeName);
      return out;
    }
    if (!pods) return out;
    if (!shouldContinueRunning) {
      for (const p of pods) if (!p.metadata?.deletionTimestamp) out.podsToDelete.push(p.metadata!.name!);
      return out;
    }
    const running: Pod[] = [];
    for (const p of pods) {
      if (p.metadata?.deletionTimestamp) continue;
      const phase = p.status?.phase;
      if (phase === 'Failed') {
        // The DaemonSet often fights a kubelet that rejects its pods: back off per node.
        const backoffKey = failedPodsBackoffKey(ds, nodeName);
        const now = this.d.clock.now();
        if (this.failedPodsBackoff.inBackoffSinceUpdate(backoffKey, now)) {
          const delay = this.failedPodsBackoff.get(backoffKey);
          this.d.logger.debug({ pod: objectKey(p), node: nodeName, delayMs: delay }, 'deleting failed pod on node has been limited by backoff');
          this.d.queue.addAfter(objectKey(ds), delay);
          continue;
        }
        this.failedPodsBackoff.next(backoffKey, now);
        this.d.recorder.event(ds, 'Warning', 'FailedDaemonPod',
          `Found failed daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${nodeName}, will try to kill it`);
        out.podsToDelete.push(p.metadata!.name!);
      } else if (phase === 'Succeeded') {
        this.d.recorder.event(ds, 'Normal', 'SucceededDaemonPod',
          `Found succeeded daemon pod ${p.metadata?.namespace}/${p.metadata?.name} on node ${nodeName}, will try to delete it`);
        out.podsToDelete.push(p.metadata!.name!);
      } else {
        running.push(p);
      }
    }
    running.sort(compareDaemonPods);
    if (!allowsSurge(ds)) {
      // One pod per node: keep the oldest.
      for (const p of running.slice(1)) out.podsToDelete.push(p.metadata!.name!);
      return out;
    }
    if (running.length <= 1) {
      // Surging needs at least one live pod on the node.
      if (running.length === 0 && shouldRun) out.nodesNeedingPods.push(nodeName);
      return out;
    }
    // With surge, two pods may share a node only while the oldest new one is
    // not yet available and the oldest old one is still ready.
    let oldestNew: Pod | undefined;
    let oldestOld: Pod | undefined;
    for (const p of running) {
      if (p.metadata?.labels?.[REVISION_HASH_LABEL] === hash) {
        if (!oldestNew) { oldestNew = p; continue; }
      } else if (!oldestOld) {
        oldestOld = p;
        continue;
      }
      out.podsToDelete.push(p.metadata!.name!);
    }
    if (oldestNew && oldestOld) {
      if (!isPodReady(oldestOld) || isPodAvailable(oldestNew, ds.spec?.minReadySeconds ?? 0, this.d.clock.now())) {
        out.podsToDelete.push(oldestOld.metadata!.name!);
      }
    }
    return out;
  }

  /**
   * Pods for nodes that no longer exist. Unscheduled ones would never be
   * scheduled (upstream getUnscheduledPodsWithoutNode); bound ones upstream's
   * pod GC force-deletes — done here too, once an uncached read confirms the
   * node is gone, so a removed node's daemon pod goes without a pod GC.
   * Adds them to `remove`; returns the names to delete with no grace period.
   */
  private async podsOnMissingNodes(ds: DaemonSet, nodes: Node[], nodeToPods: Map<string, Pod[]>, remove: string[]): Promise<Set<string>> {
    const known = new Set(nodes.map((n) => n.metadata?.name ?? ''));
    const force = new Set<string>();
    for (const [nodeName, pods] of nodeToPods) {
      if (known.has(nodeName)) continue;
      for (const p of pods) if (!p.spec?.nodeName) remove.push(p.metadata!.name!);
      const bound = pods.filter((p) => p.spec?.nodeName);
      if (bound.length === 0) continue;
      try {
        await this.d.api.getNode(nodeName);
        continue; // the cache lags: the node exists
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      for (const p of bound) {
        remove.push(p.metadata!.name!);
        force.add(p.metadata!.name!);
      }
    }
    return force;
  }

  /** syncNodes: deletes `podsToDelete`, creates a pod for each of `nodesNeedingPods` (slow start), within BurstReplicas. */
  private async syncNodes(ds: DaemonSet, podsToDelete: string[], nodesNeedingPods: string[], hash: string, force = new Set<string>()): Promise<void> {
    const key = objectKey(ds);
    const burst = this.d.burstReplicas ?? BURST_REPLICAS;
    const createDiff = Math.min(nodesNeedingPods.length, burst);
    const deleteDiff = Math.min(podsToDelete.length, burst);
    // Before the first call: its informer event may arrive before the call returns.
    this.expectations.set(key, createDiff, deleteDiff);
    const errors: unknown[] = [];
    const ns = ds.metadata!.namespace!;
    const template = daemonPodTemplate(ds, hash);
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');

    let pos = 0;
    for (let batch = Math.min(createDiff, 1); pos < createDiff; batch = Math.min(2 * batch, createDiff - pos)) {
      const before = errors.length;
      const targets = nodesNeedingPods.slice(pos, pos + batch);
      await Promise.all(targets.map(async (nodeName) => {
        try {
          await this.createPod(ds, template, nodeName, ref);
        } catch (e) {
          // In a namespace being deleted every create fails: nothing to report.
          if (isNamespaceTerminating(e)) return;
          this.expectations.creationObserved(key);
          errors.push(e);
        }
      }));
      pos += batch;
      const skipped = createDiff - pos;
      if (errors.length > before && skipped > 0) {
        // Slow start: a failing batch stops the rest; they are retried on the next sync.
        this.expectations.lower(key, skipped, 0);
        break;
      }
    }

    await Promise.all(podsToDelete.slice(0, deleteDiff).map(async (name) => {
      try {
        await this.removePod(ds, name, force.has(name));
      } catch (e) {
        this.expectations.deletionObserved(key);
        if (!isNotFound(e)) errors.push(e);
      }
    }));
    if (errors.length) throw aggregate(errors);
  }

  private async createPod(ds: DaemonSet, template: PodTemplateSpec, nodeName: string, ref: OwnerReference): Promise<void> {
    const pod = podFromTemplate(template, ds.metadata!.name!, ref);
    // Pinned to the node; the scheduler binds it there.
    pod.spec!.affinity = replaceNodeNameAffinity(pod.spec?.affinity, nodeName);
    if (!pod.metadata?.labels || Object.keys(pod.metadata.labels).length === 0) throw new Error('unable to create pods, no labels');
    let created: Pod;
    try {
      created = await this.d.api.createPod(ds.metadata!.namespace!, pod);
    } catch (e) {
      if (!isNamespaceTerminating(e)) this.d.recorder.eventf(ds, 'Warning', 'FailedCreate', 'Error creating: %s', errorMessage(e));
      throw e;
    }
    this.d.recorder.eventf(ds, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
  }

  private async removePod(ds: DaemonSet, name: string, force: boolean): Promise<void> {
    try {
      await this.d.api.deletePod(ds.metadata!.namespace!, name, force ? { gracePeriodSeconds: 0 } : undefined);
    } catch (e) {
      if (isNotFound(e)) throw e;
      this.d.recorder.eventf(ds, 'Warning', 'FailedDelete', 'Error deleting: %s', errorMessage(e));
      throw new Error(`unable to delete pods: ${errorMessage(e)}`, { cause: e });
    }
    this.d.recorder.eventf(ds, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', name);
  }

  // ---- history -------------------------------------------------------------------

  /** controlledHistories: revisions the DaemonSet owns, adopting and releasing like pods. */
  private async controlledRevisions(ds: DaemonSet): Promise<ControllerRevision[]> {
    const ns = ds.metadata!.namespace!;
    const selector = selectorOf(ds)!;
    const ref = newControllerRef(ds, 'apps/v1', 'DaemonSet');
    const { claimed, errors } = await claimObjects(this.d.revisions.list(ns), {
      owner: ds,
      match: (cr) => selector.matches(cr.metadata?.labels),
      canAdopt: () => this.recheckNotDeleted(ds),
      adopt: (cr) => this.d.api.patchRevision(ns, cr.metadata!.name!, adoptPatch(ref, cr.metadata?.uid)),
      release: (cr) => this.d.api.patchRevision(ns, cr.metadata!.name!, releasePatch(ds.metadata!.uid!, cr.metadata?.uid)),
    });
    if (errors.length) throw aggregate(errors);
    return claimed;
  }

  /**
   * constructHistory: the revision matching the current template (created if
   * missing, deduplicated if several, renumbered to be the newest) and the others.
   */
  async constructHistory(ds: DaemonSet): Promise<{ cur: ControllerRevision; old: ControllerRevision[] }> {
    const ns = ds.metadata!.namespace!;
    const current: ControllerRevision[] = [];
    const old: ControllerRevision[] = [];
    for (let cr of await this.controlledRevisions(ds)) {
      if (!cr.metadata?.labels?.[REVISION_HASH_LABEL]) {
        // Older revisions may lack the label: the name stands in for the hash.
        const next = structuredClone(cr);
        next.metadata!.labels = { ...(next.metadata!.labels ?? {}), [REVISION_HASH_LABEL]: next.metadata!.name! };
        cr = await this.d.api.updateRevision(ns, next);
      }
      if (revisionMatches(ds, cr)) current.push(cr); else old.push(cr);
    }
    const currRevision = maxRevision(old) + 1;
    let cur: ControllerRevision;
    if (current.length === 0) {
      cur = await this.snapshot(ds, currRevision);
    } else {
      cur = await this.dedupCurrentRevisions(ds, current);
      if ((cur.revision ?? 0) < currRevision) {
        // Rolled back to an older template: it becomes the newest revision again.
        const next = structuredClone(cur);
        next.revision = currRevision;
        cur = await this.d.api.updateRevision(ns, next);
      }
    }
    return { cur, old };
  }

  private async dedupCurrentRevisions(ds: DaemonSet, current: ControllerRevision[]): Promise<ControllerRevision> {
    if (current.length === 1) return current[0];
    let keep = current[0];
    for (const cr of current) if ((cr.revision ?? 0) >= (keep.revision ?? 0)) keep = cr;
    const keepHash = keep.metadata?.labels?.[REVISION_HASH_LABEL] ?? '';
    const ns = ds.metadata!.namespace!;
    for (const cr of current) {
      if (cr.metadata?.name === keep.metadata?.name) continue;
      // Relabel pods before the duplicate goes, so none points at a missing revision.
      for (const p of await this.daemonPods(ds)) {
        if (p.metadata?.labels?.[REVISION_HASH_LABEL] !== keepHash) {
          await this.d.api.patchPod(ns, p.metadata!.name!, { metadata: { labels: { [REVISION_HASH_LABEL]: keepHash } } });
        }
      }
      try {
        await this.d.api.deleteRevision(ns, cr.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return keep;
  }

  /** snapshot: creates the revision; a name taken by a different template is a hash collision, resolved by bumping status.collisionCount. */
  private async snapshot(ds: DaemonSet, revision: number): Promise<ControllerRevision> {
    const ns = ds.metadata!.namespace!;
    const cr = newRevision(ds, revision);
    try {
      return await this.d.api.createRevision(ns, cr);
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      const existing = await this.d.api.getRevision(ns, cr.metadata!.name!);
      if (revisionMatches(ds, existing)) return existing;
      const fresh = await this.d.api.getDaemonSet(ns, ds.metadata!.name!);
      if ((fresh.status?.collisionCount ?? undefined) !== (ds.status?.collisionCount ?? undefined)) {
        throw new Error(`found a stale collision count (${ds.status?.collisionCount}, expected ${fresh.status?.collisionCount}) of DaemonSet "${ds.metadata?.name}" while processing; will retry until it is updated`);
      }
      const base = fresh.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
      const collisionCount = (base.collisionCount ?? 0) + 1;
      await this.d.api.updateDaemonSetStatus({ ...fresh, status: { ...base, collisionCount } });
      this.d.logger.info({ daemonSet: objectKey(ds), collisionCount }, 'found a hash collision for DaemonSet; bumping collisionCount to resolve it');
      throw e;
    }
  }

  /** cleanupHistory: deletes the oldest revisions beyond revisionHistoryLimit that no live pod uses. */
  private async cleanupHistory(ds: DaemonSet, old: ControllerRevision[]): Promise<void> {
    const toKeep = ds.spec?.revisionHistoryLimit ?? 10;
    let toKill = old.length - toKeep;
    if (toKill <= 0) return;
    const live = new Set<string>();
    for (const p of await this.daemonPods(ds)) {
      const h = p.metadata?.labels?.[REVISION_HASH_LABEL];
      if (h) live.add(h);
    }
    const sorted = [...old].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
    for (const cr of sorted) {
      if (toKill <= 0) break;
      if (live.has(cr.metadata?.labels?.[REVISION_HASH_LABEL] ?? '')) continue;
      try {
        await this.d.api.deleteRevision(ds.metadata!.namespace!, cr.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
      toKill--;
    }
  }

  // ---- status --------------------------------------------------------------------

  /** updateDaemonSetStatus: writes only on change; one retry on a fresh read. */
  private async updateStatus(ds: DaemonSet, nodes: Node[], hash: string, observeGeneration: boolean): Promise<void> {
    const nodeToPods = groupByNode(await this.daemonPods(ds), false);
    const counts = calculateDaemonSetCounts(ds, nodes, nodeToPods, hash, this.d.clock.now());
    if (!daemonSetStatusUnchanged(ds, counts)) {
      let toUpdate: DaemonSet = ds;
      for (let i = 0; ; i++) {
        const observed = observeGeneration ? ds.metadata?.generation : toUpdate.status?.observedGeneration;
        const status = daemonSetStatus(toUpdate.status, counts, observed);
        try {
          await this.d.api.updateDaemonSetStatus({ ...toUpdate, status });
          break;
        } catch (e) {
          if (i >= STATUS_UPDATE_RETRIES) throw e;
          toUpdate = await this.d.api.getDaemonSet(ds.metadata!.namespace!, ds.metadata!.name!);
        }
      }
    }
    // Availability comes minReadySeconds after readiness, with no event to say so.
    const minReady = ds.spec?.minReadySeconds ?? 0;
    if (minReady > 0 && counts.numberReady !== counts.numberAvailable) this.d.queue.addAfter(objectKey(ds), minReady * 1000);
  }
}
