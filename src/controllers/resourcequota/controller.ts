// The ResourceQuota controller (upstream pkg/controller/resourcequota):
// keeps every quota's status.hard equal to spec.hard and status.used equal
// to what the namespace's objects charge (pods, services, claims, object
// counts, compute requests and limits, within the quota's scopes). It
// recounts when a quota appears or its spec changes, when a counted object
// is deleted or stops charging (monitor.ts), and every resync period (5
// minutes, upstream's --resource-quota-sync-period), which also corrects
// charges the admission plugin made for writes that then failed.

import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { calculateUsage, canonical, equals, evaluatorsFor, mask, type ResourceList } from '../../api/quota/index.ts';
import type { Clock, Disposable } from '../../base/clock.ts';
import { isNotFound, objectKey, splitKey, WorkQueue, type Lister, type ResourceEventHandler, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { QuotaMonitor, type InformerSource } from './monitor.ts';

/** Upstream's --concurrent-resource-quota-syncs. */
export const DEFAULT_WORKERS = 5;
/** Upstream's --resource-quota-sync-period. */
export const DEFAULT_RESYNC_MS = 5 * 60 * 1000;

export interface ResourceQuotaApi {
  updateStatus(rq: ResourceQuota): Promise<ResourceQuota>;
}

export function restResourceQuotaApi(client: RestClient): ResourceQuotaApi {
  const rqs = client.resource<ResourceQuota>('v1', 'ResourceQuota');
  return { updateStatus: (rq) => rqs.namespace(rq.metadata!.namespace!).updateStatus(rq) };
}

export interface ResourceQuotaControllerDeps {
  quotas: Lister<ResourceQuota>;
  informers: InformerSource;
  api: ResourceQuotaApi;
  clock: Clock;
  logger: Logger;
  queue: WorkQueue<string>;
  resyncMs?: number;
}

export class ResourceQuotaController {
  readonly monitor: QuotaMonitor;
  private readonly d: ResourceQuotaControllerDeps;
  private resyncTimer?: Disposable;

  constructor(deps: ResourceQuotaControllerDeps) {
    this.d = deps;
    this.monitor = new QuotaMonitor(deps.informers, deps.clock, (g, p, ns) => this.replenish(g, p, ns), (ns) => deps.quotas.list(ns).length > 0);
  }

  quotaHandler(): ResourceEventHandler<ResourceQuota> {
    return {
      add: (rq) => { this.watchResourcesOf(rq); this.d.queue.add(objectKey(rq)); },
      update: (old, cur) => {
        // Only a change of spec.hard: status changes are this controller's and the admission plugin's
        // (recounting on the latter, from a cache that may not show the admitted object yet, would under-count).
        if (equals(old.spec?.hard as ResourceList | undefined, cur.spec?.hard as ResourceList | undefined)) return;
        this.watchResourcesOf(cur);
        this.d.queue.add(objectKey(cur));
      },
    };
  }

  /** Start watching what the quota counts now, so that deletions are seen from the start. */
  private watchResourcesOf(rq: ResourceQuota): void {
    for (const { group, plural } of evaluatorsFor(Object.keys(rq.spec?.hard ?? {}))) this.monitor.monitor(group, plural);
  }

  /** Every quota of the namespace that counts group/plural is recounted. */
  replenish(group: string, plural: string, namespace: string): void {
    for (const rq of this.d.quotas.list(namespace)) {
      const tracked = evaluatorsFor(Object.keys(rq.status?.hard ?? rq.spec?.hard ?? {}));
      if (tracked.some((e) => e.group === group && e.plural === plural)) this.d.queue.add(objectKey(rq));
    }
  }

  /** Enqueues every quota every resync period until disposed. */
  startResync(): Disposable {
    const period = this.d.resyncMs ?? DEFAULT_RESYNC_MS;
    const tick = (): void => {
      for (const key of this.d.quotas.keys()) this.d.queue.add(key);
      this.resyncTimer = this.d.clock.setTimeout(tick, period);
    };
    this.resyncTimer = this.d.clock.setTimeout(tick, period);
    return { dispose: () => { this.resyncTimer?.dispose(); this.monitor.dispose(); } };
  }

  /** syncResourceQuota: idempotent; throws (RetryLater) while a counted informer has not synced. */
  async sync(key: string): Promise<void> {
    const [ns, name] = splitKey(key);
    const rq = this.d.quotas.get(ns, name);
    if (!rq) return;
    const hard = canonical(rq.spec?.hard as ResourceList | undefined);
    const newUsage = calculateUsage(rq, (g, p, n) => this.monitor.list(g, p, n), this.d.clock.now());
    // Keep earlier observations of resources no evaluator measures, limited to what is still hard.
    const used = mask({ ...(rq.status?.used ?? {}), ...newUsage }, Object.keys(hard));
    const dirty = !rq.status?.hard || !rq.status?.used || !equals(hard, rq.status.hard as ResourceList) || !equals(used, rq.status.used as ResourceList);
    if (!dirty) return;
    const next: ResourceQuota = { ...structuredClone(rq) as ResourceQuota, status: { hard, used } };
    try {
      await this.d.api.updateStatus(next);
    } catch (e) {
      if (isNotFound(e)) return; // deleted meanwhile
      throw e; // a Conflict (admission charged meanwhile) is retried from a fresher cache
    }
  }
}

export interface ResourceQuotaControllerOptions {
  workers?: number;
  resyncMs?: number;
}

/** The controller the manager runs as "resourcequota". */
export function resourceQuotaController(o: ResourceQuotaControllerOptions = {}): Controller {
  return {
    name: 'resourcequota',
    async run(ctx: ControllerContext): Promise<void> {
      const rqInformer = ctx.informers.informerFor<ResourceQuota>('v1', 'ResourceQuota');
      // The usual counted resources are watched from the start (the others when a quota names them).
      const pods = ctx.informers.informerFor('v1', 'Pod');
      const services = ctx.informers.informerFor('v1', 'Service');
      const queue = new WorkQueue<string>({ name: 'resourcequota', clock: ctx.clock });
      const c = new ResourceQuotaController({
        quotas: rqInformer.lister(), informers: ctx.informers, api: restResourceQuotaApi(ctx.client), clock: ctx.clock, logger: ctx.logger, queue,
        resyncMs: o.resyncMs,
      });
      c.monitor.monitor('', 'pods');
      c.monitor.monitor('', 'services');
      const handles = [rqInformer.on(c.quotaHandler())];
      let resync: Disposable | undefined;
      try {
        if (!(await waitForSync(ctx.signal, rqInformer, pods, services))) return;
        resync = c.startResync();
        await runWorkers(queue, (key) => c.sync(key), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? DEFAULT_WORKERS });
      } finally {
        for (const h of handles) h.dispose();
        resync?.dispose();
        c.monitor.dispose();
        queue.shutDown();
      }
    },
  };
}
