// The clusterrole-aggregation controller: a ClusterRole with an
// aggregationRule gets the union of the rules of the ClusterRoles its
// selectors match, kept current as those change (upstream
// pkg/controller/clusterroleaggregation). The rule computation is shared with
// the apiserver's start-up reconciliation (api/rbac/aggregation.ts).

import { aggregatedRules } from '../../api/rbac/aggregation.ts';

type Obj = Record<string, any>;  
import { isConflict, isNotFound, WorkQueue, type Lister, type RestClient } from '../../client/index.ts';
import type { Controller, ControllerContext } from '../types.ts';
import { runWorkers, waitForSync } from '../worker.ts';

interface ClusterRole { metadata?: { name?: string; labels?: Record<string, string>; resourceVersion?: string }; aggregationRule?: unknown; rules?: unknown[] }

/** Brings one aggregated ClusterRole's rules up to date. Idempotent. */
export async function syncAggregatedRole(deps: { client: RestClient; roles: Lister<ClusterRole> }, name: string): Promise<void> {
  const role = deps.roles.get(undefined, name) as Obj | undefined;
  if (!role?.aggregationRule) return;
  const rules = aggregatedRules(role, deps.roles.list() as Obj[]);
  if (JSON.stringify(rules) === JSON.stringify(role.rules ?? [])) return;
  try {
    await deps.client.resource<ClusterRole>('rbac.authorization.k8s.io/v1', 'ClusterRole')
      .update({ ...structuredClone(role), rules } as ClusterRole);
  } catch (e) {
    // A newer version is on its way to the cache and will be synced again.
    if (isConflict(e) || isNotFound(e)) return;
    throw e;
  }
}

export function clusterRoleAggregationController(): Controller {
  return {
    name: 'clusterrole-aggregation',
    async run(ctx: ControllerContext): Promise<void> {
      const informer = ctx.informers.informerFor<ClusterRole>('rbac.authorization.k8s.io/v1', 'ClusterRole');
      const queue = new WorkQueue<string>({ name: 'clusterrole-aggregation', clock: ctx.clock });
      // Any role changing may change any aggregated role: enqueue every aggregated one.
      const enqueueAggregated = (): void => {
        for (const r of informer.lister().list()) if (r.aggregationRule && r.metadata?.name) queue.add(r.metadata.name);
      };
      const handle = informer.on({ add: enqueueAggregated, update: enqueueAggregated, delete: enqueueAggregated });
      try {
        if (!(await waitForSync(ctx.signal, informer))) return;
        enqueueAggregated();
        await runWorkers(queue, (name) => syncAggregatedRole({ client: ctx.client, roles: informer.lister() }, name), { signal: ctx.signal, logger: ctx.logger });
      } finally {
        handle.dispose();
        queue.shutDown();
      }
    },
  };
}
