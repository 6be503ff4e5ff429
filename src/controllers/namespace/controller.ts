// The namespace controller: a namespace being deleted has its content deleted,
// then its `kubernetes` finalizer removed, after which the apiserver removes
// it (upstream pkg/controller/namespace). Only namespaces with a
// deletionTimestamp are queued; the deleter re-reads each from the API.

import type { Namespace } from 'kubernetes-types/core/v1.js';
import { ExponentialRateLimiter, WorkQueue } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';
import { NamespaceDeleter, type DeleterOptions } from './deleter.ts';

export interface NamespaceControllerOptions {
  /** Namespaces deleted at once. Default 10 (upstream's --concurrent-namespace-syncs). */
  workers?: number;
  /** See DeleterOptions.resources. */
  resources?: DeleterOptions['resources'];
  /** Back-off of a namespace whose content remains or failed: base and cap, ms. */
  backoff?: { baseMs: number; maxMs: number };
}

export function namespaceController(o: NamespaceControllerOptions = {}): Controller {
  return {
    name: 'namespace',
    async run(ctx: ControllerContext): Promise<void> {
      const informer = ctx.informers.informerFor<Namespace>('v1', 'Namespace');
      const queue = new WorkQueue<string>({
        name: 'namespace', clock: ctx.clock,
        rateLimiter: new ExponentialRateLimiter(o.backoff?.baseMs ?? 100, o.backoff?.maxMs ?? 30_000),
      });
      const enqueue = (ns: Namespace): void => {
        if (ns.metadata?.deletionTimestamp && ns.metadata.name) queue.add(ns.metadata.name);
      };
      const handle = informer.on({ add: enqueue, update: (_old, ns) => enqueue(ns) });
      const deleter = new NamespaceDeleter({ client: ctx.client, clock: ctx.clock, logger: ctx.logger, resources: o.resources });
      try {
        if (!(await waitForSync(ctx.signal, informer))) return;
        await runWorkers(queue, (name) => deleter.sync(name), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? 10 });
      } finally {
        handle.dispose();
        queue.shutDown();
      }
    },
  };
}
