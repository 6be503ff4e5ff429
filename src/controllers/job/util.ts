// Facts about Jobs that the Job, CronJob and TTL-after-finished controllers
// share (upstream pkg/controller/job/util and the batch API constants).

import type { Job, JobCondition } from 'kubernetes-types/batch/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseTime, rfc3339 } from '../replicaset/util.ts';

/** Keeps a finished pod around until the Job controller has counted it. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
/** Annotation (and, since PodIndexLabel, label) carrying an Indexed Job pod's index. */
export const JOB_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
/** The environment variable Indexed Job containers read their index from. */
export const JOB_COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/** The first condition of `type`, as upstream looks it up. */
export function findCondition(job: Job, type: string): JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type);
}

/** Complete or Failed (status True): the Job will not run anything more (util.FinishedCondition). */
export function finishedCondition(job: Job): JobCondition | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
}

export function isJobFinished(job: Job): boolean {
  return finishedCondition(job) !== undefined;
}

/** When the Job finished: its terminal condition's lastTransitionTime (ms), if finished. */
export function jobFinishTime(job: Job): number | undefined {
  return parseTime(finishedCondition(job)?.lastTransitionTime);
}

export function isJobSuspended(job: Job): boolean {
  return job.spec?.suspend === true;
}

export function isIndexedJob(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

export function hasTrackingFinalizer(pod: Pod): boolean {
  return !!pod.metadata?.finalizers?.includes(JOB_TRACKING_FINALIZER);
}

/** Strategic merge patch removing the tracking finalizer; undefined when the pod has none. */
export function removeTrackingFinalizerPatch(pod: Pod): object | undefined {
  if (!hasTrackingFinalizer(pod)) return undefined;
  return { metadata: { '$deleteFromPrimitiveList/finalizers': [JOB_TRACKING_FINALIZER] } };
}

/** A JobCondition as upstream's newCondition makes it (probe and transition time both now). */
export function newCondition(type: string, status: string, reason: string, message: string, nowMs: number): JobCondition {
  const at = rfc3339(nowMs);
  const c: JobCondition = { type, status, lastProbeTime: at, lastTransitionTime: at };
  if (reason) c.reason = reason;
  if (message) c.message = message;
  return c;
}

/**
 * ensureJobConditionStatus: sets the condition of `type` (replacing it when
 * status, reason or message differ); a False condition is never added where
 * none was. Returns whether the list changed.
 */
export function ensureCondition(job: Job, type: string, status: string, reason: string, message: string, nowMs: number): boolean {
  const status0 = (job.status ??= {});
  const list = (status0.conditions ??= []);
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i];
    if (c.status !== status || (c.reason ?? '') !== reason || (c.message ?? '') !== message) {
      list[i] = newCondition(type, status, reason, message, nowMs);
      return true;
    }
    return false;
  }
  if (status === 'False') {
    if (list.length === 0) delete status0.conditions;
    return false;
  }
  list.push(newCondition(type, status, reason, message, nowMs));
  return true;
}

/** Not finished and not being deleted (controller.IsPodActive). */
export function isPodActive(p: Pod): boolean {
  const phase = p.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata?.deletionTimestamp;
}

/** Being deleted but not yet finished (controller.IsPodTerminating). */
export function isPodTerminating(p: Pod): boolean {
  const phase = p.status?.phase;
  return !!p.metadata?.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}
