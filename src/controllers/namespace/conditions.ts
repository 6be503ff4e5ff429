// The status conditions the namespace controller keeps on a Terminating
// namespace, worded exactly as upstream's (pkg/controller/namespace/deletion/
// status_condition_utils.go), so `kubectl describe ns` reads the same.

import type { NamespaceCondition, NamespaceStatus } from 'kubernetes-types/core/v1.js';

export const CONDITION_TYPES = [
  'NamespaceDeletionDiscoveryFailure',
  'NamespaceDeletionGroupVersionParsingFailure',
  'NamespaceDeletionContentFailure',
  'NamespaceContentRemaining',
  'NamespaceFinalizersRemaining',
] as const;
export type NamespaceConditionType = typeof CONDITION_TYPES[number];

const OK_MESSAGES: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'All resources successfully discovered',
  NamespaceDeletionGroupVersionParsingFailure: 'All legacy kube types successfully parsed',
  NamespaceDeletionContentFailure: 'All content successfully deleted, may be waiting on finalization',
  NamespaceContentRemaining: 'All content successfully removed',
  NamespaceFinalizersRemaining: 'All content-preserving finalizers finished',
};

const OK_REASONS: Record<NamespaceConditionType, string> = {
  NamespaceDeletionDiscoveryFailure: 'ResourcesDiscovered',
  NamespaceDeletionGroupVersionParsingFailure: 'ParsedGroupVersions',
  NamespaceDeletionContentFailure: 'ContentDeleted',
  NamespaceContentRemaining: 'ContentRemoved',
  NamespaceFinalizersRemaining: 'ContentHasNoFinalizers',
};

/** What one deletion pass found. */
export interface DeletionTotals {
  /** `resource.group` (core: `pods.`) → objects still there. */
  remaining: Map<string, number>;
  /** finalizer → objects still carrying it. */
  finalizers: Map<string, number>;
  /** Resources whose deletion or listing failed. */
  errors: string[];
}

/** Conditions for the failures of one pass; types not named here are "ok". */
export function failureConditions(totals: DeletionTotals, now: string): NamespaceCondition[] {
  const out: NamespaceCondition[] = [];
  if (totals.errors.length) {
    const agg = totals.errors.length === 1 ? totals.errors[0] : `[${totals.errors.join(', ')}]`;
    out.push({
      type: 'NamespaceDeletionContentFailure', status: 'True', lastTransitionTime: now, reason: 'ContentDeletionFailed',
      message: `Failed to delete all resource types, ${totals.errors.length} remaining: ${agg}`,
    });
  }
  const remaining = [...totals.remaining].filter(([, n]) => n > 0).map(([r, n]) => `${r} has ${n} resource instances`).sort();
  if (remaining.length) {
    out.push({
      type: 'NamespaceContentRemaining', status: 'True', lastTransitionTime: now, reason: 'SomeResourcesRemain',
      message: `Some resources are remaining: ${remaining.join(', ')}`,
    });
  }
  const finalizers = [...totals.finalizers].filter(([, n]) => n > 0).map(([f, n]) => `${f} in ${n} resource instances`).sort();
  if (finalizers.length) {
    out.push({
      type: 'NamespaceFinalizersRemaining', status: 'True', lastTransitionTime: now, reason: 'SomeFinalizersRemain',
      message: `Some content in the namespace has finalizers remaining: ${finalizers.join(', ')}`,
    });
  }
  return out;
}

/**
 * Upstream's updateConditions: every maintained type ends up present, failing
 * ones from `failures`, the rest False with the "ok" reason; lastTransitionTime
 * moves only when a status flips. Returns the new list, or undefined when
 * nothing changed (no write needed).
 */
export function updateConditions(status: NamespaceStatus | undefined, failures: NamespaceCondition[], now: string): NamespaceCondition[] | undefined {
  const conditions = (status?.conditions ?? []).map((c) => ({ ...c }));
  let changed = false;
  for (const type of CONDITION_TYPES) {
    const next = failures.find((c) => c.type === type)
      ?? { type, status: 'False', lastTransitionTime: now, reason: OK_REASONS[type], message: OK_MESSAGES[type] };
    const old = conditions.find((c) => c.type === type);
    if (!old) {
      conditions.push(next);
      changed = true;
    } else if (old.status !== next.status || old.reason !== next.reason || old.message !== next.message) {
      if (old.status !== next.status) old.lastTransitionTime = now;
      old.status = next.status;
      old.reason = next.reason;
      old.message = next.message;
      changed = true;
    }
  }
  return changed ? conditions : undefined;
}

/** metav1.Time: RFC 3339, whole seconds. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
