// The TTL-after-finished controller (upstream pkg/controller/ttlafterfinished):
// deletes a Job spec.ttlSecondsAfterFinished seconds after it finished
// (Complete or Failed), with foreground propagation so its pods go first.
// Before deleting it re-reads the Job from the API: the TTL may have been
// changed since the cache saw it. Time comes from the injected Clock.

import type { Job } from 'kubernetes-types/batch/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../../base/clock.ts';
import { isNotFound, objectKey, splitKey, WorkQueue, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { isJobFinished, jobFinishTime } from '../job/util.ts';

/** Upstream's --concurrent-ttl-after-finished-syncs. */
export const DEFAULT_WORKERS = 5;

export interface TTLApi {
  getJob(namespace: string, name: string): Promise<Job>;
  /** Foreground propagation, precondition on the uid. */
  deleteJob(namespace: string, name: string, uid: string): Promise<void>;
}

export function restTTLApi(client: RestClient): TTLApi {
  const jobs = client.resource<Job>('batch/v1', 'Job');
  return {
    getJob: (ns, name) => jobs.namespace(ns).get(name),
    deleteJob: async (ns, name, uid) => { await jobs.namespace(ns).delete(name, { propagationPolicy: 'Foreground', preconditions: { uid } }); },
  };
}

export interface TTLControllerDeps {
  jobs: Lister<Job>;
  api: TTLApi;
  clock: Clock;
  logger: Logger;
  queue: Pick<WorkQueue<string>, 'add' | 'addAfter'>;
}

/** A TTL is set and the Job has finished. */
export function needsCleanup(job: Job): boolean {
  return typeof job.spec?.ttlSecondsAfterFinished === 'number' && isJobFinished(job);
}

export class TTLAfterFinishedController {
  constructor(private readonly d: TTLControllerDeps) {}

  jobHandler(): ResourceEventHandler<Job> {
    const maybe = (job: Job): void => { if (needsCleanup(job)) this.d.queue.add(objectKey(job)); };
    return { add: maybe, update: (_old, cur) => maybe(cur) };
  }

  /**
   * When the Job's TTL ran out (ms), if it has; otherwise requeues the Job
   * for when it will. Undefined too for Jobs being deleted or not to clean up.
   */
  private expiredAt(job: Job): number | undefined {
    if (job.metadata?.deletionTimestamp || !needsCleanup(job)) return undefined;
    const finished = jobFinishTime(job);
    if (finished === undefined) throw new Error(`unable to find the time when the Job ${job.metadata?.namespace}/${job.metadata?.name} finished`);
    const now = this.d.clock.now();
    if (finished > now) {
      this.d.logger.info({ job: objectKey(job) }, 'Warning: Found Job finished in the future. This is likely due to time skew in the cluster. Job cleanup will be deferred.');
    }
    const expireAt = finished + job.spec!.ttlSecondsAfterFinished! * 1000;
    if (expireAt <= now) return expireAt;
    this.d.queue.addAfter(objectKey(job), expireAt - now);
    return undefined;
  }

  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const cached = this.d.jobs.get(ns, name);
    if (!cached || this.expiredAt(cached) === undefined) return;
    // The cache may be stale (TTL changed, Job re-created): decide on a fresh read.
    let fresh: Job;
    try {
      fresh = await this.d.api.getJob(ns ?? '', name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    const expired = this.expiredAt(fresh);
    if (expired === undefined) return;
    this.d.logger.debug({ job: key, expiredAgoMs: this.d.clock.now() - expired }, 'cleaning up Job');
    try {
      await this.d.api.deleteJob(ns ?? '', name, fresh.metadata!.uid!);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
}

export interface TTLControllerOptions {
  workers?: number;
}

/** The controller the manager runs as "ttl-after-finished". */
export function ttlAfterFinishedController(o: TTLControllerOptions = {}): Controller {
  return {
    name: 'ttl-after-finished',
    async run(ctx: ControllerContext): Promise<void> {
      const jobInformer = ctx.informers.informerFor<Job>('batch/v1', 'Job');
      const queue = new WorkQueue<string>({ name: 'ttl_jobs_to_delete', clock: ctx.clock });
      const c = new TTLAfterFinishedController({ jobs: jobInformer.lister(), api: restTTLApi(ctx.client), clock: ctx.clock, logger: ctx.logger, queue });
      const handle = jobInformer.on(c.jobHandler());
      try {
        if (!(await waitForSync(ctx.signal, jobInformer))) return;
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        handle.dispose();
        queue.shutDown();
      }
    },
  };
}
