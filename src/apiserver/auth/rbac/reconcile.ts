// Start-up reconciliation of the bootstrap policy (upstream's
// "rbac/bootstrap-roles" post-start hook): missing default roles and bindings
// are created; existing ones annotated autoupdate=true get back any default
// rule or subject that was removed (additions by the user stay). Aggregated
// roles are computed here too, so they are complete before any controller runs.
// Safe with several servers starting at once (conflicts are someone else's
// identical work).

import { ApiError } from '../../../base/errors.ts';
import type { Registry } from '../../registry/registry.ts';
import type { RequestContext } from '../../registry/strategy.ts';
import { aggregateAll } from '../../../api/rbac/aggregation.ts';
import { AUTOUPDATE, bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.ts';
import type { Obj } from './rules.ts';

const RBAC = 'rbac.authorization.k8s.io';

function ignoreRace(e: unknown): void {
  if (e instanceof ApiError && (e.code === 409 || e.code === 404)) return;
  throw e;
}

const keyOfJson = (o: unknown): string => JSON.stringify(o);

/** `want`'s entries missing from `have`, appended: the user's additions stay. */
function union<T>(have: T[] | undefined, want: T[]): { merged: T[]; changed: boolean } {
  const merged = [...(have ?? [])];
  const seen = new Set(merged.map(keyOfJson));
  let changed = false;
  for (const w of want) if (!seen.has(keyOfJson(w))) { merged.push(w); changed = true; }
  return { merged, changed };
}

export async function reconcileBootstrapPolicy(registry: Registry, ctx: () => RequestContext): Promise<{ created: number; updated: number }> {
  const roles = registry.rest(RBAC, 'v1', 'clusterroles')!;
  const bindings = registry.rest(RBAC, 'v1', 'clusterrolebindings')!;
  let created = 0, updated = 0;
  const get = (rest: typeof roles, name: string) => rest.get('', name).catch((e: unknown) => { ignoreRace(e); return undefined; });

  for (const want of bootstrapClusterRoles()) {
    const have = await get(roles, want.metadata.name);
    if (!have) { await roles.create('', want, ctx()).then(() => created++, ignoreRace); continue; }
    if (have.metadata?.annotations?.[AUTOUPDATE] === 'false') continue;
    // Aggregated roles' rules belong to the aggregation (below), not to the defaults.
    const { merged, changed } = want.aggregationRule ? { merged: have.rules ?? [], changed: false } : union(have.rules, want.rules);
    const aggChanged = !!want.aggregationRule && keyOfJson(have.aggregationRule) !== keyOfJson(want.aggregationRule) && !have.aggregationRule;
    if (!changed && !aggChanged) continue;
    await roles.update('', want.metadata.name, { ...have, rules: merged, aggregationRule: have.aggregationRule ?? want.aggregationRule }, ctx())
      .then(() => updated++, ignoreRace);
  }

  for (const want of bootstrapClusterRoleBindings()) {
    const have = await get(bindings, want.metadata.name);
    if (!have) { await bindings.create('', want, ctx()).then(() => created++, ignoreRace); continue; }
    if (have.metadata?.annotations?.[AUTOUPDATE] === 'false') continue;
    const { merged, changed } = union(have.subjects, want.subjects as Obj[]);
    if (!changed) continue;
    await bindings.update('', want.metadata.name, { ...have, subjects: merged }, ctx()).then(() => updated++, ignoreRace);
  }

  // Aggregate now, so admin/edit/view are whole from the first request.
  const all = (await roles.store.list(roles.prefix)).items.map((kv) => roles.decode(kv));
  for (const [name, rules] of aggregateAll(all)) {
    const have = all.find((r) => r.metadata.name === name)!;
    await roles.update('', name, { ...have, rules }, ctx()).then(() => updated++, ignoreRace);
  }
  return { created, updated };
}
