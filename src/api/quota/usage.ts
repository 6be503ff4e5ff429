// A quota's observed usage (upstream's quota.CalculateUsage): for every hard
// resource some evaluator measures, the sum over the namespace's objects that
// match the quota's scopes; tracked resources with nothing to count are 0.

import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { evaluatorFor, parseObjectCountName, podEvaluator, pvcEvaluator, scopeSelectorsOf, serviceEvaluator, type Evaluator } from './evaluators.ts';
import { add, mask, type ResourceList } from './resource-list.ts';

type Obj = Record<string, any>;

/**
 * The namespace's objects of a resource; undefined for a resource that does
 * not exist (its names stay out of status.used); throws when they cannot be
 * known yet (the quota is retried).
 */
export type UsageSource = (group: string, plural: string, namespace: string) => readonly Obj[] | undefined;

const LEGACY = ['configmaps', 'secrets', 'resourcequotas', 'replicationcontrollers'];

/** The evaluators a set of hard resource names needs, with the group/resource each lists. */
export function evaluatorsFor(hardNames: readonly string[]): { group: string; plural: string; ev: Evaluator }[] {
  const out = [
    { group: '', plural: 'pods', ev: podEvaluator },
    { group: '', plural: 'services', ev: serviceEvaluator },
    { group: '', plural: 'persistentvolumeclaims', ev: pvcEvaluator },
  ];
  const seen = new Set(out.map((e) => `/${e.plural}`));
  const addCount = (group: string, plural: string): void => {
    if (seen.has(`${group}/${plural}`)) return;
    seen.add(`${group}/${plural}`);
    out.push({ group, plural, ev: evaluatorFor(group, plural) });
  };
  for (const n of hardNames) {
    if (LEGACY.includes(n)) addCount('', n);
    const gr = parseObjectCountName(n);
    if (gr) addCount(gr.group, gr.plural);
  }
  return out.filter((e) => e.ev.matchingResources(hardNames).length > 0);
}

/** status.used for `rq`'s spec.hard from the objects `list` returns. */
export function calculateUsage(rq: ResourceQuota, list: UsageSource, nowMs: number): ResourceList {
  const hard = Object.keys(rq.spec?.hard ?? {});
  const namespace = rq.metadata?.namespace ?? '';
  const scopes = scopeSelectorsOf(rq);
  let used: ResourceList = {};
  const matched = new Set<string>();
  for (const { group, plural, ev } of evaluatorsFor(hard)) {
    const objs = list(group, plural, namespace);
    if (!objs) continue;
    const names = ev.matchingResources(hard);
    for (const n of names) matched.add(n);
    // Every tracked resource starts at zero.
    let sum: ResourceList = Object.fromEntries(names.map((n) => [n, '0']));
    for (const obj of objs) {
      if (!scopes.every((s) => ev.matchesScope(s, obj))) continue;
      sum = add(sum, mask(ev.usage(obj, nowMs), names));
    }
    used = add(used, sum);
  }
  return mask(used, matched);
}

