// The Job controller (upstream pkg/controller/job): runs pods until
// spec.completions of them succeed (or, without completions, until one does
// and the rest finish), at most spec.parallelism at a time; Indexed Jobs give
// every pod a completion index. Failures count toward backoffLimit, with an
// exponential delay before replacements; activeDeadlineSeconds bounds the
// run; suspend deletes the running pods; podFailurePolicy can fail the Job at
// once or ignore a failure.
//
// Pods are counted through the batch.kubernetes.io/job-tracking finalizer, as
// upstream does: a finished pod's UID goes first into
// status.uncountedTerminatedPods, then its finalizer is removed, then it moves
// into status.succeeded/failed — so a pod is counted exactly once even if it
// is deleted or the controller restarts in between. A Job that has met its
// goal (or failed) first gets the interim SuccessCriteriaMet (or
// FailureTarget) condition, and Complete (or Failed) once no pod is left
// terminating or uncounted.

import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { labelSelectorMatcher, type LabelMatcher } from '../../api/selectors/labels.ts';
import type { Clock } from '../../base/clock.ts';
import {
  isNotFound, objectKey, splitKey, WorkQueue, type Lister, type ResourceEventHandler, type RestClient,
} from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { adoptPatch, claimObjects, releasePatch } from '../replicaset/controller-ref.ts';
import { ControllerExpectations } from '../replicaset/expectations.ts';
import { isPodReady, podFromTemplate } from '../replicaset/pods.ts';
import type { Recorder } from '../replicaset/replicaset.ts';
import { aggregate, controllerOf, errorMessage, isNamespaceTerminating, jsonEqual, newControllerRef, parseTime, rfc3339 } from '../replicaset/util.ts';
import { BackoffStore, remainingBackoffMs, type BackoffRecord } from './backoff.ts';
import { FinalizerExpectations } from './expectations.ts';
import {
  activePodsForRemoval, completionIndex, firstPendingIndexes, formatIntervals, intervalsHas, intervalsTotal, parseIntervals,
  templateForIndex, UNKNOWN_INDEX, withIndexes, type OrderedIntervals,
} from './indexes.ts';
import { matchPodFailurePolicy } from './pod-failure-policy.ts';
import {
  ensureCondition, findCondition, hasTrackingFinalizer, isIndexedJob, isJobFinished, isJobSuspended, isPodActive, isPodTerminating,
  JOB_TRACKING_FINALIZER, newCondition, removeTrackingFinalizerPatch,
} from './util.ts';

/** Upstream's --concurrent-job-syncs. */
export const DEFAULT_WORKERS = 5;
/** Pod events are batched: a Job syncs at most once a second for them (syncJobBatchPeriod). */
export const SYNC_BATCH_MS = 1000;
/** Most UIDs kept in uncountedTerminatedPods (keeps the status small). */
export const MAX_UNCOUNTED_PODS = 500;
/** Most pods created or deleted in one sync. */
export const MAX_POD_CREATE_DELETE_PER_SYNC = 500;
const DEFAULT_BACKOFF_LIMIT = 6;

export const REASON_BACKOFF_LIMIT = 'BackoffLimitExceeded';
export const REASON_DEADLINE = 'DeadlineExceeded';
export const REASON_POD_FAILURE_POLICY = 'PodFailurePolicy';
export const REASON_COMPLETIONS_REACHED = 'CompletionsReached';

/** The API calls the controller makes; a fake records them in tests. */
export interface JobApi {
  /** An uncached read (adoption recheck). */
  getJob(namespace: string, name: string): Promise<Job>;
  updateJobStatus(job: Job): Promise<Job>;
  createPod(namespace: string, pod: Pod): Promise<Pod>;
  deletePod(namespace: string, name: string): Promise<void>;
  /** Strategic merge patch. */
  patchPod(namespace: string, name: string, patch: object): Promise<void>;
}

export function restJobApi(client: RestClient): JobApi {
  const jobs = client.resource<Job>('batch/v1', 'Job');
  const pods = client.resource<Pod>('v1', 'Pod');
  return {
    getJob: (ns, name) => jobs.namespace(ns).get(name),
    updateJobStatus: (job) => jobs.namespace(job.metadata!.namespace!).updateStatus(job),
    createPod: (ns, pod) => pods.namespace(ns).create(pod),
    deletePod: async (ns, name) => { await pods.namespace(ns).delete(name); },
    patchPod: async (ns, name, patch) => { await pods.namespace(ns).patch(name, 'strategic', patch); },
  };
}

export interface JobControllerDeps {
  jobs: Lister<Job>;
  pods: Lister<Pod>;
  api: JobApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: Pick<WorkQueue<string>, 'add' | 'addAfter'>;
  /** Pods whose tracking finalizer must go because their Job is gone or finished. */
  orphanQueue: Pick<WorkQueue<string>, 'add'>;
}

/** What one sync knows about its Job (upstream's syncJobCtx). */
interface SyncCtx {
  key: string;
  job: Job;
  pods: Pod[];
  activePods: Pod[];
  ready: number;
  terminating: number;
  succeeded: number;
  failed: number;
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  expectedRmFinalizers: Set<string>;
  finished?: JobCondition;
  prevSucceededIndexes: OrderedIntervals;
  succeededIndexes: OrderedIntervals;
  newBackoff: BackoffRecord;
}

const matchers = new WeakMap<object, LabelMatcher>();

function selectorOf(job: Job): LabelMatcher | undefined {
  const sel = job.spec?.selector;
  if (!sel) return undefined;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { return undefined; }
    matchers.set(sel, m);
  }
  return m;
}

/** podReplacementPolicy Failed (explicit, or implied by a podFailurePolicy): terminating pods are not failures yet. */
function onlyReplaceFailedPods(job: Job): boolean {
  return job.spec?.podReplacementPolicy === 'Failed' || !!job.spec?.podFailurePolicy;
}

function isPodFailed(p: Pod, job: Job): boolean {
  if (p.status?.phase === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  // A deleted pod may never reach Failed (e.g. its node is gone): it counts as a failure.
  return !!p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded';
}

function isSuccessCriteriaMet(c: JobCondition | undefined): boolean {
  return c?.type === 'SuccessCriteriaMet';
}

/** Container restarts of running pods, for restartPolicy OnFailure (failures never make a Failed pod then). */
function pastBackoffLimitOnFailure(job: Job, pods: readonly Pod[]): boolean {
  if (job.spec?.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of pods) {
    if (p.status?.phase !== 'Running' && p.status?.phase !== 'Pending') continue;
    for (const cs of [...(p.status?.initContainerStatuses ?? []), ...(p.status?.containerStatuses ?? [])]) restarts += cs.restartCount ?? 0;
  }
  const limit = job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

/** The status as the API serializes it: zero counters and empty lists omitted (Go's omitempty). */
export function normalizeJobStatus(status: JobStatus): JobStatus {
  const s: JobStatus = { ...status };
  for (const k of ['active', 'succeeded', 'failed'] as const) if (!s[k]) delete s[k];
  if (!s.conditions?.length) delete s.conditions;
  if (!s.completedIndexes) delete s.completedIndexes;
  const u = s.uncountedTerminatedPods;
  if (u) {
    const nu: NonNullable<JobStatus['uncountedTerminatedPods']> = {};
    if (u.succeeded?.length) nu.succeeded = [...u.succeeded];
    if (u.failed?.length) nu.failed = [...u.failed];
    s.uncountedTerminatedPods = nu;
  }
  for (const k of Object.keys(s) as (keyof JobStatus)[]) if (s[k] === undefined) delete s[k];
  return s;
}

export class JobController {
  readonly expectations: ControllerExpectations;
  readonly finalizerExpectations = new FinalizerExpectations();
  readonly backoff = new BackoffStore();
  private readonly d: JobControllerDeps;

  constructor(deps: JobControllerDeps) {
    this.d = deps;
    this.expectations = new ControllerExpectations(deps.clock);
  }

  // ---- event handlers ------------------------------------------------------

  jobHandler(): ResourceEventHandler<Job> {
    return {
      add: (job) => this.d.queue.add(objectKey(job)),
      update: (old, cur) => this.updateJob(old, cur),
      delete: (job) => {
        this.d.queue.add(objectKey(job));
        this.cleanupPodFinalizers(job);
      },
    };
  }

  podHandler(): ResourceEventHandler<Pod> {
    return {
      add: (pod) => this.addPod(pod),
      update: (old, cur) => this.updatePod(old, cur),
      delete: (pod) => this.deletePod(pod, true),
    };
  }

  private enqueueBatched(job: Job): void {
    this.d.queue.addAfter(objectKey(job), SYNC_BATCH_MS);
  }

  private enqueueOrphanPod(pod: Pod): void {
    this.d.orphanQueue.add(objectKey(pod));
  }

  private updateJob(old: Job, cur: Job): void {
    const key = objectKey(cur);
    if (old.metadata?.uid !== cur.metadata?.uid) {
      this.expectations.delete(key);
      this.finalizerExpectations.delete(key);
      this.backoff.remove(key);
    }
    // Status writes (mostly caused by pod events) are batched; spec changes act at once.
    if (cur.metadata?.generation === old.metadata?.generation) this.enqueueBatched(cur);
    else this.d.queue.add(key);
    // A finished Job's pods should have no finalizer left; this is the backstop.
    if (isJobFinished(cur)) this.cleanupPodFinalizers(cur);
    const start = parseTime(cur.status?.startTime);
    const ads = cur.spec?.activeDeadlineSeconds;
    if (start !== undefined && typeof ads === 'number' && ads !== old.spec?.activeDeadlineSeconds) {
      this.d.queue.addAfter(key, ads * 1000 - (this.d.clock.now() - start));
    }
  }

  private cleanupPodFinalizers(job: Job): void {
    const sel = selectorOf(job);
    if (!sel) return;
    for (const p of this.d.pods.list(job.metadata?.namespace ?? '', sel)) {
      if (controllerOf(p)?.uid === job.metadata?.uid && hasTrackingFinalizer(p)) this.enqueueOrphanPod(p);
    }
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): Job | undefined {
    if (!ref || ref.kind !== 'Job') return undefined;
    const job = this.d.jobs.get(ns, ref.name);
    return job && job.metadata?.uid === ref.uid ? job : undefined;
  }

  /** Jobs in the pod's namespace whose selector matches it: candidates to adopt an orphan. */
  private podJobs(pod: Pod): Job[] {
    return this.d.jobs.list(pod.metadata?.namespace ?? '').filter((j) => {
      const m = selectorOf(j);
      return !!m && !m.empty && m.matches(pod.metadata?.labels);
    });
  }

  private addPod(pod: Pod): void {
    if (pod.metadata?.deletionTimestamp) {
      this.deletePod(pod, false);
      return;
    }
    const ref = controllerOf(pod);
    if (ref) {
      const job = this.resolve(pod.metadata?.namespace, ref);
      if (!job) return;
      this.expectations.creationObserved(objectKey(job));
      this.enqueueBatched(job);
      return;
    }
    if (hasTrackingFinalizer(pod)) this.enqueueOrphanPod(pod);
    for (const job of this.podJobs(pod)) this.enqueueBatched(job);
  }

  private updatePod(old: Pod, cur: Pod): void {
    if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
    if (cur.metadata?.deletionTimestamp) {
      this.deletePod(cur, false);
      return;
    }
    const finalizerRemoved = !hasTrackingFinalizer(cur);
    const curRef = controllerOf(cur);
    const oldRef = controllerOf(old);
    const refChanged = !jsonEqual(curRef, oldRef);
    const uid = cur.metadata?.uid ?? '';
    if (refChanged && oldRef) {
      const job = this.resolve(old.metadata?.namespace, oldRef);
      if (job) {
        if (finalizerRemoved) this.finalizerExpectations.removalObserved(objectKey(job), uid);
        this.enqueueBatched(job);
      }
    }
    if (curRef) {
      const job = this.resolve(cur.metadata?.namespace, curRef);
      if (!job) return;
      if (finalizerRemoved) this.finalizerExpectations.removalObserved(objectKey(job), uid);
      this.enqueueBatched(job);
      return;
    }
    if (hasTrackingFinalizer(cur)) this.enqueueOrphanPod(cur);
    if (refChanged || !jsonEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {})) {
      for (const job of this.podJobs(cur)) this.enqueueBatched(job);
    }
  }

  /** `final`: the pod is gone from the store (not merely marked for deletion). */
  private deletePod(pod: Pod, final: boolean): void {
    const ref = controllerOf(pod);
    const hasFinalizer = hasTrackingFinalizer(pod);
    if (!ref) {
      if (hasFinalizer) this.enqueueOrphanPod(pod);
      return;
    }
    const job = this.resolve(pod.metadata?.namespace, ref);
    if (!job || isJobFinished(job)) {
      // syncJob will not look at this pod: its finalizer goes through the orphan queue.
      if (hasFinalizer) this.enqueueOrphanPod(pod);
      return;
    }
    const key = objectKey(job);
    this.expectations.deletionObserved(key, objectKey(pod));
    if (final || !hasFinalizer) this.finalizerExpectations.removalObserved(key, pod.metadata?.uid ?? '');
    this.enqueueBatched(job);
  }

  // ---- orphan pods ---------------------------------------------------------

  /** syncOrphanPod: removes the tracking finalizer from a pod no running Job will count. */
  async syncOrphanPod(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const pod = this.d.pods.get(ns, name);
    if (!pod) return;
    const ref = controllerOf(pod);
    if (ref) {
      if (ref.kind !== 'Job' || ref.apiVersion !== 'batch/v1') return;
      const job = this.resolve(ns, ref);
      if (job && !isJobFinished(job)) return; // adopted meanwhile: its Job counts it
    }
    const patch = removeTrackingFinalizerPatch(pod);
    if (!patch) return;
    try {
      await this.d.api.patchPod(ns ?? '', name, patch);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  // ---- sync ----------------------------------------------------------------

  /** syncJob: idempotent; reads the caches, writes through the API. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.d.jobs.get(ns, name);
    if (!cached) {
      this.expectations.delete(key);
      this.finalizerExpectations.delete(key);
      this.backoff.remove(key);
      return;
    }
    if (isJobFinished(cached)) {
      this.backoff.remove(key);
      return;
    }
    const mode = cached.spec?.completionMode;
    if (mode !== undefined && mode !== 'NonIndexed' && mode !== 'Indexed') {
      this.d.recorder.event(cached, 'Warning', 'UnknownCompletionMode', 'Skipped Job sync because completion mode is unknown');
      return;
    }
    const job: Job = structuredClone(cached);
    const status = (job.status ??= {});
    status.uncountedTerminatedPods ??= {};
    const now = this.d.clock.now();

    // Before listing pods: a pod created after this point defers the decision to the next sync.
    const satisfied = this.expectations.satisfied(key);
    const pods = await this.podsForJob(job);
    const activePods = pods.filter(isPodActive);
    const uncountedStatus = status.uncountedTerminatedPods;
    const ctx: SyncCtx = {
      key, job, pods, activePods,
      ready: activePods.filter(isPodReady).length,
      terminating: pods.filter(isPodTerminating).length,
      succeeded: 0, failed: 0,
      uncounted: { succeeded: new Set(uncountedStatus.succeeded ?? []), failed: new Set(uncountedStatus.failed ?? []) },
      expectedRmFinalizers: this.finalizerExpectations.expected(key),
      prevSucceededIndexes: [], succeededIndexes: [],
      newBackoff: { key, failuresAfterLastSuccess: 0 },
    };
    let active = activePods.length;
    const newSucceeded = this.newFinishedPods(ctx, ctx.uncounted.succeeded, (p) => p.status?.phase === 'Succeeded');
    const newFailed = this.newFinishedPods(ctx, ctx.uncounted.failed, (p) => isPodFailed(p, job));
    const policy = job.spec?.podFailurePolicy;
    const countedNewFailed = policy ? newFailed.filter((p) => matchPodFailurePolicy(policy, p).countFailed).length : newFailed.length;
    ctx.succeeded = (status.succeeded ?? 0) + newSucceeded.length + ctx.uncounted.succeeded.size;
    ctx.failed = (status.failed ?? 0) + countedNewFailed + ctx.uncounted.failed.size;

    if (!status.startTime && !isJobSuspended(job)) status.startTime = rfc3339(now);
    ctx.newBackoff = this.backoff.newRecord(key, newSucceeded, newFailed);

    // What ends the Job, if anything: decided once, then carried by the interim condition.
    const successMet = findCondition(job, 'SuccessCriteriaMet');
    if (successMet?.status === 'True') ctx.finished = successMet;
    if (!ctx.finished) {
      const target = findCondition(job, 'FailureTarget');
      if (target?.status === 'True') {
        ctx.finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
      } else {
        const msg = this.failJobMessage(job, pods);
        if (msg) ctx.finished = newCondition('FailureTarget', 'True', REASON_POD_FAILURE_POLICY, msg, now);
      }
    }
    if (!ctx.finished) {
      const limit = job.spec?.backoffLimit ?? DEFAULT_BACKOFF_LIMIT;
      const ads = job.spec?.activeDeadlineSeconds;
      const start = parseTime(status.startTime);
      if (ctx.failed > limit || pastBackoffLimitOnFailure(job, pods)) {
        ctx.finished = newCondition('FailureTarget', 'True', REASON_BACKOFF_LIMIT, 'Job has reached the specified backoff limit', now);
      } else if (typeof ads === 'number' && start !== undefined && !isJobSuspended(job) && now - start >= ads * 1000) {
        ctx.finished = newCondition('FailureTarget', 'True', REASON_DEADLINE, 'Job was active longer than specified deadline', now);
      } else if (typeof ads === 'number' && start !== undefined && !isJobSuspended(job)) {
        this.d.queue.addAfter(key, ads * 1000 - (now - start));
      }
    }

    if (isIndexedJob(job)) {
      const completions = job.spec?.completions ?? 0;
      ctx.prevSucceededIndexes = parseIntervals(status.completedIndexes, completions);
      const fresh = new Set<number>();
      for (const p of pods) {
        const ix = completionIndex(p);
        if (p.status?.phase === 'Succeeded' && ix !== UNKNOWN_INDEX && ix < completions && hasTrackingFinalizer(p)) fresh.add(ix);
      }
      ctx.succeededIndexes = withIndexes(ctx.prevSucceededIndexes, [...fresh]);
      ctx.succeeded = intervalsTotal(ctx.succeededIndexes);
    }

    let manageErr: unknown;
    let suspendChanged = false;
    if (ctx.finished) {
      const { deleted, deletedReady, error } = await this.deleteActivePods(job, activePods);
      // Pods still running, or not all in the cache yet: not finished until they are gone.
      if (deleted !== active || !satisfied) ctx.finished = undefined;
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      manageErr = error;
    } else {
      let managed = false;
      if (satisfied && !job.metadata?.deletionTimestamp) {
        try {
          active = await this.manageJob(job, ctx);
        } catch (e) {
          manageErr = e;
          active = (e as { active?: number }).active ?? active;
        }
        managed = true;
      }
      const completions = job.spec?.completions;
      const complete = completions === undefined || completions === null
        ? ctx.succeeded > 0 && active === 0
        : ctx.succeeded >= completions && active === 0;
      if (complete) {
        ctx.finished = newCondition('SuccessCriteriaMet', 'True', REASON_COMPLETIONS_REACHED, 'Reached expected number of succeeded pods', now);
      } else if (managed) {
        if (isJobSuspended(job)) {
          if (ensureCondition(job, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now)) {
            suspendChanged = true;
            this.d.recorder.event(job, 'Normal', 'Suspended', 'Job suspended');
          }
        } else if (ensureCondition(job, 'Suspended', 'False', 'JobResumed', 'Job resumed', now)) {
          suspendChanged = true;
          this.d.recorder.event(job, 'Normal', 'Resumed', 'Job resumed');
          // activeDeadlineSeconds counts continuous activity: a resumed Job starts its clock again.
          status.startTime = rfc3339(now);
        }
      }
    }

    const needsUpdate = suspendChanged || active !== (status.active ?? 0) || ctx.ready !== status.ready || ctx.terminating !== status.terminating;
    status.active = active;
    status.ready = ctx.ready;
    status.terminating = ctx.terminating;
    await this.trackStatusAndRemoveFinalizers(ctx, needsUpdate);
    if (manageErr) throw manageErr;
  }

  /** Pods this Job owns (adopting orphans its selector matches, releasing those it no longer matches). */
  private async podsForJob(job: Job): Promise<Pod[]> {
    const ns = job.metadata!.namespace!;
    const selector = selectorOf(job);
    if (!selector) throw new Error(`couldn't convert Job selector of ${ns}/${job.metadata?.name}`);
    const ref = newControllerRef(job, 'batch/v1', 'Job');
    const { claimed, errors } = await claimObjects(this.d.pods.list(ns), {
      owner: job,
      match: (p) => selector.matches(p.metadata?.labels),
      canAdopt: async () => {
        const fresh = await this.d.api.getJob(ns, job.metadata!.name!);
        if (fresh.metadata?.uid !== job.metadata?.uid) {
          throw new Error(`original Job ${ns}/${job.metadata?.name} is gone: got uid ${fresh.metadata?.uid}, wanted ${job.metadata?.uid}`);
        }
        if (fresh.metadata?.deletionTimestamp) throw new Error(`${ns}/${job.metadata?.name} has just been deleted at ${fresh.metadata.deletionTimestamp}`);
      },
      // Adopted pods get the tracking finalizer with the reference, so they are counted like our own.
      adopt: (p) => {
        const base = adoptPatch(ref, p.metadata?.uid) as { metadata: Record<string, unknown> };
        return this.d.api.patchPod(ns, p.metadata!.name!, { metadata: { ...base.metadata, finalizers: [JOB_TRACKING_FINALIZER] } });
      },
      release: (p) => this.d.api.patchPod(ns, p.metadata!.name!, releasePatch(job.metadata!.uid!, p.metadata?.uid)),
    });
    if (errors.length) throw aggregate(errors);
    return claimed.map((p) => {
      const adopted = !p.metadata?.ownerReferences?.some((r) => r.uid === job.metadata?.uid);
      if (!adopted || hasTrackingFinalizer(p)) return p;
      return { ...p, metadata: { ...p.metadata, finalizers: [...(p.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER] } };
    });
  }

  /** Finished pods not yet counted: they still have the finalizer, are not uncounted nor being un-finalized, and (Indexed) have a valid index. */
  private newFinishedPods(ctx: SyncCtx, uncounted: Set<string>, filter: (p: Pod) => boolean): Pod[] {
    const completions = ctx.job.spec?.completions ?? 0;
    return ctx.pods.filter((p) => {
      const uid = p.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(p) || uncounted.has(uid) || ctx.expectedRmFinalizers.has(uid)) return false;
      if (isIndexedJob(ctx.job)) {
        const ix = completionIndex(p);
        if (ix === UNKNOWN_INDEX || ix >= completions) return false;
      }
      return filter(p);
    });
  }

  private failJobMessage(job: Job, pods: readonly Pod[]): string | undefined {
    const policy = job.spec?.podFailurePolicy;
    if (!policy) return undefined;
    for (const p of pods) {
      if (!isPodFailed(p, job)) continue;
      const m = matchPodFailurePolicy(policy, p).failJobMessage;
      if (m) return m;
    }
    return undefined;
  }

  /**
   * manageJob: creates or deletes pods so that the right number run. Returns
   * the number of active pods after its actions; on failure throws an error
   * carrying that number as `active`.
   */
  private async manageJob(job: Job, ctx: SyncCtx): Promise<number> {
    const key = ctx.key;
    let active = ctx.activePods.length;
    const parallelism = job.spec?.parallelism ?? 1;
    const completions = job.spec?.completions;
    const indexedCompletions = isIndexedJob(job) ? completions ?? 0 : undefined;
    const fail = (e: unknown, n: number): never => { throw Object.assign(e instanceof Error ? e : new Error(String(e)), { active: n }); };

    if (isJobSuspended(job)) {
      const victims = activePodsForRemoval(ctx.activePods, active, indexedCompletions);
      this.expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
      const { deleted, deletedReady, error } = await this.deleteJobPods(job, key, victims);
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      if (error) fail(error, active);
      return active;
    }

    let wantActive: number;
    if (completions === undefined || completions === null) {
      // Without completions, the first success means: let the others finish, start nothing new.
      wantActive = ctx.succeeded > 0 ? active : parallelism;
    } else {
      wantActive = Math.max(0, Math.min(completions - ctx.succeeded, parallelism));
    }

    const rmAtLeast = Math.max(0, active - wantActive);
    const victims = activePodsForRemoval(ctx.activePods, rmAtLeast, indexedCompletions).slice(0, MAX_POD_CREATE_DELETE_PER_SYNC);
    if (victims.length > 0) {
      // Deleting and creating in one sync could fight (e.g. repeated indexes): deletion first.
      this.expectations.expectDeletions(key, victims.map((p) => objectKey(p)));
      const { deleted, deletedReady, error } = await this.deleteJobPods(job, key, victims);
      active -= deleted;
      ctx.terminating += deleted;
      ctx.ready -= deletedReady;
      if (error) fail(error, active);
      return active;
    }

    const terminating = onlyReplaceFailedPods(job) ? ctx.terminating : 0;
    let diff = wantActive - terminating - active;
    if (diff <= 0) return active;
    const wait = remainingBackoffMs(ctx.newBackoff, this.d.clock.now());
    if (wait > 0) {
      this.d.queue.addAfter(key, wait);
      return active;
    }
    diff = Math.min(diff, MAX_POD_CREATE_DELETE_PER_SYNC);
    let indexes: number[] | undefined;
    if (indexedCompletions !== undefined) {
      indexes = firstPendingIndexes(ctx.activePods, ctx.succeededIndexes, diff, indexedCompletions);
      diff = indexes.length;
      if (diff === 0) return active;
    }

    this.expectations.expectCreations(key, diff);
    const ref = newControllerRef(job, 'batch/v1', 'Job');
    const template: PodTemplateSpec = structuredClone(job.spec?.template ?? {});
    const tmeta = (template.metadata ??= {});
    if (!tmeta.finalizers?.includes(JOB_TRACKING_FINALIZER)) tmeta.finalizers = [...(tmeta.finalizers ?? []), JOB_TRACKING_FINALIZER];

    const wanted: (number | undefined)[] = indexes ?? Array.from({ length: diff }, () => undefined);
    let attempted = 0;
    let successes = 0;
    let firstError: unknown;
    // Slow start: batches of 1, 2, 4, … stop after the first batch with a failure (quota, admission).
    for (let batch = 1; attempted < diff; batch = Math.min(2 * batch, diff - attempted)) {
      const slice = wanted.slice(attempted, attempted + batch);
      attempted += slice.length;
      const results = await Promise.allSettled(slice.map((ix) =>
        this.createPod(job, ix === undefined ? template : templateForIndex(template, job.metadata!.name!, ix), ref, ix)));
      for (const r of results) {
        if (r.status === 'fulfilled' && r.value) successes++;
        else this.expectations.creationObserved(key); // will never be observed
        if (r.status === 'rejected') firstError ??= r.reason;
      }
      if (firstError !== undefined) break;
    }
    // Creations never attempted will not be observed.
    const skipped = diff - attempted;
    if (skipped > 0) this.expectations.lowerExpectations(key, skipped, 0);
    active += successes;
    if (firstError !== undefined) fail(firstError, active);
    return active;
  }

  /** Creates one pod; resolves false when the namespace is being deleted (nothing to report). */
  private async createPod(job: Job, template: PodTemplateSpec, ref: OwnerReference, ix: number | undefined): Promise<boolean> {
    const name = job.metadata!.name!;
    const pod = podFromTemplate(template, name, ref);
    if (ix !== undefined) pod.metadata!.generateName = `${name}-${ix}-`;
    let created: Pod;
    try {
      created = await this.d.api.createPod(job.metadata!.namespace!, pod);
    } catch (e) {
      if (isNamespaceTerminating(e)) return false;
      this.d.recorder.eventf(job, 'Warning', 'FailedCreate', 'Error creating: %s', errorMessage(e));
      throw e;
    }
    this.d.recorder.eventf(job, 'Normal', 'SuccessfulCreate', 'Created pod: %s', created.metadata?.name);
    return true;
  }

  /** deleteJobPods: removes the finalizer first (the pod is not counted), then deletes. */
  private async deleteJobPods(job: Job, key: string, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    const errors: unknown[] = [];
    await Promise.all(pods.map(async (p) => {
      const ns = p.metadata!.namespace!;
      const name = p.metadata!.name!;
      try {
        const patch = removeTrackingFinalizerPatch(p);
        if (patch) await this.d.api.patchPod(ns, name, patch);
        await this.removePod(job, ns, name);
        deleted++;
        if (isPodReady(p)) deletedReady++;
      } catch (e) {
        // The informer will not show a deletion that did not happen.
        this.expectations.deletionObserved(key, objectKey(p));
        if (isNotFound(e)) { deleted++; if (isPodReady(p)) deletedReady++; } else errors.push(e);
      }
    }));
    return { deleted, deletedReady, error: aggregate(errors) };
  }

  /** deleteActivePods: the Job is over; pods keep their finalizer until tracking counts them. */
  private async deleteActivePods(job: Job, pods: readonly Pod[]): Promise<{ deleted: number; deletedReady: number; error?: unknown }> {
    let deleted = 0;
    let deletedReady = 0;
    const errors: unknown[] = [];
    await Promise.all(pods.map(async (p) => {
      try {
        await this.removePod(job, p.metadata!.namespace!, p.metadata!.name!);
      } catch (e) {
        if (!isNotFound(e)) { errors.push(e); return; }
      }
      deleted++;
      if (isPodReady(p)) deletedReady++;
    }));
    return { deleted, deletedReady, error: aggregate(errors) };
  }

  private async removePod(job: Job, ns: string, name: string): Promise<void> {
    try {
      await this.d.api.deletePod(ns, name);
    } catch (e) {
      if (!isNotFound(e)) this.d.recorder.eventf(job, 'Warning', 'FailedDelete', 'Error deleting: %s', errorMessage(e));
      throw e;
    }
    this.d.recorder.eventf(job, 'Normal', 'SuccessfulDelete', 'Deleted pod: %s', name);
  }

  private canRemoveFinalizer(ctx: SyncCtx, pod: Pod, consideredFailed: boolean): boolean {
    return !!ctx.job.metadata?.deletionTimestamp || !!ctx.finished || pod.status?.phase === 'Succeeded' || consideredFailed;
  }

  /**
   * trackJobStatusAndRemoveFinalizers: records finished pods in
   * uncountedTerminatedPods, removes their finalizers, moves them into the
   * counters, and declares the Job finished once nothing is left uncounted
   * or terminating.
   */
  private async trackStatusAndRemoveFinalizers(ctx: SyncCtx, needsFlush: boolean): Promise<void> {
    const job = ctx.job;
    const status = job.status!;
    const indexed = isIndexedJob(job);
    const completions = job.spec?.completions ?? 0;
    const uncounted = status.uncountedTerminatedPods!;
    uncounted.succeeded ??= [];
    uncounted.failed ??= [];
    if (indexed) ctx.pods.sort((a, b) => completionIndex(a) - completionIndex(b));
    const withFinalizer = new Set<string>();
    for (const p of ctx.pods) {
      const uid = p.metadata?.uid ?? '';
      if (hasTrackingFinalizer(p) && !ctx.expectedRmFinalizers.has(uid)) withFinalizer.add(uid);
    }
    if (cleanUncounted(status, withFinalizer)) needsFlush = true;

    const toRemove: Pod[] = [];
    const newSucceededIndexes: number[] = [];
    let reachedMax = false;
    for (const pod of ctx.pods) {
      const uid = pod.metadata?.uid ?? '';
      if (!hasTrackingFinalizer(pod) || ctx.expectedRmFinalizers.has(uid)) continue; // handled by an earlier sync
      const failed = isPodFailed(pod, job);
      if (!this.canRemoveFinalizer(ctx, pod, failed)) continue;
      toRemove.push(pod);
      const ix = completionIndex(pod);
      if (pod.status?.phase === 'Succeeded' && !ctx.uncounted.failed.has(uid)) {
        if (indexed) {
          if (ix !== UNKNOWN_INDEX && ix < completions && !intervalsHas(ctx.prevSucceededIndexes, ix)) {
            newSucceededIndexes.push(ix);
            needsFlush = true;
          }
        } else if (!ctx.uncounted.succeeded.has(uid)) {
          uncounted.succeeded.push(uid);
          needsFlush = true;
        }
      } else if (failed || (ctx.finished && !isSuccessCriteriaMet(ctx.finished))) {
        // Once the Job has failed, every pod not finished counts as failed.
        if (!ctx.uncounted.failed.has(uid) && (!indexed || (ix !== UNKNOWN_INDEX && ix < completions))) {
          if (matchPodFailurePolicy(job.spec?.podFailurePolicy, pod).countFailed) {
            uncounted.failed.push(uid);
            needsFlush = true;
          }
        }
      }
      if (newSucceededIndexes.length + uncounted.succeeded.length + uncounted.failed.length >= MAX_UNCOUNTED_PODS) {
        // The rest waits for the next sync (the status writes requeue the Job).
        reachedMax = true;
        break;
      }
    }
    if (indexed) {
      ctx.succeededIndexes = withIndexes(ctx.succeededIndexes, newSucceededIndexes);
      const s = formatIntervals(ctx.succeededIndexes);
      if (s !== (status.completedIndexes ?? '')) needsFlush = true;
      status.succeeded = intervalsTotal(ctx.succeededIndexes);
      status.completedIndexes = s;
    }
    const now = this.d.clock.now();
    if (ctx.finished?.type === 'FailureTarget') {
      // Recorded before the finalizers go, so the reason survives a restart.
      (status.conditions ??= []).push(ctx.finished);
      needsFlush = true;
      ctx.finished = newCondition('Failed', 'True', ctx.finished.reason ?? '', ctx.finished.message ?? '', now);
    }
    if (isSuccessCriteriaMet(ctx.finished)) {
      if (findCondition(job, 'SuccessCriteriaMet')?.status !== 'True') {
        (status.conditions ??= []).push(ctx.finished!);
        needsFlush = true;
      }
      ctx.finished = newCondition('Complete', 'True', ctx.finished!.reason ?? '', ctx.finished!.message ?? '', now);
    }

    needsFlush = await this.flushUncountedAndRemoveFinalizers(ctx, toRemove, withFinalizer, needsFlush);
    const finished = !reachedMax && this.enactJobFinished(ctx);
    if (finished) needsFlush = true;
    if (needsFlush) {
      ctx.job = await this.d.api.updateJobStatus({ ...ctx.job, status: normalizeJobStatus(ctx.job.status!) });
      if (finished) this.recordJobFinished(ctx.job, ctx.finished!);
    }
  }

  /** Writes the status (new uncounted UIDs, interim conditions), then removes finalizers, then counts them. Returns whether a write is still pending. */
  private async flushUncountedAndRemoveFinalizers(ctx: SyncCtx, toRemove: readonly Pod[], withFinalizer: Set<string>, needsFlush: boolean): Promise<boolean> {
    if (needsFlush) {
      ctx.job = await this.d.api.updateJobStatus({ ...ctx.job, status: normalizeJobStatus(ctx.job.status!) });
      ctx.job.status ??= {};
      ctx.job.status.uncountedTerminatedPods ??= {};
      this.backoff.update(ctx.newBackoff);
      needsFlush = false;
    }
    let rmError: unknown;
    if (toRemove.length > 0) {
      const { removed, error } = await this.removeTrackingFinalizers(ctx.key, toRemove);
      for (const uid of removed) withFinalizer.delete(uid);
      rmError = error;
    }
    if (cleanUncounted(ctx.job.status!, withFinalizer)) needsFlush = true;
    if (rmError) {
      // Keep what did succeed, then retry the rest.
      if (needsFlush) ctx.job = await this.d.api.updateJobStatus({ ...ctx.job, status: normalizeJobStatus(ctx.job.status!) });
      throw rmError;
    }
    return needsFlush;
  }

  private async removeTrackingFinalizers(key: string, pods: readonly Pod[]): Promise<{ removed: string[]; error?: unknown }> {
    const uids = pods.map((p) => p.metadata?.uid ?? '');
    this.finalizerExpectations.expectRemoved(key, uids);
    const removed: string[] = [];
    const errors: unknown[] = [];
    await Promise.all(pods.map(async (p) => {
      const patch = removeTrackingFinalizerPatch(p);
      if (!patch) return;
      const uid = p.metadata?.uid ?? '';
      try {
        await this.d.api.patchPod(p.metadata!.namespace!, p.metadata!.name!, patch);
      } catch (e) {
        // No update will be observed for it.
        this.finalizerExpectations.removalObserved(key, uid);
        if (!isNotFound(e)) { errors.push(e); return; }
      }
      removed.push(uid);
    }));
    return { removed, error: aggregate(errors) };
  }

  /** Adds Complete or Failed once nothing is uncounted or terminating. */
  private enactJobFinished(ctx: SyncCtx): boolean {
    const c = ctx.finished;
    if (!c) return false;
    const status = ctx.job.status ??= {};
    const u = status.uncountedTerminatedPods;
    if ((u?.succeeded?.length ?? 0) + (u?.failed?.length ?? 0) > 0) return false;
    if (ctx.terminating > 0) return false;
    ensureCondition(ctx.job, c.type, c.status, c.reason ?? '', c.message ?? '', this.d.clock.now());
    if (c.type === 'Complete') status.completionTime = findCondition(ctx.job, 'Complete')?.lastTransitionTime;
    return true;
  }

  private recordJobFinished(job: Job, c: JobCondition): void {
    if (c.type === 'Complete') {
      const completions = job.spec?.completions;
      if (typeof completions === 'number' && (job.status?.succeeded ?? 0) > completions) {
        this.d.recorder.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      this.d.recorder.event(job, 'Normal', 'Completed', 'Job completed');
    } else {
      this.d.recorder.event(job, 'Warning', c.reason ?? 'Failed', c.message ?? '');
    }
  }
}

/** Moves uncounted UIDs whose pod no longer has the finalizer into the counters. Returns whether anything moved. */
function cleanUncounted(status: JobStatus, withFinalizer: Set<string>): boolean {
  const u = (status.uncountedTerminatedPods ??= {});
  let changed = false;
  const keepS = (u.succeeded ?? []).filter((uid) => withFinalizer.has(uid));
  if (keepS.length !== (u.succeeded ?? []).length) {
    status.succeeded = (status.succeeded ?? 0) + (u.succeeded!.length - keepS.length);
    changed = true;
  }
  u.succeeded = keepS;
  const keepF = (u.failed ?? []).filter((uid) => withFinalizer.has(uid));
  if (keepF.length !== (u.failed ?? []).length) {
    status.failed = (status.failed ?? 0) + (u.failed!.length - keepF.length);
    changed = true;
  }
  u.failed = keepF;
  return changed;
}

export interface JobControllerOptions {
  /** Default 5 (upstream's --concurrent-job-syncs). */
  workers?: number;
}

/** The controller the manager runs as "job". */
export function jobController(o: JobControllerOptions = {}): Controller {
  return {
    name: 'job',
    async run(ctx: ControllerContext): Promise<void> {
      const jobInformer = ctx.informers.informerFor<Job>('batch/v1', 'Job');
      const podInformer = ctx.informers.informerFor<Pod>('v1', 'Pod');
      const queue = new WorkQueue<string>({ name: 'job', clock: ctx.clock });
      const orphanQueue = new WorkQueue<string>({ name: 'job_orphan_pod', clock: ctx.clock });
      const c = new JobController({
        jobs: jobInformer.lister(), pods: podInformer.lister(), api: restJobApi(ctx.client),
        recorder: ctx.recorder('job-controller'), clock: ctx.clock, logger: ctx.logger, queue, orphanQueue,
      });
      const handles = [jobInformer.on(c.jobHandler()), podInformer.on(c.podHandler())];
      try {
        if (!(await waitForSync(ctx.signal, jobInformer, podInformer))) return;
        await Promise.all([
          runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS }),
          runWorkers(orphanQueue, (key) => c.syncOrphanPod(key), { signal: ctx.signal, logger: ctx.logger.child({ queue: 'orphan-pods' }) }),
        ]);
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
        orphanQueue.shutDown();
      }
    },
  };
}
