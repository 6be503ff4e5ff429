// One pass of the StatefulSet control loop (upstream stateful_set_control.go):
// find or create the update revision, then walk the ordinals — create missing
// pods (in order, each after its predecessor is Running and Ready, unless the
// policy is Parallel), recreate failed ones, scale down from the highest
// ordinal, then roll pods that are not at the update revision, highest
// ordinal first, down to the partition. Writes status and trims history.

import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { ControllerRevision, StatefulSet, StatefulSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Logger } from 'pino';
import type { LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import { isAlreadyExists, isConflict, isNotFound, type Lister } from '../../client/index.ts';
import { scaledValue } from '../deployment/util.ts';
import { adoptPatch } from '../replicaset/controller-ref.ts';
import { aggregate, controllerOf, newControllerRef } from '../replicaset/util.ts';
import type { Recorder, StatefulSetApi } from './api.ts';
import {
  endOrdinal, identityMatches, isCreated, isFailed, isHealthy, isPending, isRunningAndAvailable, isRunningAndReady, isSucceeded,
  isTerminating, newVersionedStatefulSetPod, ordinalOf, podInOrdinalRange, replicasOf, revisionOfPod, startOrdinal, storageMatches,
} from './identity.ts';
import { StatefulPodControl } from './pod-control.ts';
import {
  applyRevision, dataBytes, equalRevision, findEqualRevisions, hashRevision, newRevision, nextRevision, revisionName, sortRevisions,
} from './revision.ts';
import { completeRollingUpdate, countReplicas, inconsistentStatus, normalizeStatus } from './status.ts';

const STATUS_UPDATE_RETRIES = 4;
const REVISION_UPDATE_RETRIES = 4;
/** Most pods created in parallel in one batch (upstream MaxBatchSize). */
const MAX_BATCH = 500;

export interface StatefulSetControlDeps {
  api: StatefulSetApi;
  revisions: Lister<ControllerRevision>;
  claims: Lister<PersistentVolumeClaim>;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  /** Upstream's MaxUnavailableStatefulSet feature gate (alpha, off by default): honour rollingUpdate.maxUnavailable. */
  maxUnavailable?: boolean;
}

interface Revisions { current: ControllerRevision; update: ControllerRevision; collisionCount: number }

export class StatefulSetControl {
  readonly podControl: StatefulPodControl;

  constructor(private readonly d: StatefulSetControlDeps) {
    this.podControl = new StatefulPodControl(d.api, d.claims, d.recorder);
  }

  // ---- history ----------------------------------------------------------------

  /** ListRevisions: revisions the selector matches that are the set's or nobody's. */
  listRevisions(set: StatefulSet, selector: LabelMatcher): ControllerRevision[] {
    return this.d.revisions.list(set.metadata?.namespace ?? '', selector).filter((r) => {
      const ref = controllerOf(r);
      return !ref || ref.uid === set.metadata?.uid;
    });
  }

  /** adoptOrphanRevisions: makes the set the controller of matching revisions nobody controls. */
  async adoptOrphanRevisions(set: StatefulSet, selector: LabelMatcher, canAdopt: () => Promise<void>): Promise<void> {
    const orphans = this.listRevisions(set, selector).filter((r) => !controllerOf(r));
    if (!orphans.length) return;
    try {
      await canAdopt();
    } catch (e) {
      throw new Error(`can't adopt ControllerRevisions: ${(e as Error).message ?? String(e)}`, { cause: e });
    }
    const ref = newControllerRef(set, 'apps/v1', 'StatefulSet');
    for (const r of orphans) await this.d.api.patchRevision(set.metadata!.namespace!, r.metadata!.name!, adoptPatch(ref, r.metadata?.uid));
  }

  /** CreateControllerRevision: on a name clash with different data, bumps the collision count and tries the next name. */
  private async createRevision(set: StatefulSet, cr: ControllerRevision, collisionCount: number): Promise<{ revision: ControllerRevision; collisionCount: number }> {
    const ns = set.metadata!.namespace!;
    for (;;) {
      const clone = structuredClone(cr);
      clone.metadata!.name = revisionName(set.metadata!.name!, hashRevision(cr, collisionCount));
      try {
        return { revision: await this.d.api.createRevision(ns, clone), collisionCount };
      } catch (e) {
        if (!isAlreadyExists(e)) throw e;
        const existing = await this.d.api.getRevision(ns, clone.metadata!.name!);
        if (dataBytes(existing) === dataBytes(clone)) return { revision: existing, collisionCount };
        collisionCount++;
      }
    }
  }

  /** UpdateControllerRevision: gives an old revision a new number (a rollback to it). */
  private async renumberRevision(cr: ControllerRevision, revision: number): Promise<ControllerRevision> {
    let clone = structuredClone(cr);
    for (let i = 0; ; i++) {
      if (clone.revision === revision) return clone;
      clone.revision = revision;
      try {
        return await this.d.api.updateRevision(clone);
      } catch (e) {
        if (!isConflict(e) || i >= REVISION_UPDATE_RETRIES) throw e;
        clone = await this.d.api.getRevision(cr.metadata!.namespace!, cr.metadata!.name!);
      }
    }
  }

  /**
   * getStatefulSetRevisions: the update revision is the set's template — the
   * latest revision if equal, an older equal one renumbered as the latest (a
   * rollback), or a new one. The current revision is status.currentRevision,
   * or the update revision when there is none yet.
   */
  private async getRevisions(set: StatefulSet, revisions: ControllerRevision[]): Promise<Revisions> {
    let collisionCount = set.status?.collisionCount ?? 0;
    let update = newRevision(set, nextRevision(revisions), collisionCount);
    const equal = findEqualRevisions(revisions, update);
    const latest = revisions[revisions.length - 1];
    if (equal.length && equalRevision(latest, equal[equal.length - 1])) {
      update = latest;
    } else if (equal.length) {
      update = await this.renumberRevision(equal[equal.length - 1], update.revision);
    } else {
      ({ revision: update, collisionCount } = await this.createRevision(set, update, collisionCount));
    }
    const current = revisions.find((r) => r.metadata?.name === set.status?.currentRevision) ?? update;
    return { current, update, collisionCount };
  }

  /** truncateHistory: deletes the oldest revisions no pod uses beyond revisionHistoryLimit. */
  private async truncateHistory(set: StatefulSet, pods: readonly Pod[], revisions: readonly ControllerRevision[], current?: ControllerRevision, update?: ControllerRevision): Promise<void> {
    const live = new Set<string>();
    if (current) live.add(current.metadata!.name!);
    if (update) live.add(update.metadata!.name!);
    for (const p of pods) live.add(revisionOfPod(p));
    const history = revisions.filter((r) => !live.has(r.metadata!.name!));
    const limit = set.spec?.revisionHistoryLimit ?? 10;
    if (history.length <= limit) return;
    for (const r of history.slice(0, history.length - limit)) {
      try {
        await this.d.api.deleteRevision(set.metadata!.namespace!, r.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
  }

  // ---- the update -----------------------------------------------------------------

  /**
   * UpdateStatefulSet: one pass over `pods` (those the set owns). Returns the
   * status written; throws (after writing status where possible) to be retried.
   */
  async updateStatefulSet(original: StatefulSet, pods: readonly Pod[], selector: LabelMatcher): Promise<StatefulSetStatus> {
    const set = structuredClone(original);
    const revisions = sortRevisions(this.listRevisions(set, selector));
    let revs: Revisions | undefined;
    let status: StatefulSetStatus | undefined;
    let err: unknown;
    try {
      revs = await this.getRevisions(set, revisions);
      const r = await this.updatePods(set, revs, pods);
      status = r.status;
      err = r.err;
      try {
        await this.updateStatus(set, status);
      } catch (e) {
        if (err === undefined) err = e;
        else this.d.logger.warn({ err: e, statefulSet: set.metadata?.name }, 'could not update status');
      }
    } catch (e) {
      err = e;
    }
    let truncErr: unknown;
    try {
      await this.truncateHistory(set, pods, revisions, revs?.current, revs?.update);
    } catch (e) {
      truncErr = e;
    }
    const all = [err, truncErr].filter((e) => e !== undefined);
    if (all.length) throw aggregate(all);
    return status!;
  }

  /** updateStatefulSetStatus: finishes a completed rolling update, writes only when something changed. */
  private async updateStatus(set: StatefulSet, status: StatefulSetStatus): Promise<void> {
    completeRollingUpdate(set, status);
    if (!inconsistentStatus(set, status)) return;
    let current = set;
    for (let i = 0; ; i++) {
      try {
        await this.d.api.updateStatefulSetStatus({ ...current, status: normalizeStatus(status) });
        return;
      } catch (e) {
        if (!isConflict(e) || i >= STATUS_UPDATE_RETRIES) throw e;
        current = await this.d.api.getStatefulSet(set.metadata!.namespace!, set.metadata!.name!);
      }
    }
  }

  /** updateStatefulSet (the pod part): the status to write, and the error that stopped the pass, if any. */
  private async updatePods(set: StatefulSet, revs: Revisions, pods: readonly Pod[]): Promise<{ status: StatefulSetStatus; err?: unknown }> {
    const currentSet = applyRevision(set, revs.current);
    const updateSet = applyRevision(set, revs.update);
    const currentName = revs.current.metadata!.name!;
    const updateName = revs.update.metadata!.name!;
    const minReady = set.spec?.minReadySeconds ?? 0;
    const now = this.d.clock.now();
    const status: StatefulSetStatus = {
      replicas: 0, observedGeneration: set.metadata?.generation, currentRevision: currentName, updateRevision: updateName,
      collisionCount: revs.collisionCount,
    };
    countReplicas(status, minReady, now, [...pods]);

    // Pods in the ordinal range are replicas (index = ordinal - start); others are condemned.
    const start = startOrdinal(set);
    const replicas: Pod[] = new Array<Pod>(Math.max(0, replicasOf(set)));
    const condemned: Pod[] = [];
    for (const pod of pods) {
      const ord = ordinalOf(pod);
      if (podInOrdinalRange(pod, set)) replicas[ord - start] = pod;
      else if (ord >= 0) condemned.push(pod);
    }
    for (let ord = start; ord <= endOrdinal(set); ord++) {
      replicas[ord - start] ??= newVersionedStatefulSetPod(currentSet, updateSet, currentName, updateName, ord);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    let firstUnhealthy: Pod | undefined;
    for (const p of replicas) if (!isHealthy(p)) firstUnhealthy ??= p;
    for (let i = condemned.length - 1; i >= 0; i--) if (!isHealthy(condemned[i])) firstUnhealthy ??= condemned[i];

    // A set being deleted only reports.
    if (set.metadata?.deletionTimestamp) return { status };

    const monotonic = set.spec?.podManagementPolicy !== 'Parallel';
    const finish = (err?: unknown): { status: StatefulSetStatus; err?: unknown } => {
      countReplicas(status, minReady, now, replicas, condemned);
      return { status, err };
    };
    const pc = this.podControl;
    try {
      // Living replicas first; in order mode stop at the first one not Running and Ready.
      if (await this.runForAll(replicas.length, (i) => this.processReplica(set, currentSet, updateSet, currentName, updateName, monotonic, replicas, i), monotonic)) return finish();
      // Claims of condemned pods get the references the retention policy asks for before the pods go.
      const fixClaims = async (i: number): Promise<boolean> => {
        if (!pc.claimsMatchRetentionPolicy(updateSet, condemned[i])) await pc.updatePodClaimForRetentionPolicy(updateSet, condemned[i]);
        return false;
      };
      if (await this.runForAll(condemned.length, fixClaims, monotonic)) return finish();
      // Scale down, highest ordinal first; in order mode one at a time and only when all else is healthy.
      if (await this.runForAll(condemned.length, (i) => this.processCondemned(set, firstUnhealthy, monotonic, condemned, i), monotonic)) return finish();
    } catch (e) {
      return finish(e);
    }
    finish();

    // OnDelete: pods are updated when someone deletes them.
    if (set.spec?.updateStrategy?.type === 'OnDelete') return { status };
    if (this.d.maxUnavailable) return this.rollWithMaxUnavailable(set, replicas, updateName, status);

    // Delete the highest-ordinal pod not at the update revision, down to the partition; wait for each to come back healthy.
    const updateMin = set.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
    for (let target = replicas.length - 1; target >= updateMin; target--) {
      const pod = replicas[target];
      if (revisionOfPod(pod) !== updateName && !isTerminating(pod)) {
        this.d.logger.debug({ statefulSet: set.metadata?.name, pod: pod.metadata?.name }, 'pod of StatefulSet is terminating for update');
        try {
          await pc.deleteStatefulPod(set, pod);
        } catch (e) {
          if (!isNotFound(e)) return { status, err: e };
        }
        status.currentReplicas = (status.currentReplicas ?? 0) - 1;
        return { status };
      }
      if (!isHealthy(pod)) return { status };
    }
    return { status };
  }

  /**
   * updateStatefulSetAfterInvariantEstablished (MaxUnavailableStatefulSet):
   * up to maxUnavailable pods (counting those already unhealthy) are deleted
   * for update at once, highest ordinal first, down to the partition.
   */
  private async rollWithMaxUnavailable(set: StatefulSet, replicas: Pod[], updateName: string, status: StatefulSetStatus): Promise<{ status: StatefulSetStatus; err?: unknown }> {
    const ru = set.spec?.updateStrategy?.rollingUpdate;
    const updateMin = ru?.partition ?? 0;
    let maxUnavailable = 1;
    if (ru) {
      try {
        maxUnavailable = Math.max(1, scaledValue(ru.maxUnavailable ?? 1, replicasOf(set), false));
      } catch (e) {
        return { status, err: e };
      }
    }
    const unavailable = replicas.filter((p) => !isHealthy(p)).length;
    if (unavailable >= maxUnavailable) return { status };
    let toDelete = maxUnavailable - unavailable;
    for (let target = replicas.length - 1; target >= updateMin && toDelete > 0; target--) {
      const pod = replicas[target];
      if (revisionOfPod(pod) === updateName || isTerminating(pod)) continue;
      try {
        await this.podControl.deleteStatefulPod(set, pod);
      } catch (e) {
        if (!isNotFound(e)) return { status, err: e };
      }
      toDelete--;
      status.currentReplicas = (status.currentReplicas ?? 0) - 1;
    }
    return { status };
  }

  /**
   * runForAll: in order mode one after another until one says stop (true) or
   * fails; in parallel mode all of them in slow-start batches (1, 2, 4, …),
   * stopping after a batch with failures (their errors aggregated).
   */
  private async runForAll(n: number, fn: (i: number) => Promise<boolean>, monotonic: boolean): Promise<boolean> {
    if (monotonic) {
      for (let i = 0; i < n; i++) if (await fn(i)) return true;
      return false;
    }
    let next = 0;
    let remaining = n;
    for (let batch = Math.min(remaining, 1); batch > 0; batch = Math.min(2 * batch, remaining, MAX_BATCH)) {
      const results = await Promise.allSettled(Array.from({ length: batch }, () => fn(next++)));
      const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
      if (errors.length) throw aggregate(errors);
      remaining -= batch;
    }
    return false;
  }

  /** processReplica: true means "stop here this pass" (order mode). */
  private async processReplica(set: StatefulSet, currentSet: StatefulSet, updateSet: StatefulSet, currentName: string, updateName: string,
    monotonic: boolean, replicas: Pod[], i: number): Promise<boolean> {
    const pc = this.podControl;
    const ns = set.metadata?.namespace;
    // A pod that finished (failed, or evicted and so Succeeded) is replaced whatever its exit code.
    if (isFailed(replicas[i]) || isSucceeded(replicas[i])) {
      if (isFailed(replicas[i])) {
        this.d.recorder.eventf(set, 'Warning', 'RecreatingFailedPod', 'StatefulSet %s/%s is recreating failed Pod %s', ns, set.metadata?.name, replicas[i].metadata?.name);
      } else {
        this.d.recorder.eventf(set, 'Normal', 'RecreatingTerminatedPod', 'StatefulSet %s/%s is recreating terminated Pod %s', ns, set.metadata?.name, replicas[i].metadata?.name);
      }
      await pc.deleteStatefulPod(set, replicas[i]);
      replicas[i] = newVersionedStatefulSetPod(currentSet, updateSet, currentName, updateName, i + startOrdinal(set));
    }
    const pod = replicas[i];
    if (!isCreated(pod)) {
      // Its claim still belongs to an earlier pod of that name: wait for the garbage collector.
      if (pc.podClaimIsStale(set, pod)) return true;
      await pc.createStatefulPod(set, pod);
      return monotonic;
    }
    // A Pending pod's claims may have been deleted under it.
    if (isPending(pod)) await pc.createMissingClaims(set, pod);
    if (isTerminating(pod) && monotonic) return true;
    if (!isRunningAndReady(pod) && monotonic) return true;
    if (!isRunningAndAvailable(pod, set.spec?.minReadySeconds ?? 0, this.d.clock.now()) && monotonic) return true;
    if (identityMatches(set, pod) && storageMatches(set, pod) && pc.claimsMatchRetentionPolicy(updateSet, pod)) return false;
    await pc.updateStatefulPod(updateSet, pod);
    return false;
  }

  /** processCondemned: deletes one pod above the range; in order mode only when it is healthy or the first unhealthy one. */
  private async processCondemned(set: StatefulSet, firstUnhealthy: Pod | undefined, monotonic: boolean, condemned: Pod[], i: number): Promise<boolean> {
    const pod = condemned[i];
    if (isTerminating(pod)) return monotonic;
    if (monotonic && pod !== firstUnhealthy) {
      if (!isRunningAndReady(pod)) return true;
      if (!isRunningAndAvailable(pod, set.spec?.minReadySeconds ?? 0, this.d.clock.now())) return true;
    }
    this.d.logger.debug({ statefulSet: set.metadata?.name, pod: pod.metadata?.name }, 'pod of StatefulSet is terminating for scale down');
    await this.podControl.deleteStatefulPod(set, pod);
    return true;
  }
}
