// Deleting a namespace's content, as upstream's NamespacedResourcesDeleter:
//
//   namespace has deletionTimestamp and the `kubernetes` finalizer
//     → for every namespaced resource: deletecollection (or list + delete each)
//     → list what is left: objects still terminating (pods' grace period) or
//       held by finalizers (foregroundDeletion, …)
//     → write the status conditions (ContentRemaining, FinalizersRemaining, …)
//     → content left: not done, try again later (RetryLater)
//     → nothing left: PUT namespaces/{name}/finalize without `kubernetes`;
//       the apiserver then removes the namespace.
//
// Every step is idempotent: a pass interrupted anywhere is simply run again.

import type { Namespace, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isVirtual, RESOURCES, type ResourceInfo } from '../../api/resources.ts';
import type { Clock } from '../../base/clock.ts';
import { isConflict, isNotFound, type KubeObject, type RestClient } from '../../client/index.ts';
import { ApiError } from '../../base/errors.ts';
import { RetryLater } from '../worker.ts';
import { failureConditions, rfc3339, updateConditions, type DeletionTotals } from './conditions.ts';

/** The spec.finalizer the namespace controller owns. */
export const FINALIZER = 'kubernetes';

/**
 * Namespaced resources whose objects a namespace deletion removes: listable and
 * deletable, not virtual (bindings, reviews). From the resource registry, as
 * discovery would report it.
 */
export function deletableResources(all: readonly ResourceInfo[] = RESOURCES): ResourceInfo[] {
  return all.filter((r) => r.namespaced && !isVirtual(r) && r.verbs.includes('list')
    && (r.verbs.includes('delete') || r.verbs.includes('deletecollection')));
}

export interface DeleterOptions {
  client: RestClient;
  clock: Clock;
  logger: Logger;
  /** What to delete; default deletableResources(). Called each pass (discovery may change). */
  resources?: () => ResourceInfo[];
}

interface ResourceResult {
  remaining: number;
  finalizers: Map<string, number>;
  /** Seconds until the slowest graceful deletion (pods) should be done; 0 if none. */
  estimateSeconds: number;
  error?: string;
}

export class NamespaceDeleter {
  private readonly resources: () => ResourceInfo[];

  constructor(private readonly opts: DeleterOptions) {
    this.resources = opts.resources ?? (() => deletableResources());
  }

  /**
   * One pass over namespace `name`. Resolves when there is nothing to do (not
   * deleting, already gone, or finalized now); throws RetryLater while content
   * remains, or an Error when something failed.
   */
  async sync(name: string): Promise<void> {
    const namespaces = this.opts.client.resource<Namespace>('v1', 'Namespace');
    let ns: Namespace;
    try {
      ns = await namespaces.get(name);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    if (!ns.metadata?.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(FINALIZER)) return; // ours is done; others finish it

    const totals: DeletionTotals = { remaining: new Map(), finalizers: new Map(), errors: [] };
    let estimateSeconds = 0;
    const results = await Promise.all(this.resources().map(async (r) => [r, await this.deleteAll(r, name)] as const));
    for (const [r, res] of results) {
      if (res.error) totals.errors.push(res.error);
      if (res.remaining) totals.remaining.set(`${r.plural}.${r.group}`, (totals.remaining.get(`${r.plural}.${r.group}`) ?? 0) + res.remaining);
      for (const [f, n] of res.finalizers) totals.finalizers.set(f, (totals.finalizers.get(f) ?? 0) + n);
      estimateSeconds = Math.max(estimateSeconds, res.estimateSeconds);
    }
    const stillThere = await this.writeConditions(name, totals);
    if (!stillThere) return;

    if (totals.errors.length) throw new Error(`namespace ${name}: failed to delete all content: ${totals.errors.join('; ')}`);
    const left = [...totals.remaining.values()].reduce((a, b) => a + b, 0);
    if (left > 0) {
      // Retried with the queue's back-off; while pods terminate, no later than
      // upstream would look again (half the longest grace period left, + 1 s).
      const maxMs = estimateSeconds > 0 ? (estimateSeconds / 2 + 1) * 1000 : undefined;
      throw new RetryLater(`namespace ${name}: ${left} objects remaining`, { maxMs });
    }
    await this.finalize(name);
  }

  /** deletecollection (else list + delete each), then what is left. */
  private async deleteAll(r: ResourceInfo, ns: string): Promise<ResourceResult> {
    const { client } = this.opts;
    const rc = client.resourceFor(r.group, r.version, r.plural).namespace(ns);
    const body = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    const result: ResourceResult = { remaining: 0, finalizers: new Map(), estimateSeconds: 0 };
    const what = `${r.plural}${r.group ? `.${r.group}` : ''}`;
    try {
      let collected = false;
      if (r.verbs.includes('deletecollection')) {
        try {
          await client.request('DELETE', rc.path(ns), { body });
          collected = true;
        } catch (e) {
          // Not supported after all: fall back to one by one, as upstream does.
          if (!(e instanceof ApiError && e.code === 405)) throw e;
        }
      }
      if (!collected && r.verbs.includes('delete')) {
        const list = await rc.listAll();
        for (const item of list.items) {
          if (item.metadata?.deletionTimestamp) continue;
          try {
            await client.request('DELETE', rc.path(ns, item.metadata!.name!), { body });
          } catch (e) {
            if (!isNotFound(e)) throw e;
          }
        }
      }
      const left = await rc.listAll();
      result.remaining = left.items.length;
      const now = this.opts.clock.now();
      for (const item of left.items as KubeObject[]) {
        for (const f of item.metadata?.finalizers ?? []) result.finalizers.set(f, (result.finalizers.get(f) ?? 0) + 1);
        if (r.group === '' && r.plural === 'pods') result.estimateSeconds = Math.max(result.estimateSeconds, podEstimate(item as Pod, now));
      }
    } catch (e) {
      result.error = `${what}: ${e instanceof Error ? e.message : String(e)}`;
      this.opts.logger.debug({ err: e, namespace: ns, resource: what }, 'deleting content failed');
    }
    return result;
  }

  /** Writes the conditions if they changed (and the Terminating phase); false when the namespace is gone. */
  private async writeConditions(name: string, totals: DeletionTotals): Promise<boolean> {
    const namespaces = this.opts.client.resource<Namespace>('v1', 'Namespace');
    for (let attempt = 0; ; attempt++) {
      let ns: Namespace;
      try {
        ns = await namespaces.get(name);
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
      const now = rfc3339(this.opts.clock.now());
      const conditions = updateConditions(ns.status, failureConditions(totals, now), now);
      if (!conditions && ns.status?.phase === 'Terminating') return true;
      try {
        await namespaces.updateStatus({ ...ns, status: { ...(ns.status ?? {}), phase: 'Terminating', conditions: conditions ?? ns.status?.conditions } });
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }

  /** Removes `kubernetes` from spec.finalizers through the finalize subresource. */
  private async finalize(name: string): Promise<void> {
    const namespaces = this.opts.client.resource<Namespace>('v1', 'Namespace');
    for (let attempt = 0; ; attempt++) {
      let ns: Namespace;
      try {
        ns = await namespaces.get(name);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const finalizers = ns.spec?.finalizers ?? [];
      if (!finalizers.includes(FINALIZER)) return;
      try {
        await namespaces.updateSubresource(name, 'finalize', {
          ...ns, apiVersion: 'v1', kind: 'Namespace', spec: { ...(ns.spec ?? {}), finalizers: finalizers.filter((f) => f !== FINALIZER) },
        });
        this.opts.logger.info({ namespace: name }, 'namespace content deleted; finalized');
        return;
      } catch (e) {
        if (isNotFound(e)) return;
        if (!isConflict(e) || attempt >= 4) throw e;
      }
    }
  }
}

/** Seconds until a terminating pod's grace period is over (0 when over or not terminating). */
function podEstimate(pod: Pod, nowMs: number): number {
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return 0;
  const ts = pod.metadata?.deletionTimestamp;
  if (!ts) return Number(pod.spec?.terminationGracePeriodSeconds ?? 30);
  return Math.max(0, Math.ceil((Date.parse(ts) - nowMs) / 1000));
}
