// The Deployment controller (upstream pkg/controller/deployment): a
// Deployment owns ReplicaSets, one per pod template (named
// `<deployment>-<pod-template-hash>`), and moves replicas from the old ones to
// the new one — RollingUpdate within maxSurge/maxUnavailable, or Recreate
// (all old pods gone before any new one). It keeps revision annotations (so
// `kubectl rollout history|undo` work), scales proportionally when resized
// mid-rollout, prunes history beyond revisionHistoryLimit, and reports
// progress through the Progressing and Available conditions.
//
// One sync (class Sync below) follows upstream's syncDeployment step by step;
// the arithmetic lives in util.ts.

import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelSelector, OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import {
  isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, type EventRecorder, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { adoptPatch, claimObjects, releasePatch } from '../replicaset/controller-ref.ts';
import { aggregate, controllerOf, errorMessage, isNamespaceTerminating, jsonEqual, newControllerRef } from '../replicaset/util.ts';
import {
  byRevision, calculateStatus, computeHash, deploymentComplete, deploymentProgressing, deploymentStatusEqual, deploymentTimedOut,
  desiredReplicasAnnotation, equalIgnoreHash, filterActive, findActiveOrLatest, findNewReplicaSet, findOldReplicaSets, fromReplicaSetCondition,
  getCondition, hasProgressDeadline, hasRevisionHistoryLimit, isRollingUpdate, isSaturated, maxRevision, maxScaledDown, maxSurge, newCondition,
  newRSNewReplicas, normalizeDeploymentStatus, planCleanupUnhealthy, planScaleDownOld, POD_TEMPLATE_HASH, proportionalSizes, Reason, removeCondition,
  replicaCount, replicasAnnotationsNeedUpdate, replicasOf, REVISION, setCondition, setDeploymentRevision, setNewReplicaSetAnnotations,
  setReplicasAnnotations, actualReplicaCount,
} from './util.ts';

/** Upstream's --concurrent-deployment-syncs. */
export const DEFAULT_WORKERS = 5;

/** The API calls the controller makes; a fake records them in tests. */
export interface DeploymentApi {
  /** An uncached read (adoption recheck). */
  getDeployment(namespace: string, name: string): Promise<Deployment>;
  updateDeploymentStatus(d: Deployment): Promise<Deployment>;
  /** Merge patch of the main resource (the revision annotation). */
  createReplicaSet(namespace: string, rs: ReplicaSet): Promise<ReplicaSet>;
  updateReplicaSet(rs: ReplicaSet): Promise<ReplicaSet>;
  /** Strategic merge patch (adoption, release). */
  patchReplicaSet(namespace: string, name: string, patch: object): Promise<ReplicaSet>;
  deleteReplicaSet(namespace: string, name: string): Promise<void>;
}

export function restDeploymentApi(client: RestClient): DeploymentApi {
  const ds = client.resource<Deployment>('apps/v1', 'Deployment');
  const rss = client.resource<ReplicaSet>('apps/v1', 'ReplicaSet');
  return {
    getDeployment: (ns, name) => ds.namespace(ns).get(name),
    updateDeploymentStatus: (d) => ds.namespace(d.metadata!.namespace!).updateStatus(d),
    createReplicaSet: (ns, rs) => rss.namespace(ns).create(rs),
    updateReplicaSet: (rs) => rss.namespace(rs.metadata!.namespace!).update(rs),
    patchReplicaSet: (ns, name, patch) => rss.namespace(ns).patch(name, 'strategic', patch),
    deleteReplicaSet: async (ns, name) => { await rss.namespace(ns).delete(name); },
  };
}

export type Recorder = Pick<EventRecorder, 'event' | 'eventf'>;

export interface DeploymentControllerDeps {
  deployments: Lister<Deployment>;
  replicaSets: Lister<ReplicaSet>;
  pods: Lister<Pod>;
  api: DeploymentApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
}

const matchers = new WeakMap<object, LabelMatcher>();

function selectorOf(sel: LabelSelector | undefined): LabelMatcher | undefined {
  if (!sel) return undefined;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { return undefined; }
    matchers.set(sel, m);
  }
  return m;
}

function selectsEverything(sel: LabelSelector | undefined): boolean {
  return !!sel && Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

export class DeploymentController {
  constructor(readonly deps: DeploymentControllerDeps) {}

  // ---- event handlers ------------------------------------------------------

  deploymentHandler(): ResourceEventHandler<Deployment> {
    return {
      add: (d) => this.enqueue(d),
      update: (_old, cur) => this.enqueue(cur),
      delete: (d) => this.enqueue(d),
    };
  }

  replicaSetHandler(): ResourceEventHandler<ReplicaSet> {
    return {
      add: (rs) => {
        if (rs.metadata?.deletionTimestamp) { this.deletedReplicaSet(rs); return; }
        const ref = controllerOf(rs);
        if (ref) {
          const d = this.resolve(rs.metadata?.namespace, ref);
          if (d) this.enqueue(d);
          return;
        }
        for (const d of this.deploymentsFor(rs)) this.enqueue(d);
      },
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const curRef = controllerOf(cur);
        const oldRef = controllerOf(old);
        const refChanged = !jsonEqual(curRef, oldRef);
        if (refChanged && oldRef) {
          const d = this.resolve(old.metadata?.namespace, oldRef);
          if (d) this.enqueue(d);
        }
        if (curRef) {
          const d = this.resolve(cur.metadata?.namespace, curRef);
          if (d) this.enqueue(d);
          return;
        }
        const labelsChanged = !jsonEqual(cur.metadata?.labels ?? {}, old.metadata?.labels ?? {});
        if (labelsChanged || refChanged) for (const d of this.deploymentsFor(cur)) this.enqueue(d);
      },
      delete: (rs) => this.deletedReplicaSet(rs),
    };
  }

  /** Only Recreate cares about pods: it waits for the last old pod to be gone. */
  podHandler(): ResourceEventHandler<Pod> {
    return {
      delete: (pod) => {
        const rsRef = controllerOf(pod);
        if (!rsRef || rsRef.kind !== 'ReplicaSet') return;
        const ns = pod.metadata?.namespace ?? '';
        const rs = this.deps.replicaSets.get(ns, rsRef.name);
        if (!rs || rs.metadata?.uid !== rsRef.uid) return;
        const d = this.resolve(ns, controllerOf(rs));
        if (!d || d.spec?.strategy?.type !== 'Recreate') return;
        const owned = new Set(this.deps.replicaSets.list(ns).filter((r) => controllerOf(r)?.uid === d.metadata?.uid).map((r) => r.metadata?.uid));
        const sel = selectorOf(d.spec?.selector);
        const remaining = sel ? this.deps.pods.list(ns, sel).filter((p) => owned.has(controllerOf(p)?.uid)).length : 0;
        if (remaining === 0) this.enqueue(d);
      },
    };
  }

  private deletedReplicaSet(rs: ReplicaSet): void {
    const d = this.resolve(rs.metadata?.namespace, controllerOf(rs));
    if (d) this.enqueue(d);
  }

  enqueue(d: Deployment): void {
    this.deps.queue.add(objectKey(d));
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): Deployment | undefined {
    if (!ref || ref.kind !== 'Deployment') return undefined;
    const d = this.deps.deployments.get(ns, ref.name);
    return d && d.metadata?.uid === ref.uid ? d : undefined;
  }

  /** Deployments whose (non-empty) selector matches an orphan ReplicaSet: candidates to adopt it. */
  private deploymentsFor(rs: ReplicaSet): Deployment[] {
    return this.deps.deployments.list(rs.metadata?.namespace ?? '').filter((d) => {
      const m = selectorOf(d.spec?.selector);
      return !!m && !m.empty && m.matches(rs.metadata?.labels);
    });
  }

  // ---- sync ----------------------------------------------------------------

  /** syncDeployment: idempotent; reads the caches, writes through the API. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.deps.deployments.get(ns, name);
    if (!cached) return;
    try {
      await new Sync(this.deps, structuredClone(cached) as Deployment).run();
    } catch (e) {
      // Every write fails in a namespace being deleted: nothing to retry.
      if (isNamespaceTerminating(e)) return;
      throw e;
    }
  }
}

/** One syncDeployment: the Deployment (a private copy) and its ReplicaSets, updated as this sync writes them. */
class Sync {
  private rsList: ReplicaSet[] = [];
  private podMap = new Map<string, Pod[]>();
  private readonly ns: string;
  private readonly key: string;

  constructor(private readonly deps: DeploymentControllerDeps, private d: Deployment) {
    this.ns = d.metadata?.namespace ?? '';
    this.key = objectKey(d);
    d.status ??= {};
  }

  private now(): number { return this.deps.clock.now(); }
  private get replicas(): number { return replicasOf(this.d); }

  async run(): Promise<void> {
    const d = this.d;
    if (selectsEverything(d.spec?.selector)) {
      this.deps.recorder.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
      if ((d.status?.observedGeneration ?? 0) < (d.metadata?.generation ?? 0)) {
        d.status!.observedGeneration = d.metadata?.generation;
        await this.writeStatus();
      }
      return;
    }
    await this.claimReplicaSets();
    this.buildPodMap();
    if (d.metadata?.deletionTimestamp) return this.syncStatusOnly();
    await this.checkPausedConditions();
    if (d.spec?.paused) return this.syncScale();
    if (await this.isScalingEvent()) return this.syncScale();
    const type = d.spec?.strategy?.type ?? 'RollingUpdate';
    if (type === 'Recreate') return this.rolloutRecreate();
    if (type === 'RollingUpdate') return this.rolloutRolling();
    throw new Error(`unexpected deployment strategy type: ${type}`);
  }

  // ---- reading -----------------------------------------------------------------

  /** getReplicaSetsForDeployment: adopt matching orphans, release owned non-matching ones. */
  private async claimReplicaSets(): Promise<void> {
    const d = this.d;
    const selector = labelSelectorMatcher(d.spec?.selector);
    const ref = newControllerRef(d, 'apps/v1', 'Deployment');
    const { claimed, errors } = await claimObjects(this.deps.replicaSets.list(this.ns), {
      owner: d,
      match: (rs) => selector.matches(rs.metadata?.labels),
      canAdopt: async () => {
        const fresh = await this.deps.api.getDeployment(this.ns, d.metadata!.name!);
        if (fresh.metadata?.uid !== d.metadata?.uid) {
          throw new Error(`original Deployment ${this.key} is gone: got uid ${fresh.metadata?.uid}, wanted ${d.metadata?.uid}`);
        }
        if (fresh.metadata?.deletionTimestamp) throw new Error(`${this.key} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
      adopt: async (rs) => { await this.deps.api.patchReplicaSet(this.ns, rs.metadata!.name!, adoptPatch(ref, rs.metadata?.uid)); },
      release: async (rs) => { await this.deps.api.patchReplicaSet(this.ns, rs.metadata!.name!, releasePatch(d.metadata!.uid!, rs.metadata?.uid)); },
    });
    if (errors.length) throw aggregate(errors);
    this.rsList = [...claimed];
  }

  /** getPodMapForDeployment: the selected pods, by the uid of the claimed ReplicaSet controlling them. */
  private buildPodMap(): void {
    const sel = selectorOf(this.d.spec?.selector);
    for (const rs of this.rsList) this.podMap.set(rs.metadata!.uid!, []);
    if (!sel) return;
    for (const p of this.deps.pods.list(this.ns, sel)) {
      const list = this.podMap.get(controllerOf(p)?.uid ?? '');
      if (list) list.push(p);
    }
  }

  /** The latest copy of `rs` this sync knows (after its own writes). */
  private fresh(rs: ReplicaSet): ReplicaSet;
  private fresh(rs: ReplicaSet | undefined): ReplicaSet | undefined;
  private fresh(rs: ReplicaSet | undefined): ReplicaSet | undefined {
    if (!rs) return undefined;
    return this.rsList.find((r) => r.metadata?.uid === rs.metadata?.uid) ?? rs;
  }

  private remember(rs: ReplicaSet): ReplicaSet {
    const i = this.rsList.findIndex((r) => r.metadata?.uid === rs.metadata?.uid);
    if (i >= 0) this.rsList[i] = rs; else this.rsList.push(rs);
    return rs;
  }

  // ---- writing the Deployment ----------------------------------------------------------

  /** UpdateStatus; like upstream, it also carries the revision annotation (status writes keep annotations). */
  private async writeStatus(): Promise<void> {
    const d = this.d;
    const status = normalizeDeploymentStatus(d.status ?? {});
    const updated = await this.deps.api.updateDeploymentStatus({ ...d, status });
    d.metadata = { ...d.metadata, resourceVersion: updated.metadata?.resourceVersion };
    d.status = status;
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.deps.recorder.event(this.d, type, reason, message);
  }

  // ---- revisions and the new ReplicaSet --------------------------------------------------

  /** getAllReplicaSetsAndSyncRevision. */
  private async allReplicaSets(create: boolean): Promise<{ newRS: ReplicaSet | undefined; oldRSs: ReplicaSet[] }> {
    const { all } = findOldReplicaSets(this.d, this.rsList);
    const newRS = await this.newReplicaSet(all, create);
    return { newRS, oldRSs: findOldReplicaSets(this.d, this.rsList).all };
  }

  /**
   * getNewReplicaSet: the ReplicaSet of the current template, its annotations
   * and the Deployment's revision brought up to date; created (when `create`)
   * if there is none.
   */
  private async newReplicaSet(oldRSs: ReplicaSet[], create: boolean): Promise<ReplicaSet | undefined> {
    const d = this.d;
    const existing = findNewReplicaSet(d, this.rsList);
    const newRevision = maxRevision(oldRSs) + 1;

    if (existing) {
      const copy = structuredClone(existing) as ReplicaSet;
      const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
      const minReadyChanged = (copy.spec?.minReadySeconds ?? 0) !== (d.spec?.minReadySeconds ?? 0);
      if (annotationsUpdated || minReadyChanged) {
        copy.spec!.minReadySeconds = d.spec?.minReadySeconds;
        if (!copy.spec!.minReadySeconds) delete copy.spec!.minReadySeconds;
        return this.remember(await this.deps.api.updateReplicaSet(copy));
      }
      let needsUpdate = setDeploymentRevision(d, copy.metadata?.annotations?.[REVISION] ?? '');
      if (hasProgressDeadline(d) && !getCondition(d.status, 'Progressing')) {
        setCondition(d.status!, newCondition('Progressing', 'True', Reason.FoundNewRS, `Found new replica set "${copy.metadata?.name}"`, this.now()));
        needsUpdate = true;
      }
      if (needsUpdate) await this.writeStatus();
      return copy;
    }
    if (!create) return undefined;

    const hash = computeHash(d.spec?.template, d.status?.collisionCount);
    const template = structuredClone(d.spec?.template ?? {});
    const labels = { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH]: hash };
    template.metadata = { ...(template.metadata ?? {}), labels };
    const selector: LabelSelector = structuredClone(d.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH]: hash };
    const name = `${d.metadata!.name}-${hash}`;
    const rs: ReplicaSet = {
      apiVersion: 'apps/v1', kind: 'ReplicaSet',
      metadata: { name, namespace: this.ns, ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')], labels: { ...labels } },
      spec: { replicas: 0, selector, template },
    };
    if (d.spec?.minReadySeconds) rs.spec!.minReadySeconds = d.spec.minReadySeconds;
    const replicas = newRSNewReplicas(d, [...oldRSs, rs], rs);
    rs.spec!.replicas = replicas;
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    let createdRS: ReplicaSet;
    let alreadyExists = false;
    try {
      createdRS = await this.deps.api.createReplicaSet(this.ns, rs);
    } catch (e) {
      if (isAlreadyExists(e)) {
        // A slow cache, or a hash collision with a ReplicaSet that is not ours.
        const found = this.deps.replicaSets.get(this.ns, name);
        if (!found) throw e;
        if (controllerOf(found)?.uid === d.metadata?.uid && equalIgnoreHash(d.spec?.template, found.spec?.template)) {
          createdRS = found;
          alreadyExists = true;
        } else {
          d.status!.collisionCount = (d.status?.collisionCount ?? 0) + 1;
          await this.writeStatus().catch(() => undefined);
          this.deps.logger.info({ deployment: this.key, collisionCount: d.status!.collisionCount }, 'hash collision; bumped collisionCount');
          throw e;
        }
      } else if (isNamespaceTerminating(e)) {
        throw e;
      } else {
        const msg = `Failed to create new replica set "${name}": ${errorMessage(e)}`;
        if (hasProgressDeadline(d)) {
          setCondition(d.status!, newCondition('Progressing', 'False', Reason.FailedRSCreate, msg, this.now()));
          await this.writeStatus().catch(() => undefined);
        }
        this.event('Warning', Reason.FailedRSCreate, msg);
        throw e;
      }
    }
    this.remember(createdRS);
    if (!alreadyExists && replicas > 0) {
      this.event('Normal', 'ScalingReplicaSet', `Scaled up replica set ${createdRS.metadata?.name} from 0 to ${replicas}`);
    }
    let needsUpdate = setDeploymentRevision(d, String(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(d.status!, newCondition('Progressing', 'True', Reason.NewReplicaSet, `Created new replica set "${createdRS.metadata?.name}"`, this.now()));
      needsUpdate = true;
    }
    if (needsUpdate) await this.writeStatus();
    return createdRS;
  }

  // ---- scaling ---------------------------------------------------------------------------

  /** scaleReplicaSet: writes a new size and/or the desired/max-replicas annotations; an event when the size changed. */
  private async scaleReplicaSet(rs: ReplicaSet, size: number, op: string): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    const d = this.d;
    const desired = this.replicas;
    const max = desired + maxSurge(d);
    const sizeChanged = replicasOf(rs) !== size;
    if (!sizeChanged && !replicasAnnotationsNeedUpdate(rs, desired, max)) return { scaled: false, rs };
    const from = replicasOf(rs);
    const copy = structuredClone(rs) as ReplicaSet;
    copy.spec = { ...(copy.spec ?? { selector: {} }), replicas: size } as ReplicaSet['spec'];
    setReplicasAnnotations(copy, desired, max);
    const updated = this.remember(await this.deps.api.updateReplicaSet(copy));
    if (sizeChanged) {
      this.event('Normal', 'ScalingReplicaSet', `Scaled ${op === 'up' ? 'up' : 'down'} replica set ${updated.metadata?.name} from ${from} to ${size}`);
    }
    return { scaled: sizeChanged, rs: updated };
  }

  private scaleAndRecord(rs: ReplicaSet, size: number): Promise<{ scaled: boolean; rs: ReplicaSet }> {
    rs = this.fresh(rs);
    if (replicasOf(rs) === size) return Promise.resolve({ scaled: false, rs });
    return this.scaleReplicaSet(rs, size, replicasOf(rs) < size ? 'up' : 'down');
  }

  /** isScalingEvent: an active ReplicaSet was sized for a different spec.replicas. */
  private async isScalingEvent(): Promise<boolean> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    for (const rs of filterActive([...oldRSs, newRS])) {
      const desired = desiredReplicasAnnotation(rs);
      if (desired !== undefined && desired !== this.replicas) return true;
    }
    return false;
  }

  /** scale: a resize (or a paused Deployment), spread over the active ReplicaSets. */
  private async scale(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    const one = findActiveOrLatest(newRS, oldRSs);
    if (one) {
      if (replicasOf(one) !== this.replicas) await this.scaleAndRecord(one, this.replicas);
      return;
    }
    if (isSaturated(d, newRS)) {
      for (const old of filterActive(oldRSs)) await this.scaleAndRecord(old, 0);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const active = filterActive([...oldRSs, newRS]);
    const allowed = this.replicas > 0 ? this.replicas + maxSurge(d) : 0;
    const toAdd = allowed - replicaCount(active);
    const op = toAdd > 0 ? 'up' : 'down';
    for (const { rs, size } of proportionalSizes(d, active)) await this.scaleReplicaSet(this.fresh(rs), size, op);
  }

  /** sync: scale only (paused, or resized), then status. */
  private async syncScale(): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    await this.scale(newRS, oldRSs);
    if (this.d.spec?.paused) await this.cleanup(oldRSs);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  private async syncStatusOnly(): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(false);
    await this.syncDeploymentStatus([...oldRSs, newRS], newRS);
  }

  // ---- rolling update ------------------------------------------------------------------------

  private async rolloutRolling(): Promise<void> {
    const { newRS, oldRSs } = await this.allReplicaSets(true);
    const all = (): (ReplicaSet | undefined)[] => [...oldRSs, newRS].map((rs) => this.fresh(rs));
    if (await this.reconcileNewReplicaSet(all(), newRS!)) return this.syncRolloutStatus(all(), this.fresh(newRS));
    if (await this.reconcileOldReplicaSets(all(), filterActive(oldRSs.map((rs) => this.fresh(rs))), this.fresh(newRS!))) {
      return this.syncRolloutStatus(all(), this.fresh(newRS));
    }
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(all(), this.fresh(newRS));
  }

  private async reconcileNewReplicaSet(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet): Promise<boolean> {
    newRS = this.fresh(newRS);
    if (replicasOf(newRS) === this.replicas) return false;
    if (replicasOf(newRS) > this.replicas) return (await this.scaleAndRecord(newRS, this.replicas)).scaled;
    return (await this.scaleAndRecord(newRS, newRSNewReplicas(this.d, allRSs, newRS))).scaled;
  }

  private async reconcileOldReplicaSets(allRSs: (ReplicaSet | undefined)[], oldActive: ReplicaSet[], newRS: ReplicaSet): Promise<boolean> {
    if (replicaCount(oldActive) === 0) return false;
    const budget = maxScaledDown(this.d, allRSs, newRS);
    if (budget <= 0) return false;
    let total = 0;
    try {
      // Unhealthy replicas first: removing them costs no availability.
      for (const { rs, size } of planCleanupUnhealthy(oldActive, budget)) {
        const from = replicasOf(this.fresh(rs));
        await this.scaleAndRecord(rs, size);
        total += from - size;
      }
      const olds = oldActive.map((rs) => this.fresh(rs));
      for (const { rs, size } of planScaleDownOld(this.d, [...olds, this.fresh(newRS)], olds)) {
        const from = replicasOf(this.fresh(rs));
        await this.scaleAndRecord(rs, size);
        total += from - size;
      }
    } catch (e) {
      // As upstream: the ReplicaSet's update event brings the Deployment back.
      this.deps.logger.debug({ deployment: this.key, err: e }, 'scaling down old replica sets failed');
      return false;
    }
    return total > 0;
  }

  // ---- recreate ---------------------------------------------------------------------------------

  private async rolloutRecreate(): Promise<void> {
    // No new ReplicaSet yet: never scale up before everything old is gone.
    let { newRS, oldRSs } = await this.allReplicaSets(false);
    const all = (): (ReplicaSet | undefined)[] => [...oldRSs, newRS].map((rs) => this.fresh(rs));
    let scaledDown = false;
    for (const rs of filterActive(oldRSs)) {
      if ((await this.scaleAndRecord(rs, 0)).scaled) scaledDown = true;
    }
    if (scaledDown) return this.syncRolloutStatus(all(), this.fresh(newRS));
    if (this.oldPodsRunning(newRS, oldRSs.map((rs) => this.fresh(rs)))) return this.syncRolloutStatus(all(), this.fresh(newRS));
    if (!newRS) ({ newRS, oldRSs } = await this.allReplicaSets(true));
    await this.scaleAndRecord(newRS!, this.replicas);
    if (deploymentComplete(this.d, this.d.status ?? {})) await this.cleanup(oldRSs);
    return this.syncRolloutStatus(all(), this.fresh(newRS));
  }

  /** oldPodsRunning: an old ReplicaSet reports pods, or a pod of one is not finished (terminating ones count). */
  private oldPodsRunning(newRS: ReplicaSet | undefined, oldRSs: ReplicaSet[]): boolean {
    if (actualReplicaCount(oldRSs) > 0) return true;
    for (const [uid, pods] of this.podMap) {
      if (newRS && newRS.metadata?.uid === uid) continue;
      if (pods.some((p) => p.status?.phase !== 'Failed' && p.status?.phase !== 'Succeeded')) return true;
    }
    return false;
  }

  // ---- history ------------------------------------------------------------------------------------

  /** cleanupDeployment: delete the oldest scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private async cleanup(oldRSs: ReplicaSet[]): Promise<void> {
    const d = this.d;
    if (!hasRevisionHistoryLimit(d)) return;
    const alive = oldRSs.map((rs) => this.fresh(rs)).filter((rs) => !rs.metadata?.deletionTimestamp);
    const diff = alive.length - d.spec!.revisionHistoryLimit!;
    if (diff <= 0) return;
    alive.sort(byRevision);
    for (let i = 0; i < diff; i++) {
      const rs = alive[i];
      if ((rs.status?.replicas ?? 0) !== 0 || replicasOf(rs) !== 0 || (rs.metadata?.generation ?? 0) > (rs.status?.observedGeneration ?? 0)) continue;
      try {
        await this.deps.api.deleteReplicaSet(this.ns, rs.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- status and conditions ------------------------------------------------------------------------

  /** checkPausedConditions: Progressing Unknown while paused, so a pause never counts against the deadline. */
  private async checkPausedConditions(): Promise<void> {
    const d = this.d;
    if (!hasProgressDeadline(d)) return;
    const cond = getCondition(d.status, 'Progressing');
    if (cond?.reason === Reason.TimedOut) return;
    const pausedCond = cond?.reason === Reason.Paused;
    if (d.spec?.paused && !pausedCond) {
      setCondition(d.status!, newCondition('Progressing', 'Unknown', Reason.Paused, 'Deployment is paused', this.now()));
    } else if (!d.spec?.paused && pausedCond) {
      setCondition(d.status!, newCondition('Progressing', 'Unknown', Reason.Resumed, 'Deployment is resumed', this.now()));
    } else {
      return;
    }
    await this.writeStatus();
  }

  private async syncDeploymentStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const status = calculateStatus(allRSs.map((rs) => this.fresh(rs)), this.fresh(newRS), this.d, this.now());
    if (deploymentStatusEqual(this.d.status, status)) return;
    this.d.status = status;
    await this.writeStatus();
  }

  /** syncRolloutStatus: counts, Available, and Progressing (progress, completion, or the deadline passed). */
  private async syncRolloutStatus(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): Promise<void> {
    const d = this.d;
    const now = this.now();
    const next: DeploymentStatus = calculateStatus(allRSs, newRS, d, now);
    if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');
    const current = getCondition(d.status, 'Progressing');
    const complete = (next.replicas ?? 0) === (next.updatedReplicas ?? 0) && current?.reason === Reason.NewRSAvailable;
    if (hasProgressDeadline(d) && !complete) {
      const rsName = newRS?.metadata?.name;
      if (deploymentComplete(d, next)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has successfully progressed.` : `Deployment "${d.metadata?.name}" has successfully progressed.`;
        setCondition(next, newCondition('Progressing', 'True', Reason.NewRSAvailable, msg, now));
      } else if (deploymentProgressing(d, next)) {
        const msg = rsName ? `ReplicaSet "${rsName}" is progressing.` : `Deployment "${d.metadata?.name}" is progressing.`;
        const cond = newCondition('Progressing', 'True', Reason.ReplicaSetUpdated, msg, now);
        // Progress refreshes lastUpdateTime even with the same reason; the transition time stays while it remains True.
        if (current) {
          if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
          removeCondition(next, 'Progressing');
        }
        setCondition(next, cond);
      } else if (deploymentTimedOut(d, next, now)) {
        const msg = rsName ? `ReplicaSet "${rsName}" has timed out progressing.` : `Deployment "${d.metadata?.name}" has timed out progressing.`;
        setCondition(next, newCondition('Progressing', 'False', Reason.TimedOut, msg, now));
      }
    }
    const failures = this.replicaFailures(allRSs, newRS);
    if (failures.length) setCondition(next, failures[0]);
    else removeCondition(next, 'ReplicaFailure');

    const normalized = normalizeDeploymentStatus(next);
    if (deploymentStatusEqual(d.status, normalized)) {
      this.requeueStuck(normalized);
      return;
    }
    d.status = normalized;
    await this.writeStatus();
  }

  private replicaFailures(allRSs: (ReplicaSet | undefined)[], newRS: ReplicaSet | undefined): ReturnType<typeof fromReplicaSetCondition>[] {
    const of = (rs: ReplicaSet | undefined): ReturnType<typeof fromReplicaSetCondition>[] =>
      (rs?.status?.conditions ?? []).filter((c) => c.type === 'ReplicaFailure').map(fromReplicaSetCondition);
    const fromNew = of(newRS);
    if (fromNew.length) return fromNew;
    return allRSs.flatMap(of);
  }

  /** requeueStuckDeployment: come back when the progress deadline would pass. */
  private requeueStuck(next: DeploymentStatus): void {
    const d = this.d;
    const cond = getCondition(d.status, 'Progressing');
    if (!hasProgressDeadline(d) || !cond) return;
    if (deploymentComplete(d, next) || cond.reason === Reason.TimedOut) return;
    const last = Date.parse(cond.lastUpdateTime ?? '') || 0;
    const after = last + d.spec!.progressDeadlineSeconds! * 1000 - this.now();
    if (after < 1000) this.deps.queue.addRateLimited(this.key);
    else this.deps.queue.addAfter(this.key, after + 1000);
  }
}

export interface DeploymentControllerOptions {
  /** Default 5 (upstream's --concurrent-deployment-syncs). */
  workers?: number;
}

/** The controller the manager runs as "deployment". */
export function deploymentController(o: DeploymentControllerOptions = {}): Controller {
  return {
    name: 'deployment',
    async run(ctx: ControllerContext): Promise<void> {
      const dInformer = ctx.informers.informerFor<Deployment>('apps/v1', 'Deployment');
      const rsInformer = ctx.informers.informerFor<ReplicaSet>('apps/v1', 'ReplicaSet');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const queue = new WorkQueue<string>({ name: 'deployment', clock: ctx.clock });
      const c = new DeploymentController({
        deployments: dInformer.lister(), replicaSets: rsInformer.lister(), pods: podInformer.lister(),
        api: restDeploymentApi(ctx.client), recorder: ctx.recorder('deployment-controller'), clock: ctx.clock, logger: ctx.logger, queue,
      });
      const handles = [dInformer.on(c.deploymentHandler()), rsInformer.on(c.replicaSetHandler()), podInformer.on(c.podHandler())];
      try {
        if (!(await waitForSync(ctx.signal, dInformer, rsInformer, podInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}

