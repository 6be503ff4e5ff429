// What each kind of object charges against a ResourceQuota (upstream's quota
// evaluators, pkg/quota/v1/evaluator/core and generic): pods (count, compute
// requests and limits, scopes), services (count, node ports, load
// balancers), persistent volume claims (count, storage, per storage class),
// and a plain object count (`count/<resource>[.<group>]`) for everything
// else. Shared by the ResourceQuota controller (status.used) and the
// ResourceQuota admission plugin (enforcement at create/update).

import type { PersistentVolumeClaim, Pod, ResourceQuota, ScopedResourceSelectorRequirement, Service } from 'kubernetes-types/core/v1.js';
import { podLimits, podRequests } from './pod-resources.ts';
import { add, quantityOf, type ResourceList } from './resource-list.ts';

type Obj = Record<string, any>;

export type Operation = 'CREATE' | 'UPDATE';

export interface Evaluator {
  /** "pods", "services", "deployments.apps" (resource.group; core has no group). */
  groupResource: string;
  /** Of `names`, those this evaluator measures. */
  matchingResources(names: readonly string[]): string[];
  /** What the object charges (always non-negative). */
  usage(obj: Obj, nowMs: number): ResourceList;
  /** An error message when the object lacks what the quota's `required` resources need; undefined when fine. */
  constraints(required: readonly string[], obj: Obj): string | undefined;
  /** Does a quota with these scope selectors apply to the object? */
  matchesScope(sel: ScopedResourceSelectorRequirement, obj: Obj): boolean;
  /** Whether the write can change what is charged (admission skips it otherwise). */
  handles(op: Operation, obj: Obj, old: Obj | undefined, subresource: string): boolean;
}

/** `count/pods`, `count/deployments.apps`. */
export function objectCountName(group: string, plural: string): string {
  return group ? `count/${plural}.${group}` : `count/${plural}`;
}

/** The group/resource a `count/…` name counts; undefined for other names. */
export function parseObjectCountName(name: string): { group: string; plural: string } | undefined {
  if (!name.startsWith('count/')) return undefined;
  const gr = name.slice('count/'.length);
  const dot = gr.indexOf('.');
  return dot < 0 ? { group: '', plural: gr } : { group: gr.slice(dot + 1), plural: gr.slice(0, dot) };
}

/** Object counts that also have a name without `count/` (upstream's legacy aliases). */
const LEGACY_COUNT: Record<string, string> = {
  configmaps: 'configmaps', resourcequotas: 'resourcequotas', replicationcontrollers: 'replicationcontrollers', secrets: 'secrets',
};

const ONE = '1';

function intersect(names: readonly string[], known: readonly string[]): string[] {
  const set = new Set(known);
  return names.filter((n) => set.has(n));
}

/** generic.NewObjectCountEvaluator: one per object; quotas with scopes never match. */
export function objectCountEvaluator(group: string, plural: string): Evaluator {
  const countName = objectCountName(group, plural);
  const legacy = group === '' ? LEGACY_COUNT[plural] : undefined;
  const names = legacy ? [countName, legacy] : [countName];
  return {
    groupResource: group ? `${plural}.${group}` : plural,
    matchingResources: (input) => intersect(input, names),
    usage: () => Object.fromEntries(names.map((n) => [n, ONE])),
    constraints: () => undefined,
    matchesScope: () => false,
    handles: (op) => op === 'CREATE',
  };
}

// ---- pods -----------------------------------------------------------------

const POD_RESOURCES = [
  'count/pods', 'cpu', 'memory', 'ephemeral-storage', 'requests.cpu', 'requests.memory', 'requests.ephemeral-storage',
  'limits.cpu', 'limits.memory', 'limits.ephemeral-storage', 'pods',
];
/** Quota on these makes every container state them (upstream's backward-compatibility rule). */
const CONTAINER_REQUIRED = new Set(['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory']);

const isNative = (n: string): boolean => !n.includes('/') || n.includes('kubernetes.io/');
const isExtendedForQuota = (n: string): boolean => !isNative(n) && n.startsWith('requests.');

/** podComputeUsageHelper: the quota names a set of requests and limits charge. */
function computeUsage(requests: ResourceList, limits: ResourceList): ResourceList {
  const out: ResourceList = { pods: ONE };
  for (const r of ['cpu', 'memory', 'ephemeral-storage']) {
    if (r in requests) { out[r] = requests[r]; out[`requests.${r}`] = requests[r]; }
    if (r in limits) out[`limits.${r}`] = limits[r];
  }
  for (const [r, v] of Object.entries(requests)) {
    if (r.startsWith('hugepages-')) { out[r] = v; out[`requests.${r}`] = v; }
    if (!isNative(r)) out[`requests.${r}`] = v;
  }
  return out;
}

/** Not terminal, and not stuck past its deletion grace period (QuotaV1Pod). */
export function podChargesCompute(pod: Pod, nowMs: number): boolean {
  const phase = pod.status?.phase;
  if (phase === 'Failed' || phase === 'Succeeded') return false;
  const ts = pod.metadata?.deletionTimestamp;
  const grace = pod.metadata?.deletionGracePeriodSeconds;
  if (ts && grace !== undefined && grace !== null) {
    const t = Date.parse(ts);
    if (!Number.isNaN(t) && nowMs > t + grace * 1000) return false;
  }
  return true;
}

/** Upstream's IsTerminating scope: an activeDeadlineSeconds. */
export function isTerminatingPod(pod: Pod): boolean {
  const d = pod.spec?.activeDeadlineSeconds;
  return d !== undefined && d !== null && d >= 0;
}

/** QoS BestEffort: no container asks for or limits cpu or memory. */
export function isBestEffortPod(pod: Pod): boolean {
  for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
    for (const list of [c.resources?.requests, c.resources?.limits]) {
      for (const r of ['cpu', 'memory']) {
        const v = (list as ResourceList | undefined)?.[r];
        if (v !== undefined && quantityOf(v).unscaled > 0n) return false;
      }
    }
  }
  return true;
}

function usesCrossNamespaceAffinity(pod: Pod): boolean {
  const terms = [
    ...(pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(pod.spec?.affinity?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
    ...(pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []),
    ...(pod.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((w) => w.podAffinityTerm),
  ];
  return terms.some((t) => !!t?.namespaces?.length || !!t?.namespaceSelector);
}

/** A PriorityClass scope selector against the pod's priorityClassName. */
function priorityClassMatches(pod: Pod, sel: ScopedResourceSelectorRequirement): boolean {
  const pc = pod.spec?.priorityClassName ?? '';
  const values = sel.values ?? [];
  switch (sel.operator) {
    case 'Exists': return pc !== '';
    case 'DoesNotExist': return pc === '';
    case 'In': return pc !== '' && values.includes(pc);
    case 'NotIn': return pc === '' || !values.includes(pc);
    default: return false;
  }
}

export const podEvaluator: Evaluator = {
  groupResource: 'pods',
  matchingResources: (input) => input.filter((n) => POD_RESOURCES.includes(n) || n.startsWith('hugepages-') || n.startsWith('requests.hugepages-') || isExtendedForQuota(n)),
  usage(obj, nowMs) {
    const pod = obj as Pod;
    const out: ResourceList = { 'count/pods': ONE };
    if (!podChargesCompute(pod, nowMs)) return out;
    return add(out, computeUsage(podRequests(pod), podLimits(pod)));
  },
  constraints(required, obj) {
    const pod = obj as Pod;
    const need = required.filter((r) => CONTAINER_REQUIRED.has(r));
    if (!need.length) return undefined;
    const missing = new Map<string, Set<string>>();
    for (const c of [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])]) {
      const has = computeUsage((c.resources?.requests ?? {}) as ResourceList, (c.resources?.limits ?? {}) as ResourceList);
      for (const r of need) {
        if (r in has) continue;
        if (!missing.has(r)) missing.set(r, new Set());
        missing.get(r)!.add(c.name);
      }
    }
    if (!missing.size) return undefined;
    const parts = [...missing.keys()].sort().map((r) => `${r} for: ${[...missing.get(r)!].sort().join(',')}`);
    return `must specify ${parts.join('; ')}`;
  },
  matchesScope(sel, obj) {
    const pod = obj as Pod;
    switch (sel.scopeName) {
      case 'Terminating': return isTerminatingPod(pod);
      case 'NotTerminating': return !isTerminatingPod(pod);
      case 'BestEffort': return isBestEffortPod(pod);
      case 'NotBestEffort': return !isBestEffortPod(pod);
      case 'PriorityClass': return priorityClassMatches(pod, sel);
      case 'CrossNamespacePodAffinity': return usesCrossNamespaceAffinity(pod);
      default: return false;
    }
  },
  handles(op, obj, old, subresource) {
    if (subresource !== '') return false;
    // An update matters only when it moves the pod between Terminating and NotTerminating.
    if (op === 'UPDATE') return !!old && isTerminatingPod(old as Pod) !== isTerminatingPod(obj as Pod);
    return op === 'CREATE';
  },
};

// ---- services -------------------------------------------------------------

const SERVICE_RESOURCES = ['count/services', 'services', 'services.nodeports', 'services.loadbalancers'];

export const serviceEvaluator: Evaluator = {
  groupResource: 'services',
  matchingResources: (input) => intersect(input, SERVICE_RESOURCES),
  usage(obj) {
    const svc = obj as Service;
    const ports = String(svc.spec?.ports?.length ?? 0);
    const out: ResourceList = { 'count/services': ONE, services: ONE, 'services.loadbalancers': '0', 'services.nodeports': '0' };
    if (svc.spec?.type === 'NodePort') out['services.nodeports'] = ports;
    if (svc.spec?.type === 'LoadBalancer') {
      if (svc.spec.allocateLoadBalancerNodePorts !== false) out['services.nodeports'] = ports;
      out['services.loadbalancers'] = ONE;
    }
    return out;
  },
  constraints: () => undefined,
  matchesScope: () => false,
  handles: (op, _obj, _old, subresource) => subresource === '' && (op === 'CREATE' || op === 'UPDATE'),
};

// ---- persistent volume claims ---------------------------------------------

const PVC_RESOURCES = ['persistentvolumeclaims', 'count/persistentvolumeclaims', 'requests.storage'];
const STORAGE_CLASS_SUFFIX = '.storageclass.storage.k8s.io/';

function storageClassOf(pvc: PersistentVolumeClaim): string {
  return pvc.spec?.storageClassName ?? pvc.metadata?.annotations?.['volume.beta.kubernetes.io/storage-class'] ?? '';
}

export const pvcEvaluator: Evaluator = {
  groupResource: 'persistentvolumeclaims',
  matchingResources: (input) => input.filter((n) => PVC_RESOURCES.includes(n)
    || (n.includes(STORAGE_CLASS_SUFFIX) && (n.endsWith('/requests.storage') || n.endsWith('/persistentvolumeclaims')))),
  usage(obj) {
    const pvc = obj as PersistentVolumeClaim;
    const out: ResourceList = { 'count/persistentvolumeclaims': ONE, persistentvolumeclaims: ONE };
    const sc = storageClassOf(pvc);
    if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}persistentvolumeclaims`] = ONE;
    // A resize charges the larger of what is asked and what was allocated.
    const requested = pvc.spec?.resources?.requests?.storage;
    const allocated = pvc.status?.allocatedResources?.storage;
    let storage = requested;
    if (allocated !== undefined && (storage === undefined || quantityOf(allocated).value > quantityOf(storage).value)) storage = allocated;
    if (storage !== undefined) {
      out['requests.storage'] = String(storage);
      if (sc) out[`${sc}${STORAGE_CLASS_SUFFIX}requests.storage`] = String(storage);
    }
    return out;
  },
  constraints: () => undefined,
  matchesScope: () => false,
  handles: (op, _obj, _old, subresource) => subresource === '' && (op === 'CREATE' || op === 'UPDATE'),
};

/** The evaluator for a group/resource: a dedicated one, or an object count. */
export function evaluatorFor(group: string, plural: string): Evaluator {
  if (group === '') {
    if (plural === 'pods') return podEvaluator;
    if (plural === 'services') return serviceEvaluator;
    if (plural === 'persistentvolumeclaims') return pvcEvaluator;
  }
  return objectCountEvaluator(group, plural);
}

/** Resources quota never applies to (upstream's default ignored resources). */
export function isQuotaIgnored(group: string, plural: string): boolean {
  return plural === 'events' && (group === '' || group === 'events.k8s.io');
}

/** The quota's scopes and scope selector as one list of requirements (getScopeSelectorsFromQuota). */
export function scopeSelectorsOf(rq: ResourceQuota): ScopedResourceSelectorRequirement[] {
  const out: ScopedResourceSelectorRequirement[] = (rq.spec?.scopes ?? []).map((s) => ({ scopeName: s, operator: 'Exists' }));
  for (const r of rq.spec?.scopeSelector?.matchExpressions ?? []) out.push(r);
  return out;
}

/** generic.Matches: the quota's hard names include some this evaluator measures, and every scope matches. */
export function quotaMatches(ev: Evaluator, rq: ResourceQuota, obj: Obj): boolean {
  if (ev.matchingResources(Object.keys(rq.status?.hard ?? {})).length === 0) return false;
  return scopeSelectorsOf(rq).every((s) => ev.matchesScope(s, obj));
}
