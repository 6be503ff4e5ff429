// ClusterRole aggregation: a ClusterRole with an aggregationRule holds the
// union of the rules of the ClusterRoles its selectors match (upstream's
// clusterrole-aggregation controller). Pure; used by the controller and by the
// start-up reconciliation, so `admin`, `edit` and `view` are complete at once.

import { labelSelectorMatcher } from '../selectors/labels.ts';

// Shared by the apiserver (start-up reconciliation) and the controller: lives in api/.
type Obj = Record<string, any>;  
export interface PolicyRule { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[]; nonResourceURLs?: string[] }

/** The aggregated rules for `role` from `all` ClusterRoles, de-duplicated in a stable order. */
export function aggregatedRules(role: Obj, all: Obj[]): PolicyRule[] {
  const selectors: Obj[] = role.aggregationRule?.clusterRoleSelectors ?? [];
  const out: PolicyRule[] = [];
  const seen = new Set<string>();
  const sorted = [...all].sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
  for (const other of sorted) {
    if (other.metadata.name === role.metadata.name) continue;
    if (!selectors.some((sel) => selects(sel, other.metadata?.labels ?? {}))) continue;
    for (const r of (other.rules ?? []) as PolicyRule[]) {
      const k = JSON.stringify(r);
      if (!seen.has(k)) { seen.add(k); out.push(r); }
    }
  }
  return out;
}

/**
 * Aggregates every aggregated role in `roles` until nothing changes (admin
 * takes edit's rules, which take view's). Returns the roles whose rules changed,
 * with their new rules.
 */
export function aggregateAll(roles: Obj[]): Map<string, PolicyRule[]> {
  const current = new Map(roles.map((r) => [r.metadata.name as string, r]));
  const changed = new Map<string, PolicyRule[]>();
  for (let pass = 0; pass < 10; pass++) {
    let any = false;
    for (const r of current.values()) {
      if (!r.aggregationRule) continue;
      const rules = aggregatedRules(r, [...current.values()]);
      if (JSON.stringify(rules) === JSON.stringify(r.rules ?? [])) continue;
      current.set(r.metadata.name, { ...r, rules });
      changed.set(r.metadata.name, rules);
      any = true;
    }
    if (!any) break;
  }
  return changed;
}

function selects(sel: Obj, labels: Record<string, string>): boolean {
  try {
    return labelSelectorMatcher(sel).matches(labels);
  } catch {
    return false; // an invalid selector selects nothing
  }
}
