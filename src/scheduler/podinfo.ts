// PodInfo: what the scheduler derives from a pod once — requests, host ports,
// (anti-)affinity terms with parsed selectors — so that plugins evaluating
// thousands of nodes never re-parse quantities or selectors.

import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { labelSelectorMatcher, NOTHING, type LabelMatcher } from '../api/selectors/labels.ts';
import { podNonZeroRequests, podRequests } from './resources.ts';
import type { AffinityTerm, HostPort, PodInfo, WeightedAffinityTerm } from './types.ts';

const matchers = new WeakMap<object, LabelMatcher>();

/** A parsed label selector, cached per selector object (informer objects are shared and immutable). */
export function selectorMatcher(sel: LabelSelector | null | undefined): LabelMatcher {
  if (sel == null) return NOTHING;
  let m = matchers.get(sel);
  if (!m) {
    try { m = labelSelectorMatcher(sel); } catch { m = NOTHING; }
    matchers.set(sel, m);
  }
  return m;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function podPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

function affinityTerm(pod: Pod, t: PodAffinityTerm): AffinityTerm {
  const ns = new Set(t.namespaces ?? []);
  const term: AffinityTerm = { selector: selectorMatcher(t.labelSelector), namespaces: ns, topologyKey: t.topologyKey };
  if (t.namespaceSelector != null) term.namespaceSelector = selectorMatcher(t.namespaceSelector);
  else if (ns.size === 0) ns.add(pod.metadata?.namespace ?? '');
  return term;
}

function weighted(pod: Pod, terms: WeightedPodAffinityTerm[] | undefined): WeightedAffinityTerm[] {
  return (terms ?? []).map((w) => ({ ...affinityTerm(pod, w.podAffinityTerm), weight: w.weight }));
}

function hostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      out.push({ ip: p.hostIP || '0.0.0.0', protocol: p.protocol || 'TCP', port: p.hostPort });
    }
  }
  return out;
}

export function buildPodInfo(pod: Pod): PodInfo {
  const aff = pod.spec?.affinity;
  return {
    pod,
    key: podKey(pod),
    priority: podPriority(pod),
    requests: podRequests(pod),
    nonZero: podNonZeroRequests(pod),
    hostPorts: hostPorts(pod),
    requiredAffinity: (aff?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    requiredAntiAffinity: (aff?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).map((t) => affinityTerm(pod, t)),
    preferredAffinity: weighted(pod, aff?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: weighted(pod, aff?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
}

/** Whether `term` (of a pod) selects `target`: namespace and labels. `nsLabels` resolves a namespace's labels. */
export function termMatches(term: AffinityTerm, target: Pod, nsLabels: (ns: string) => Record<string, string> | undefined): boolean {
  const ns = target.metadata?.namespace ?? '';
  if (!term.namespaces.has(ns)) {
    if (!term.namespaceSelector) return false;
    if (!term.namespaceSelector.empty && !term.namespaceSelector.matches(nsLabels(ns) ?? {})) return false;
  }
  return term.selector.matches(target.metadata?.labels ?? {});
}
