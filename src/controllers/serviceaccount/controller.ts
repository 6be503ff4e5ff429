// The service account controller: every Active namespace has the `default`
// ServiceAccount, made again if deleted (upstream
// pkg/controller/serviceaccount/serviceaccounts_controller.go).

import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { ApiError } from '../../base/errors.ts';
import { isAlreadyExists, isNotFound, WorkQueue, type Lister, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';

export interface ServiceAccountControllerOptions {
  /** Accounts every namespace gets. Default ["default"]. */
  accounts?: string[];
  /** Default 1 (upstream's --concurrent-serviceaccount-syncs). */
  workers?: number;
}

/** True for the 403 a create in a Terminating namespace gets. */
export function isNamespaceTerminating(e: unknown): boolean {
  const err = e as ApiError;
  return err?.code === 403 && !!err.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
}

/** Makes the missing accounts of namespace `name`. Idempotent; skips namespaces that are gone or not Active. */
export async function syncServiceAccounts(deps: {
  client: RestClient; namespaces: Lister<Namespace>; serviceAccounts: Lister<ServiceAccount>; accounts: string[];
}, name: string): Promise<void> {
  const ns = deps.namespaces.get(undefined, name);
  if (!ns || ns.status?.phase !== 'Active' || ns.metadata?.deletionTimestamp) return;
  const sas = deps.client.resource<ServiceAccount>('v1', 'ServiceAccount').namespace(name);
  for (const account of deps.accounts) {
    if (deps.serviceAccounts.get(name, account)) continue;
    try {
      await sas.create({ metadata: { name: account } });
    } catch (e) {
      // Already there (the cache lags), or the namespace went away meanwhile: fine.
      if (isAlreadyExists(e) || isNotFound(e) || isNamespaceTerminating(e)) continue;
      throw e;
    }
  }
}

export function serviceAccountController(o: ServiceAccountControllerOptions = {}): Controller {
  const accounts = o.accounts ?? ['default'];
  return {
    name: 'serviceaccount',
    async run(ctx: ControllerContext): Promise<void> {
      const nsInformer = ctx.informers.informerFor<Namespace>('v1', 'Namespace');
      const saInformer = ctx.informers.informerFor<ServiceAccount>('v1', 'ServiceAccount');
      const queue = new WorkQueue<string>({ name: 'serviceaccount', clock: ctx.clock });
      const handles = [
        nsInformer.on({ add: (ns) => queue.add(ns.metadata!.name!), update: (_o, ns) => queue.add(ns.metadata!.name!) }),
        saInformer.on({
          delete: (sa) => { if (accounts.includes(sa.metadata?.name ?? '') && sa.metadata?.namespace) queue.add(sa.metadata.namespace); },
        }),
      ];
      try {
        if (!(await waitForSync(ctx.signal, nsInformer, saInformer))) return;
        const deps = { client: ctx.client, namespaces: nsInformer.lister(), serviceAccounts: saInformer.lister(), accounts };
        await runWorkers(queue, (name) => syncServiceAccounts(deps, name), { signal: ctx.signal, logger: ctx.logger, workers: o.workers ?? 1 });
      } finally {
        for (const h of handles) h.dispose();
        queue.shutDown();
      }
    },
  };
}
