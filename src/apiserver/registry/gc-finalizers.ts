// How a DELETE hands an object's dependents to the garbage collector
// (upstream's deletionFinalizersForGarbageCollection in the generic registry):
//   Orphan     → finalizer `orphan`: the GC strips the ownerReferences to the
//                object from its dependents, then removes the finalizer;
//   Foreground → finalizer `foregroundDeletion`: the GC deletes the dependents
//                (waiting for those with blockOwnerDeletion), then removes it;
//   Background → no finalizer: the object goes now, the GC deletes the
//                dependents once it sees their owner gone.
// Either finalizer keeps the object (with a deletionTimestamp) until a garbage
// collector removes it: a server running without controllers keeps such
// objects forever, exactly as kube-apiserver does without kube-controller-manager.

import type { ResourceInfo } from '../../api/resources.ts';
import type { DeleteOptions } from './strategy.ts';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** What a DELETE without a policy does to dependents; Unsupported: never add GC finalizers (existing ones are dropped, as upstream). */
export type GarbageCollectionPolicy = 'Background' | 'Orphan' | 'Unsupported';

/**
 * Upstream's per-resource DefaultGarbageCollectionPolicy for the versions
 * served here: v1 ReplicationControllers and batch/v1 Jobs orphan for
 * backwards compatibility; Events take no part in garbage collection.
 */
export function defaultGarbageCollectionPolicy(info: Pick<ResourceInfo, 'group' | 'kind'>): GarbageCollectionPolicy {
  switch (`${info.group}/${info.kind}`) {
    case '/ReplicationController': case 'batch/Job': return 'Orphan';
    case '/Event': case 'events.k8s.io/Event': return 'Unsupported';
    default: return 'Background';
  }
}

/** The warning upstream's Job REST adds when a delete names no policy (pods are kept). */
export const JOB_DELETE_WARNING = 'child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning';

/** Whether the object must keep `orphan`: options first, then its own finalizers, then the resource's default. */
function shouldOrphan(finalizers: readonly string[], opts: DeleteOptions, policy: GarbageCollectionPolicy): boolean {
  if (policy === 'Unsupported') return false;
  if (opts.orphanDependents !== undefined) return opts.orphanDependents;
  if (opts.propagationPolicy) return opts.propagationPolicy === 'Orphan';
  for (const f of finalizers) {
    if (f === ORPHAN_FINALIZER) return true;
    if (f === FOREGROUND_FINALIZER) return false;
  }
  return policy === 'Orphan';
}

/** Whether the object must keep `foregroundDeletion`: options first, then its own finalizers. */
function shouldDeleteDependents(finalizers: readonly string[], opts: DeleteOptions, policy: GarbageCollectionPolicy): boolean {
  if (policy === 'Unsupported') return false;
  if (opts.orphanDependents !== undefined) return false;
  if (opts.propagationPolicy) return opts.propagationPolicy === 'Foreground';
  for (const f of finalizers) {
    if (f === FOREGROUND_FINALIZER) return true;
    if (f === ORPHAN_FINALIZER) return false;
  }
  return false;
}

/**
 * The object's finalizers after a DELETE with `opts`: both GC finalizers are
 * dropped and added back as the options (or, without options, the object's
 * finalizers and the resource's default) say. `changed` is false when the set
 * is the same, in which case `finalizers` is the original list.
 */
export function finalizersForDelete(current: readonly string[] | undefined, opts: DeleteOptions, policy: GarbageCollectionPolicy): { changed: boolean; finalizers: string[] } {
  const old = [...(current ?? [])];
  const next = old.filter((f) => f !== ORPHAN_FINALIZER && f !== FOREGROUND_FINALIZER);
  if (shouldOrphan(old, opts, policy)) next.push(ORPHAN_FINALIZER);
  if (shouldDeleteDependents(old, opts, policy)) next.push(FOREGROUND_FINALIZER);
  const a = new Set(old);
  const b = new Set(next);
  const same = a.size === b.size && [...a].every((f) => b.has(f));
  return same ? { changed: false, finalizers: old } : { changed: true, finalizers: next };
}
