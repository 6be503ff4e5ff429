// The CronJob controller (upstream pkg/controller/cronjob, "v2"): for each
// CronJob, finds the most recent schedule time not yet run, creates the Job
// for it — named <cronjob>-<scheduled time in minutes since the epoch>, so a
// restart never makes it twice — honouring suspend, startingDeadlineSeconds
// and concurrencyPolicy (Allow, Forbid, Replace); keeps status.active,
// lastScheduleTime and lastSuccessfulTime; deletes finished Jobs beyond the
// history limits; and requeues itself for the next schedule time. Time comes
// from the injected Clock.

import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isAlreadyExists, isNotFound, objectKey, splitKey, WorkQueue, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import type { Recorder } from '../replicaset/replicaset.ts';
import { controllerOf, errorMessage, isNamespaceTerminating, jsonEqual, newControllerRef, parseTime, rfc3339 } from '../replicaset/util.ts';
import { finishedCondition, isJobFinished } from '../job/util.ts';
import { isKnownTimeZone } from '../../api/validation/cron.ts';
import { formatRFC3339InZone, formatSchedule, parseSchedule, Zone, type Schedule } from './cron.ts';

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';
/** Requeue a little after the schedule time, so the sync sees it as due (nextScheduleDelta). */
export const NEXT_SCHEDULE_DELTA_MS = 100;
/** Above this many missed start times the controller warns (and still runs the latest). */
export const MAX_MISSED_BEFORE_WARNING = 100;
export const DEFAULT_WORKERS = 5;

/** The API calls the controller makes; a fake records them in tests. */
export interface CronJobApi {
  getCronJob(namespace: string, name: string): Promise<CronJob>;
  updateCronJobStatus(cj: CronJob): Promise<CronJob>;
  getJob(namespace: string, name: string): Promise<Job>;
  createJob(namespace: string, job: Job): Promise<Job>;
  /** With propagationPolicy Background, as upstream. */
  deleteJob(namespace: string, name: string): Promise<void>;
}

export function restCronJobApi(client: RestClient): CronJobApi {
  const cjs = client.resource<CronJob>('batch/v1', 'CronJob');
  const jobs = client.resource<Job>('batch/v1', 'Job');
  return {
    getCronJob: (ns, name) => cjs.namespace(ns).get(name),
    updateCronJobStatus: (cj) => cjs.namespace(cj.metadata!.namespace!).updateStatus(cj),
    getJob: (ns, name) => jobs.namespace(ns).get(name),
    createJob: (ns, job) => jobs.namespace(ns).create(job),
    deleteJob: async (ns, name) => { await jobs.namespace(ns).delete(name, { propagationPolicy: 'Background' }); },
  };
}

export interface CronJobControllerDeps {
  cronJobs: Lister<CronJob>;
  jobs: Lister<Job>;
  api: CronJobApi;
  recorder: Recorder;
  clock: Clock;
  logger: Logger;
  queue: Pick<WorkQueue<string>, 'add' | 'addAfter'>;
}

/** <cronjob>-<minutes since the epoch of the scheduled time>. */
export function jobNameFor(cj: CronJob, scheduledMs: number): string {
  return `${cj.metadata?.name}-${Math.floor(scheduledMs / 60_000)}`;
}

export interface MostRecent {
  /** Where the search started: lastScheduleTime, else creation (or the starting deadline when later). */
  earliest: number;
  /** The latest schedule time ≤ now after `earliest`, if any. */
  mostRecent?: number;
  missed: number;
}

/**
 * mostRecentScheduleTime: the latest schedule time that is due and not yet
 * run, and roughly how many were missed (counted from the interval between
 * the first two, as upstream does, so a long outage costs no long loop).
 */
export function mostRecentScheduleTime(cj: CronJob, nowMs: number, sched: Schedule, includeStartingDeadline: boolean): MostRecent {
  let earliest = parseTime(cj.status?.lastScheduleTime) ?? parseTime(cj.metadata?.creationTimestamp) ?? nowMs;
  const deadline = cj.spec?.startingDeadlineSeconds;
  if (includeStartingDeadline && typeof deadline === 'number') {
    // Nothing older than the deadline can start anyway.
    const limit = nowMs - deadline * 1000;
    if (limit > earliest) earliest = limit;
  }
  const t1 = sched.next(earliest);
  if (t1 === undefined || nowMs < t1) return { earliest, missed: 0 };
  const t2 = sched.next(t1);
  if (t2 === undefined || nowMs < t2) return { earliest, mostRecent: t1, missed: 1 };
  const between = Math.round((t2 - t1) / 1000);
  if (between < 1) throw new Error('time difference between two schedules is less than 1 second');
  const elapsed = Math.floor((nowMs - t1) / 1000);
  const missed = Math.floor(elapsed / between) + 1;
  // Start a little before the estimate and let the schedule find the exact latest time.
  let mostRecent: number | undefined;
  const from = t1 + (missed - 2) * between * 1000;
  for (let t = sched.next(from); t !== undefined && t <= nowMs; t = sched.next(t)) mostRecent = t;
  if (mostRecent === undefined || mostRecent < t1) {
    // Irregular schedules can fool the estimate: walk from t1 (bounded).
    for (let t: number | undefined = t1, i = 0; t !== undefined && t <= nowMs && i < 1_000_000; t = sched.next(t), i++) mostRecent = t;
  }
  return { earliest, mostRecent, missed };
}

/** How long until the schedule time after the latest one due (plus a small delta). */
export function nextScheduleDelay(cj: CronJob, nowMs: number, sched: Schedule): number | undefined {
  let base: number;
  try {
    const r = mostRecentScheduleTime(cj, nowMs, sched, false);
    base = r.mostRecent ?? r.earliest;
  } catch {
    base = nowMs;
  }
  const next = sched.next(base);
  return next === undefined ? undefined : next + NEXT_SCHEDULE_DELTA_MS - nowMs;
}

/** The Job for one scheduled time (getJobFromTemplate2). */
export function jobFromTemplate(cj: CronJob, scheduledMs: number): Job {
  const tpl = cj.spec?.jobTemplate;
  const zone = new Zone(cj.spec?.timeZone ?? 'UTC');
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduledMs),
      labels: { ...tpl?.metadata?.labels },
      annotations: { ...tpl?.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: formatRFC3339InZone(scheduledMs, zone) },
      ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(tpl?.spec ?? { template: {} }),
  };
}

function jobRef(job: Job): ObjectReference {
  return {
    apiVersion: 'batch/v1', kind: 'Job', name: job.metadata?.name, namespace: job.metadata?.namespace,
    resourceVersion: job.metadata?.resourceVersion, uid: job.metadata?.uid,
  };
}

/** Oldest first by status.startTime (jobs never started last), then by name. */
function byStartTime(a: Job, b: Job): number {
  const ta = parseTime(a.status?.startTime);
  const tb = parseTime(b.status?.startTime);
  if (ta === undefined && tb !== undefined) return 1;
  if (ta !== undefined && tb === undefined) return -1;
  if (ta === tb) return (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');
  return ta! - tb!;
}

export class CronJobController {
  private readonly d: CronJobControllerDeps;

  constructor(deps: CronJobControllerDeps) {
    this.d = deps;
  }

  // ---- event handlers ------------------------------------------------------

  cronJobHandler(): ResourceEventHandler<CronJob> {
    return {
      add: (cj) => this.d.queue.add(objectKey(cj)),
      update: (old, cur) => {
        if (old.spec?.schedule !== cur.spec?.schedule || old.spec?.timeZone !== cur.spec?.timeZone) {
          // A new schedule: the next run may now be sooner than the one already queued.
          let sched: Schedule;
          try {
            sched = parseSchedule(formatSchedule(cur.spec?.schedule ?? '', cur.spec?.timeZone));
          } catch {
            this.d.recorder.eventf(cur, 'Warning', 'UnParseableCronJobSchedule', 'unparseable schedule for cronjob: %s', cur.spec?.schedule);
            return;
          }
          const delay = nextScheduleDelay(cur, this.d.clock.now(), sched);
          if (delay !== undefined) this.d.queue.addAfter(objectKey(cur), delay);
          return;
        }
        this.d.queue.add(objectKey(cur));
      },
      delete: (cj) => this.d.queue.add(objectKey(cj)),
    };
  }

  jobHandler(): ResourceEventHandler<Job> {
    const enqueueOwner = (job: Job, ref: OwnerReference | undefined): void => {
      const cj = this.resolve(job.metadata?.namespace, ref);
      if (cj) this.d.queue.add(objectKey(cj));
    };
    return {
      add: (job) => enqueueOwner(job, controllerOf(job)),
      update: (old, cur) => {
        if (old.metadata?.resourceVersion === cur.metadata?.resourceVersion) return;
        const curRef = controllerOf(cur);
        const oldRef = controllerOf(old);
        if (oldRef && !jsonEqual(curRef, oldRef)) enqueueOwner(old, oldRef);
        enqueueOwner(cur, curRef);
      },
      delete: (job) => enqueueOwner(job, controllerOf(job)),
    };
  }

  private resolve(ns: string | undefined, ref: OwnerReference | undefined): CronJob | undefined {
    if (!ref || ref.kind !== 'CronJob') return undefined;
    const cj = this.d.cronJobs.get(ns, ref.name);
    return cj && cj.metadata?.uid === ref.uid ? cj : undefined;
  }

  // ---- sync ----------------------------------------------------------------

  /** Idempotent; requeues itself for the next schedule time. Throws to be retried. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.d.cronJobs.get(ns, name);
    if (!cached) return;
    // Jobs whose controller reference names this CronJob (upstream matches by name).
    const jobs = this.d.jobs.list(ns).filter((j) => controllerOf(j)?.name === name && controllerOf(j)?.kind === 'CronJob');
    let cj: CronJob = structuredClone(cached);
    let requeueAfter: number | undefined;
    let syncErr: unknown;
    let updateStatus = false;
    try {
      const r = await this.syncCronJob(cj, jobs);
      ({ cronJob: cj, requeueAfter, updateStatus } = r);
    } catch (e) {
      // The error carries what the sync had already changed.
      syncErr = e;
      const partial = e as { updateStatus?: boolean; cronJob?: CronJob };
      updateStatus = partial.updateStatus ?? false;
      cj = partial.cronJob ?? cj;
    }
    if (await this.cleanupFinishedJobs(cj, jobs)) updateStatus = true;
    if (updateStatus) await this.d.api.updateCronJobStatus(cj);
    if (requeueAfter !== undefined) {
      this.d.queue.addAfter(key, Math.max(0, requeueAfter));
      return;
    }
    if (syncErr) throw syncErr;
  }

  private async syncCronJob(cronJob: CronJob, jobs: readonly Job[]): Promise<{ cronJob: CronJob; requeueAfter?: number; updateStatus: boolean }> {
    let cj = cronJob;
    const now = this.d.clock.now();
    let updateStatus = false;
    const fail = (e: unknown): never => { throw Object.assign(e instanceof Error ? e : new Error(String(e)), { updateStatus, cronJob: cj }); };
    cj.status ??= {};
    const inActive = (c: CronJob, uid: string | undefined): boolean => !!c.status?.active?.some((r) => r.uid === uid);
    const dropActive = (uid: string | undefined): void => {
      cj.status!.active = (cj.status!.active ?? []).filter((r) => r.uid !== uid);
      if (cj.status!.active.length === 0) delete cj.status!.active;
    };

    const children = new Set<string>();
    for (const j of jobs) {
      const uid = j.metadata?.uid ?? '';
      children.add(uid);
      const found = inActive(cj, uid);
      if (!found && !isJobFinished(j)) {
        // Our status may just be older than the Job (a status write lost, or the cache behind).
        let fresh: CronJob;
        try { fresh = await this.d.api.getCronJob(cj.metadata!.namespace!, cj.metadata!.name!); } catch (e) { return fail(e); }
        if (inActive(fresh, uid)) {
          cj = structuredClone(fresh);
          cj.status ??= {};
          continue;
        }
        this.d.recorder.eventf(cj, 'Warning', 'UnexpectedJob', 'Saw a job that the controller did not create or forgot: %s', j.metadata?.name);
      } else if (isJobFinished(j)) {
        if (found) {
          dropActive(uid);
          this.d.recorder.eventf(cj, 'Normal', 'SawCompletedJob', 'Saw completed job: %s, condition: %s', j.metadata?.name, finishedCondition(j)?.type);
          updateStatus = true;
        }
        // Any succeeded Job counts, in the active list or not.
        if (finishedCondition(j)?.type === 'Complete') {
          const done = parseTime(j.status?.completionTime);
          const last = parseTime(cj.status!.lastSuccessfulTime);
          if (j.status?.completionTime && (last === undefined || (done !== undefined && done > last))) {
            cj.status!.lastSuccessfulTime = j.status.completionTime;
            updateStatus = true;
          }
        }
      }
    }
    // Jobs in the active list that no longer exist (checked with the API: the cache may lag).
    for (const ref of [...(cj.status!.active ?? [])]) {
      if (children.has(ref.uid ?? '')) continue;
      try {
        await this.d.api.getJob(ref.namespace ?? cj.metadata!.namespace!, ref.name ?? '');
      } catch (e) {
        if (!isNotFound(e)) return fail(e);
        this.d.recorder.eventf(cj, 'Normal', 'MissingJob', 'Active job went missing: %s', ref.name);
        dropActive(ref.uid);
        updateStatus = true;
      }
    }

    if (cj.metadata?.deletionTimestamp) return { cronJob: cj, updateStatus };
    const tz = cj.spec?.timeZone;
    if (tz !== undefined && tz !== null && (tz === '' || !isKnownTimeZone(tz))) {
      this.d.recorder.eventf(cj, 'Warning', 'UnknownTimeZone', 'invalid timeZone: "%s": unknown time zone %s', tz, tz);
      return { cronJob: cj, updateStatus };
    }
    if (cj.spec?.suspend === true) return { cronJob: cj, updateStatus };

    const scheduleText = cj.spec?.schedule ?? '';
    if (scheduleText.includes('TZ')) {
      this.d.recorder.eventf(cj, 'Warning', 'UnsupportedSchedule', 'CRON_TZ or TZ used in schedule "%s" is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details', scheduleText);
    }
    let sched: Schedule;
    try {
      sched = parseSchedule(formatSchedule(scheduleText, tz));
    } catch (e) {
      this.d.recorder.eventf(cj, 'Warning', 'UnparseableSchedule', 'unparseable schedule: "%s" : %s', scheduleText, errorMessage(e));
      return { cronJob: cj, updateStatus };
    }
    let scheduled: number | undefined;
    try {
      const r = mostRecentScheduleTime(cj, now, sched, true);
      if (r.mostRecent !== undefined && r.mostRecent <= now) {
        scheduled = r.mostRecent;
        if (r.missed > MAX_MISSED_BEFORE_WARNING) {
          this.d.recorder.eventf(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times: %d. Set or decrease .spec.startingDeadlineSeconds or check clock skew', r.missed);
          this.d.logger.info({ cronJob: objectKey(cj), missedTimes: r.missed }, 'too many missed times');
        }
      }
    } catch (e) {
      this.d.recorder.eventf(cj, 'Warning', 'InvalidSchedule', 'invalid schedule: %s : %s', scheduleText, errorMessage(e));
      return { cronJob: cj, updateStatus };
    }
    const requeue = (): { cronJob: CronJob; requeueAfter?: number; updateStatus: boolean } => ({ cronJob: cj, requeueAfter: nextScheduleDelay(cj, now, sched), updateStatus });
    if (scheduled === undefined) return requeue();

    const deadline = cj.spec?.startingDeadlineSeconds;
    if (typeof deadline === 'number' && scheduled + deadline * 1000 < now) {
      this.d.recorder.eventf(cj, 'Warning', 'MissSchedule', 'Missed scheduled time to start a job: %s', rfc1123z(scheduled));
      return requeue();
    }
    const name = jobNameFor(cj, scheduled);
    if (cj.status!.active?.some((r) => r.name === name) || parseTime(cj.status!.lastScheduleTime) === scheduled) {
      return requeue(); // already done
    }
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && (cj.status!.active?.length ?? 0) > 0) {
      this.d.recorder.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (policy === 'Replace') {
      for (const ref of [...(cj.status!.active ?? [])]) {
        let job: Job;
        try {
          job = await this.d.api.getJob(ref.namespace ?? cj.metadata!.namespace!, ref.name ?? '');
        } catch (e) {
          this.d.recorder.eventf(cj, 'Warning', 'FailedGet', 'Get job: %s', errorMessage(e));
          return fail(e);
        }
        if (!(await this.deleteJob(cj, job))) return fail(new Error(`could not replace job ${job.metadata?.namespace}/${job.metadata?.name}`));
        updateStatus = true;
      }
    }

    const req = jobFromTemplate(cj, scheduled);
    let created: Job;
    let existed = false;
    try {
      created = await this.d.api.createJob(cj.metadata!.namespace!, req);
    } catch (e) {
      if (isNamespaceTerminating(e)) return fail(e);
      if (!isAlreadyExists(e)) {
        this.d.recorder.eventf(cj, 'Warning', 'FailedCreate', 'Error creating job: %s', errorMessage(e));
        return fail(e);
      }
      // Made before, but the status write that should have followed was lost?
      existed = true;
      try { created = await this.d.api.getJob(cj.metadata!.namespace!, name); } catch (e2) { return fail(e2); }
      if (controllerOf(created)?.uid !== cj.metadata?.uid) return { cronJob: cj, updateStatus }; // someone else's
      if (inActive(cj, created.metadata?.uid)) return { cronJob: cj, updateStatus };
    }
    if (existed) this.d.logger.info({ cronJob: objectKey(cj), job: name }, 'job already exists');
    else this.d.recorder.eventf(cj, 'Normal', 'SuccessfulCreate', 'Created job %s', created.metadata?.name);
    cj.status!.active = [...(cj.status!.active ?? []), jobRef(created)];
    cj.status!.lastScheduleTime = rfc3339(scheduled);
    updateStatus = true;
    return requeue();
  }

  /** Deletes finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit, oldest first. */
  private async cleanupFinishedJobs(cj: CronJob, jobs: readonly Job[]): Promise<boolean> {
    const okLimit = cj.spec?.successfulJobsHistoryLimit;
    const failLimit = cj.spec?.failedJobsHistoryLimit;
    if (okLimit == null && failLimit == null) return false;
    const succeeded: Job[] = [];
    const failed: Job[] = [];
    for (const j of jobs) {
      const c = finishedCondition(j)?.type;
      if (c === 'Complete') succeeded.push(j);
      else if (c === 'Failed') failed.push(j);
    }
    let changed = false;
    for (const [list, limit] of [[succeeded, okLimit], [failed, failLimit]] as const) {
      if (limit == null || list.length <= limit) continue;
      const victims = [...list].sort(byStartTime).slice(0, list.length - limit);
      for (const j of victims) if (await this.deleteJob(cj, j)) changed = true;
    }
    return changed;
  }

  /** Deletes a Job (background propagation) and drops it from the active list. */
  private async deleteJob(cj: CronJob, job: Job): Promise<boolean> {
    try {
      await this.d.api.deleteJob(job.metadata!.namespace!, job.metadata!.name!);
    } catch (e) {
      this.d.recorder.eventf(cj, 'Warning', 'FailedDelete', 'Deleted job: %s', errorMessage(e));
      this.d.logger.error({ err: e, job: objectKey(job), cronJob: objectKey(cj) }, 'error deleting job from cronjob');
      return false;
    }
    if (cj.status?.active) {
      cj.status.active = cj.status.active.filter((r) => r.uid !== job.metadata?.uid);
      if (cj.status.active.length === 0) delete cj.status.active;
    }
    this.d.recorder.eventf(cj, 'Normal', 'SuccessfulDelete', 'Deleted job %s', job.metadata?.name);
    return true;
  }
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z in UTC: "Mon, 02 Jan 2006 15:04:05 +0000". */
export function rfc1123z(ms: number): string {
  const d = new Date(ms);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAY_NAMES[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTH_NAMES[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

export interface CronJobControllerOptions {
  /** Default 5 (upstream's --concurrent-cron-job-syncs). */
  workers?: number;
}

/** The controller the manager runs as "cronjob". */
export function cronJobController(o: CronJobControllerOptions = {}): Controller {
  return {
    name: 'cronjob',
    async run(ctx: ControllerContext): Promise<void> {
      const cjInformer = ctx.informers.informerFor<CronJob>('batch/v1', 'CronJob');
      const jobInformer = ctx.informers.informerFor<Job>('batch/v1', 'Job');
      const queue = new WorkQueue<string>({ name: 'cronjob', clock: ctx.clock });
      const c = new CronJobController({
        cronJobs: cjInformer.lister(), jobs: jobInformer.lister(), api: restCronJobApi(ctx.client),
        recorder: ctx.recorder('cronjob-controller'), clock: ctx.clock, logger: ctx.logger, queue,
      });
      const handles = [cjInformer.on(c.cronJobHandler()), jobInformer.on(c.jobHandler())];
      try {
        if (!(await waitForSync(ctx.signal, cjInformer, jobInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
