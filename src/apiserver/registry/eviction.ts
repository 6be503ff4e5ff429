// The pods/eviction subresource (policy/v1 Eviction; policy/v1beta1 bodies
// are accepted too): a delete that respects PodDisruptionBudgets. This is what
// `kubectl drain` calls for every pod.
//
// Upstream's rules:
//  - a pod that no longer counts for a budget (Pending, Succeeded, Failed, or
//    already being deleted) is deleted at once;
//  - no budget selects the pod: deleted;
//  - more than one budget: refused (500), the API cannot decrement two at once;
//  - one budget: a healthy (Ready) pod needs status.disruptionsAllowed > 0,
//    which is decremented — and the pod recorded in status.disruptedPods —
//    with a compare-and-swap on the budget before the pod is deleted; else 429.
//    An unhealthy pod may go without using the budget when the budget is met
//    anyway, or always with unhealthyPodEvictionPolicy AlwaysAllow; then the
//    delete is pinned to the pod's resourceVersion so that a pod turning Ready
//    meanwhile is not deleted behind the budget's back.
// Before deleting, the pod gets the DisruptionTarget condition.

import { ApiError } from '../../base/errors.ts';
import { labelSelectorMatcher } from '../../api/selectors/labels.ts';
import { deleteOptions } from '../http/params.ts';
import { clone, rfc3339, type Obj } from './codec.ts';
import { listObjects } from './list.ts';
import type { ResourceREST } from './rest.ts';
import type { DeleteOptions, RequestContext } from './strategy.ts';

/** Upstream's EvictionsRetry: attempts at a compare-and-swap before giving up. */
const EVICTION_RETRIES = 20;
/** Upstream's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
export const MAX_DISRUPTED_POD_SIZE = 2000;
export const PDB_VIOLATION_MESSAGE = "Cannot evict pod as it would violate the pod's disruption budget.";
export const MULTIPLE_PDB_MESSAGE = 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.';

export interface EvictionDeps {
  pods: ResourceREST;
  pdbs: ResourceREST;
}

/** Answers POST pods/<name>/eviction; resolves once the pod's deletion was accepted, else throws ApiError. */
export async function evictPod(deps: EvictionDeps, ns: string, name: string, body: Obj, ctx: RequestContext): Promise<Obj> {
  const eviction = checkEviction(body, ns, name);
  const original = evictionDeleteOptions(eviction, ctx);
  const dryRun = !!original.dryRun?.includes('All');
  const pinned = !!original.preconditions?.resourceVersion;

  // Pods that no longer count for any budget go at once. Conflicts (the pod
  // changed under us) are retried unless the client pinned a version.
  let pod: Obj | undefined;
  for (let attempt = 0; ; attempt++) {
    pod = await deps.pods.get(ns, name);
    if (!canIgnorePDB(pod)) break;
    let opts = original;
    if (shouldEnforceResourceVersion(pod) && !pinned) opts = withResourceVersion(original, pod.metadata.resourceVersion as string);
    try {
      await addConditionAndDeletePod(deps.pods, ns, name, opts, ctx);
      return evictedStatus();
    } catch (e) {
      if (!isConflict(e) || pinned || attempt >= EVICTION_RETRIES) throw e;
    }
  }

  const pdbs = await budgetsFor(deps.pdbs, ns, pod);
  if (pdbs.length > 1) throw new ApiError(500, '', MULTIPLE_PDB_MESSAGE);
  let pinToPod = false;
  if (pdbs.length === 1) {
    let pdb = pdbs[0];
    const pdbName = pdb.metadata.name as string;
    if (!isPodReady(pod)) {
      // An unready pod does not count as healthy: deleting it disrupts nothing
      // when the budget is met (or the policy says unhealthy pods may always go).
      const status = pdb.status ?? {};
      if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow'
        || ((status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0)) {
        pinToPod = true;
      }
    }
    if (!pinToPod) {
      for (let attempt = 0; ; attempt++) {
        try {
          await checkAndDecrement(deps.pdbs, ns, name, pdb, dryRun, ctx);
          break;
        } catch (e) {
          if (!isConflict(e)) throw e;
          if (attempt >= EVICTION_RETRIES) throw ApiError.timeout(`couldn't update PodDisruptionBudget "${pdbName}" due to conflicts`);
          pdb = await deps.pdbs.get(ns, pdbName);
        }
      }
    }
    // Pin the delete to the pod we judged: if it became Ready since, the budget decides again.
    let opts = original;
    if (pinToPod && !pinned) opts = withResourceVersion(original, pod.metadata.resourceVersion as string);
    try {
      await addConditionAndDeletePod(deps.pods, ns, name, opts, ctx);
    } catch (e) {
      if (isConflict(e) && pinToPod && !pinned) throw tooManyRequests(pdbName, 'still-processing');
      throw e;
    }
    return evictedStatus();
  }
  await addConditionAndDeletePod(deps.pods, ns, name, original, ctx);
  return evictedStatus();
}

/** The Status a successful eviction answers with (201). */
function evictedStatus(): Obj {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 };
}

function checkEviction(body: Obj, ns: string, name: string): Obj {
  if (body.apiVersion !== undefined && body.apiVersion !== 'policy/v1' && body.apiVersion !== 'policy/v1beta1') {
    throw ApiError.badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (policy/v1)`);
  }
  if (body.kind !== undefined && body.kind !== 'Eviction') {
    throw ApiError.badRequest(`the kind in the data (${String(body.kind)}) does not match the expected kind (Eviction)`);
  }
  const meta = (body.metadata ?? {}) as Obj;
  if (meta.namespace && meta.namespace !== ns) {
    throw ApiError.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (meta.name !== name) throw ApiError.badRequest('name in URL does not match name in Eviction object');
  return body;
}

/** The Eviction's deleteOptions, with the request's dryRun carried over (upstream's propagateDryRun). */
function evictionDeleteOptions(eviction: Obj, ctx: RequestContext): DeleteOptions {
  const requestDryRun = ctx.dryRun ? ['All'] : [];
  const given = eviction.deleteOptions;
  if (given !== undefined && given !== null && (typeof given !== 'object' || Array.isArray(given))) {
    throw ApiError.badRequest('deleteOptions must be an object');
  }
  const opts = deleteOptions(new URLSearchParams(), given ?? undefined);
  const own = opts.dryRun ?? [];
  if (own.length && requestDryRun.length && JSON.stringify(own) !== JSON.stringify(requestDryRun)) {
    throw ApiError.badRequest(`DryRun in DeleteOptions (${JSON.stringify(own)}) and CreateOptions (${JSON.stringify(requestDryRun)}) do not match`);
  }
  if (!own.length && requestDryRun.length) opts.dryRun = requestDryRun;
  for (const v of opts.dryRun ?? []) {
    if (v !== 'All') throw ApiError.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: "${v}": supported values: "All"` }]);
  }
  return opts;
}

function withResourceVersion(opts: DeleteOptions, rv: string): DeleteOptions {
  return { ...opts, preconditions: { ...(opts.preconditions ?? {}), resourceVersion: rv } };
}

/** Pods whose deletion disrupts nothing a budget protects. */
export function canIgnorePDB(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || !!pod.metadata?.deletionTimestamp;
}

/** A running pod might become Ready before the delete lands: pin the delete to the version judged. */
function shouldEnforceResourceVersion(pod: Obj): boolean {
  const phase = pod.status?.phase;
  return !(phase === 'Succeeded' || phase === 'Failed' || pod.metadata?.deletionTimestamp);
}

export function isPodReady(pod: Obj): boolean {
  return ((pod.status?.conditions ?? []) as Obj[]).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Budgets in the pod's namespace whose selector matches it; a missing or invalid selector matches nothing. */
async function budgetsFor(pdbs: ResourceREST, ns: string, pod: Obj): Promise<Obj[]> {
  const all = await listObjects(pdbs, ns, {});
  return all.items.filter((pdb) => {
    try {
      return labelSelectorMatcher(pdb.spec?.selector).matches(pod.metadata?.labels);
    } catch {
      return false;
    }
  });
}

function tooManyRequests(pdbName: string, why: 'still-processing' | { desired: number; current: number }): ApiError {
  if (why === 'still-processing') {
    return new ApiError(429, 'TooManyRequests', PDB_VIOLATION_MESSAGE, {
      retryAfterSeconds: 10,
      causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} is still being processed by the server.` }],
    }, { 'Retry-After': '10' });
  }
  return new ApiError(429, 'TooManyRequests', PDB_VIOLATION_MESSAGE, {
    causes: [{ reason: 'DisruptionBudget', message: `The disruption budget ${pdbName} needs ${why.desired} healthy pods and has ${why.current} currently` }],
  });
}

/**
 * Takes one disruption from the budget, recording the pod as disrupted so the
 * disruption controller does not count it healthy until it is gone. A
 * compare-and-swap on the budget's resourceVersion: a Conflict means retry.
 */
async function checkAndDecrement(pdbs: ResourceREST, ns: string, podName: string, pdb: Obj, dryRun: boolean, ctx: RequestContext): Promise<void> {
  const name = pdb.metadata.name as string;
  const status = (pdb.status ?? {}) as Obj;
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 0)) throw tooManyRequests(name, 'still-processing');
  const allowed = Number(status.disruptionsAllowed ?? 0);
  if (allowed < 0) {
    throw ApiError.forbidden(`poddisruptionbudget.policy "${name}" is forbidden: pdb disruptions allowed is negative`, { name, group: 'policy', kind: 'poddisruptionbudget' });
  }
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_POD_SIZE) {
    throw ApiError.forbidden(`poddisruptionbudget.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`,
      { name, group: 'policy', kind: 'poddisruptionbudget' });
  }
  if (allowed === 0) throw tooManyRequests(name, { desired: Number(status.desiredHealthy ?? 0), current: Number(status.currentHealthy ?? 0) });
  if (dryRun) return;
  const next = clone(status);
  next.disruptionsAllowed = allowed - 1;
  if (next.disruptionsAllowed === 0) setInsufficientPods(next, ctx.now);
  next.disruptedPods = { ...(status.disruptedPods ?? {}), [podName]: rfc3339(ctx.now) };
  await pdbs.updateWith(ns, name, ctx, 'status', pdb.metadata.resourceVersion as string, (current) => ({ ...current, status: next }), true);
}

/** The DisruptionAllowed condition once no disruption is left (upstream's UpdateDisruptionAllowedCondition). */
function setInsufficientPods(status: Obj, now: Date): void {
  const conds = ((status.conditions ?? []) as Obj[]).map((c) => ({ ...c }));
  const i = conds.findIndex((c) => c.type === 'DisruptionAllowed');
  const cond: Obj = {
    type: 'DisruptionAllowed', status: 'False', reason: 'InsufficientPods', message: '',
    observedGeneration: status.observedGeneration ?? 0, lastTransitionTime: rfc3339(now),
  };
  if (i >= 0) {
    if (conds[i].status === 'False') cond.lastTransitionTime = conds[i].lastTransitionTime;
    conds[i] = cond;
  } else {
    conds.push(cond);
  }
  status.conditions = conds;
}

/**
 * Marks the pod as a disruption target (status condition DisruptionTarget),
 * then deletes it with `opts`. A resourceVersion precondition is checked
 * against the pod before the condition is added and moved to the version that
 * write made, as upstream does.
 */
async function addConditionAndDeletePod(pods: ResourceREST, ns: string, name: string, opts: DeleteOptions, ctx: RequestContext): Promise<void> {
  const dryRun = !!opts.dryRun?.includes('All');
  let deleteOpts = opts;
  if (!dryRun) {
    const rv = opts.preconditions?.resourceVersion;
    const uid = opts.preconditions?.uid;
    const r = await pods.updateWith(ns, name, ctx, 'status', rv, (current) => {
      if (uid && uid !== current.metadata.uid) {
        throw ApiError.conflict('pods', name, `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(current.metadata.uid)}`);
      }
      const conds = ((current.status ??= {}).conditions ??= []) as Obj[];
      const cond: Obj = {
        type: 'DisruptionTarget', status: 'True', lastProbeTime: null, lastTransitionTime: rfc3339(ctx.now),
        reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting',
      };
      const i = conds.findIndex((c) => c.type === 'DisruptionTarget');
      if (i < 0) conds.push(cond);
      else {
        if (conds[i].status === 'True') cond.lastTransitionTime = conds[i].lastTransitionTime;
        conds[i] = cond;
      }
      return current;
    }, true);
    if (rv) deleteOpts = withResourceVersion(opts, r.obj.metadata.resourceVersion as string);
  }
  await pods.delete(ns, name, deleteOpts, { ...ctx, dryRun: ctx.dryRun || dryRun });
}

function isConflict(e: unknown): boolean {
  return e instanceof ApiError && e.code === 409 && e.reason === 'Conflict';
}
