// InterPodAffinity: required pod affinity and anti-affinity filter nodes by
// topology domain (the domain must hold / must not hold matching pods), and
// existing pods' required anti-affinity keeps matching pods out of their
// domains; preferred terms (both the incoming pod's and existing pods') score.
// Counts per (topologyKey, value) are built once per cycle in PreFilter, so
// Filter is O(terms) per node.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from '../nodeinfo.ts';
import { termMatches } from '../podinfo.ts';
import type { Snapshot } from '../snapshot.ts';
import {
  MAX_NODE_SCORE as MAX_NODE_SCORE_, SKIP, SUCCESS as SUCCESS_, unresolvable, unschedulable,
  type AffinityTerm, type CycleState, type Plugin, type PodInfo,
} from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;
const MAX_NODE_SCORE = MAX_NODE_SCORE_;

export const INTER_POD_AFFINITY = 'InterPodAffinity';
export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";
const PRE_FILTER = 'PreFilter/InterPodAffinity';
const PRE_SCORE = 'PreScore/InterPodAffinity';
/** Weight of an existing pod's *required* affinity to the incoming pod, in scoring (upstream's default). */
const HARD_POD_AFFINITY_WEIGHT = 1;

type NsLabels = (ns: string) => Record<string, string> | undefined;
const pair = (k: string, v: string): string => `${k}\x00${v}`;

function bump(m: Map<string, number>, k: string, d: number): void {
  const n = (m.get(k) ?? 0) + d;
  if (n === 0) m.delete(k); else m.set(k, n);
}

class FilterState {
  constructor(
    /** Domains where an existing pod's required anti-affinity term matches the incoming pod. */
    readonly existingAnti = new Map<string, number>(),
    /** Domains holding pods that match all of the incoming pod's affinity terms. */
    readonly affinity = new Map<string, number>(),
    /** Domains holding pods matching one of the incoming pod's anti-affinity terms. */
    readonly anti = new Map<string, number>(),
    readonly nsLabels: NsLabels = () => undefined,
  ) {}
  clone(): FilterState { return new FilterState(new Map(this.existingAnti), new Map(this.affinity), new Map(this.anti), this.nsLabels); }
}

function matchesAll(terms: readonly AffinityTerm[], target: Pod, ns: NsLabels): boolean {
  return terms.length > 0 && terms.every((t) => termMatches(t, target, ns));
}

/** Adds (or removes, d = −1) what `existing` on `node` contributes to the incoming pod's filter counts. */
function account(s: FilterState, pod: PodInfo, existing: PodInfo, node: NodeInfo, d: 1 | -1): void {
  const labels = node.labels;
  for (const t of existing.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, pod.pod, s.nsLabels)) bump(s.existingAnti, pair(t.topologyKey, v), d);
  }
  if (pod.requiredAffinity.length && matchesAll(pod.requiredAffinity, existing.pod, s.nsLabels)) {
    for (const t of pod.requiredAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined) bump(s.affinity, pair(t.topologyKey, v), d);
    }
  }
  for (const t of pod.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && termMatches(t, existing.pod, s.nsLabels)) bump(s.anti, pair(t.topologyKey, v), d);
  }
}

function preFilter(state: CycleState, pod: PodInfo, snap: Snapshot): ReturnType<NonNullable<Plugin['preFilter']>> {
  const s = new FilterState(undefined, undefined, undefined, snap.namespaceLabels);
  const own = pod.requiredAffinity.length > 0 || pod.requiredAntiAffinity.length > 0;
  if (!own && snap.havePodsWithRequiredAntiAffinityList.length === 0) return SKIP;
  // Without terms of its own only existing pods' anti-affinity matters: walk just those pods.
  const nodes = own ? snap.nodeInfoList : snap.havePodsWithRequiredAntiAffinityList;
  for (const node of nodes) {
    if (!node.node) continue;
    const pods = own ? node.pods : node.podsWithRequiredAntiAffinity;
    for (const existing of pods.values()) if (existing.key !== pod.key) account(s, pod, existing, node, 1);
  }
  state.write(PRE_FILTER, s);
  return SUCCESS;
}

function filter(state: CycleState, pod: PodInfo, node: NodeInfo): ReturnType<NonNullable<Plugin['filter']>> {
  const s = state.read<FilterState>(PRE_FILTER);
  if (!s) return SUCCESS;
  const labels = node.labels;
  if (s.existingAnti.size) {
    for (const k of Object.keys(labels)) if (s.existingAnti.has(pair(k, labels[k]))) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
  }
  if (pod.requiredAffinity.length) {
    let podsExist = true;
    for (const t of pod.requiredAffinity) {
      const v = labels[t.topologyKey];
      if (v === undefined) return unresolvable(ERR_AFFINITY);
      if (!s.affinity.has(pair(t.topologyKey, v))) podsExist = false;
    }
    // The first pod of a group with affinity to itself may go anywhere.
    if (!podsExist && !(s.affinity.size === 0 && matchesAll(pod.requiredAffinity, pod.pod, s.nsLabels))) return unresolvable(ERR_AFFINITY);
  }
  for (const t of pod.requiredAntiAffinity) {
    const v = labels[t.topologyKey];
    if (v !== undefined && s.anti.has(pair(t.topologyKey, v))) return unschedulable(ERR_ANTI_AFFINITY);
  }
  return SUCCESS;
}

/** topologyKey → value → score */
type TopologyScore = Map<string, Map<string, number>>;

function addScore(ts: TopologyScore, key: string, value: string | undefined, w: number): void {
  if (value === undefined || w === 0) return;
  let m = ts.get(key);
  if (!m) ts.set(key, m = new Map());
  m.set(value, (m.get(value) ?? 0) + w);
}

export const interPodAffinity: Plugin = {
  name: INTER_POD_AFFINITY,
  events: ['NodeAdd', 'NodeLabelChange', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete', 'NamespaceChange'],
  preFilter,
  filter,
  addPod(state, pod, added, node) { const s = state.read<FilterState>(PRE_FILTER); if (s) account(s, pod, added, node, 1); },
  removePod(state, pod, removed, node) { const s = state.read<FilterState>(PRE_FILTER); if (s) account(s, pod, removed, node, -1); },
  preScore(state, pod, _nodes, snap) {
    const own = pod.preferredAffinity.length > 0 || pod.preferredAntiAffinity.length > 0;
    if (!own && snap.havePodsWithAffinityList.length === 0) return SKIP;
    const ns = snap.namespaceLabels;
    const ts: TopologyScore = new Map();
    for (const node of own ? snap.nodeInfoList : snap.havePodsWithAffinityList) {
      if (!node.node) continue;
      const labels = node.labels;
      for (const existing of (own ? node.pods : node.podsWithAffinity).values()) {
        if (existing.key === pod.key) continue;
        for (const t of pod.preferredAffinity) if (termMatches(t, existing.pod, ns)) addScore(ts, t.topologyKey, labels[t.topologyKey], t.weight);
        for (const t of pod.preferredAntiAffinity) if (termMatches(t, existing.pod, ns)) addScore(ts, t.topologyKey, labels[t.topologyKey], -t.weight);
        for (const t of existing.requiredAffinity) if (termMatches(t, pod.pod, ns)) addScore(ts, t.topologyKey, labels[t.topologyKey], HARD_POD_AFFINITY_WEIGHT);
        for (const t of existing.preferredAffinity) if (termMatches(t, pod.pod, ns)) addScore(ts, t.topologyKey, labels[t.topologyKey], t.weight);
        for (const t of existing.preferredAntiAffinity) if (termMatches(t, pod.pod, ns)) addScore(ts, t.topologyKey, labels[t.topologyKey], -t.weight);
      }
    }
    if (ts.size === 0) return SKIP;
    state.write(PRE_SCORE, ts);
    return SUCCESS;
  },
  score(state, _pod, node) {
    const ts = state.read<TopologyScore>(PRE_SCORE)!;
    let score = 0;
    for (const [key, values] of ts) {
      const v = node.labels[key];
      if (v !== undefined) score += values.get(v) ?? 0;
    }
    return score;
  },
  normalizeScore(_state, _pod, scores) {
    let min = Infinity, max = -Infinity;
    for (const s of scores) { if (s < min) min = s; if (s > max) max = s; }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) scores[i] = diff > 0 ? Math.trunc(MAX_NODE_SCORE * (scores[i] - min) / diff) : 0;
  },
};
