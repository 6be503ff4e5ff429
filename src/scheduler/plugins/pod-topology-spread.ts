// PodTopologySpread: spread matching pods across topology domains.
//  - DoNotSchedule constraints filter: placing the pod on a node may not make
//    (pods in its domain + 1) − (pods in the emptiest domain) exceed maxSkew;
//    with fewer eligible domains than minDomains the emptiest counts as 0.
//  - ScheduleAnyway constraints score: fewer matching pods in the node's
//    domain scores higher.
// Only nodes that pass the pod's node affinity/selector (nodeAffinityPolicy
// Honor, the default) and, with nodeTaintsPolicy Honor, its tolerations
// count as domains. (Cluster-level default constraints are not applied.)

import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { LabelMatcher } from '../../api/selectors/labels.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import { selectorMatcher } from '../podinfo.ts';
import type { Snapshot } from '../snapshot.ts';
import { MAX_NODE_SCORE as MAX_NODE_SCORE_, SKIP, SUCCESS as SUCCESS_, unresolvable, unschedulable, type CycleState, type Plugin, type PodInfo } from '../types.ts';
import { firstUntolerated, podMatchesNodeSelectorAndAffinity } from './helpers.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;
const MAX_NODE_SCORE = MAX_NODE_SCORE_;

export const POD_TOPOLOGY_SPREAD = 'PodTopologySpread';
export const ERR_CONSTRAINTS_NOT_MATCH = "node(s) didn't match pod topology spread constraints";
export const ERR_MISSING_LABEL = "node(s) didn't match pod topology spread constraints (missing required label)";
const PRE_FILTER = 'PreFilter/PodTopologySpread';
const PRE_SCORE = 'PreScore/PodTopologySpread';

interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelMatcher;
  minDomains: number;
  honorAffinity: boolean;
  honorTaints: boolean;
}

export function constraintsOf(pod: Pod, action: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
  return (pod.spec?.topologySpreadConstraints ?? []).filter((c) => c.whenUnsatisfiable === action).map((c) => toConstraint(pod, c));
}

function toConstraint(pod: Pod, c: TopologySpreadConstraint): Constraint {
  let sel: LabelSelector | undefined = c.labelSelector;
  // matchLabelKeys: the pod's own values of those keys narrow the selector.
  const extra = (c.matchLabelKeys ?? []).filter((k) => pod.metadata?.labels?.[k] !== undefined);
  if (sel && extra.length) {
    sel = { ...sel, matchExpressions: [...(sel.matchExpressions ?? []), ...extra.map((k) => ({ key: k, operator: 'In', values: [pod.metadata!.labels![k]] }))] };
  }
  return {
    maxSkew: c.maxSkew, topologyKey: c.topologyKey, selector: selectorMatcher(sel),
    minDomains: c.minDomains ?? 1,
    honorAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorTaints: c.nodeTaintsPolicy === 'Honor',
  };
}

function nodeEligible(c: Constraint, pod: Pod, node: NodeInfo): boolean {
  if (!node.node || node.labels[c.topologyKey] === undefined) return false;
  if (c.honorAffinity && !podMatchesNodeSelectorAndAffinity(pod, node.node)) return false;
  if (c.honorTaints && firstUntolerated(node.taints, pod.spec?.tolerations ?? [], ['NoSchedule', 'NoExecute'])) return false;
  return true;
}

function matches(c: Constraint, ns: string, other: Pod): boolean {
  return other.metadata?.namespace === ns && !other.metadata?.deletionTimestamp && c.selector.matches(other.metadata?.labels ?? {});
}

function countOnNode(c: Constraint, ns: string, node: NodeInfo): number {
  let n = 0;
  for (const p of node.pods.values()) if (matches(c, ns, p.pod)) n++;
  return n;
}

class FilterState {
  constructor(readonly constraints: Constraint[], readonly counts: Map<string, number>[], readonly minMatch: number[]) {}
  clone(): FilterState { return new FilterState(this.constraints, this.counts.map((m) => new Map(m)), [...this.minMatch]); }
  recomputeMin(i: number): void {
    let min = Infinity;
    for (const v of this.counts[i].values()) if (v < min) min = v;
    this.minMatch[i] = this.counts[i].size < this.constraints[i].minDomains || min === Infinity ? 0 : min;
  }
}

function adjust(state: CycleState, pod: PodInfo, other: PodInfo, node: NodeInfo, delta: 1 | -1): void {
  const s = state.read<FilterState>(PRE_FILTER);
  if (!s) return;
  const ns = pod.pod.metadata?.namespace ?? '';
  s.constraints.forEach((c, i) => {
    if (!nodeEligible(c, pod.pod, node) || !matches(c, ns, other.pod)) return;
    const v = node.labels[c.topologyKey];
    s.counts[i].set(v, (s.counts[i].get(v) ?? 0) + delta);
    s.recomputeMin(i);
  });
}

interface ScoreState { constraints: Constraint[]; counts: Map<string, number>[]; weights: number[] }

export const podTopologySpread: Plugin = {
  name: POD_TOPOLOGY_SPREAD,
  events: ['NodeAdd', 'NodeLabelChange', 'NodeTaintChange', 'AssignedPodAdd', 'AssignedPodUpdate', 'AssignedPodDelete'],
  preFilter(state, pod, snap: Snapshot) {
    const constraints = constraintsOf(pod.pod, 'DoNotSchedule');
    if (constraints.length === 0) return SKIP;
    const ns = pod.pod.metadata?.namespace ?? '';
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of snap.nodeInfoList) {
      constraints.forEach((c, i) => {
        if (!nodeEligible(c, pod.pod, node)) return;
        const v = node.labels[c.topologyKey];
        counts[i].set(v, (counts[i].get(v) ?? 0) + countOnNode(c, ns, node));
      });
    }
    const s = new FilterState(constraints, counts, constraints.map(() => 0));
    constraints.forEach((_c, i) => s.recomputeMin(i));
    state.write(PRE_FILTER, s);
    return SUCCESS;
  },
  filter(state, pod, node) {
    const s = state.read<FilterState>(PRE_FILTER);
    if (!s) return SUCCESS;
    const labels = pod.pod.metadata?.labels ?? {};
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const v = node.labels[c.topologyKey];
      if (v === undefined) return unresolvable(ERR_MISSING_LABEL);
      const self = c.selector.matches(labels) ? 1 : 0;
      const skew = (s.counts[i].get(v) ?? 0) + self - s.minMatch[i];
      if (skew > c.maxSkew) return unschedulable(ERR_CONSTRAINTS_NOT_MATCH);
    }
    return SUCCESS;
  },
  addPod(state, pod, added, node) { adjust(state, pod, added, node, 1); },
  removePod(state, pod, removed, node) { adjust(state, pod, removed, node, -1); },
  preScore(state, pod, nodes, snap) {
    const constraints = constraintsOf(pod.pod, 'ScheduleAnyway');
    if (constraints.length === 0) return SKIP;
    const ns = pod.pod.metadata?.namespace ?? '';
    // Domains are those of the feasible nodes; hostname-like keys count only those nodes.
    const domains = constraints.map((c) => new Set(nodes.filter((n) => n.labels[c.topologyKey] !== undefined).map((n) => n.labels[c.topologyKey])));
    const feasible = new Set(nodes.map((n) => n.name));
    const counts = constraints.map(() => new Map<string, number>());
    for (const node of snap.nodeInfoList) {
      constraints.forEach((c, i) => {
        if (c.topologyKey === 'kubernetes.io/hostname' && !feasible.has(node.name)) return;
        if (!nodeEligible(c, pod.pod, node)) return;
        const v = node.labels[c.topologyKey];
        if (!domains[i].has(v)) return;
        counts[i].set(v, (counts[i].get(v) ?? 0) + countOnNode(c, ns, node));
      });
    }
    const st: ScoreState = { constraints, counts, weights: domains.map((d) => Math.log(d.size + 2)) };
    state.write(PRE_SCORE, st);
    return SUCCESS;
  },
  score(state, _pod, node) {
    const st = state.read<ScoreState>(PRE_SCORE)!;
    let score = 0;
    for (let i = 0; i < st.constraints.length; i++) {
      const c = st.constraints[i];
      const v = node.labels[c.topologyKey];
      if (v === undefined) return -1; // no such domain: scored 0 after normalization
      score += (st.counts[i].get(v) ?? 0) * st.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  },
  normalizeScore(_state, _pod, scores) {
    let min = Infinity, max = -Infinity;
    for (const s of scores) {
      if (s < 0) continue;
      if (s < min) min = s;
      if (s > max) max = s;
    }
    for (let i = 0; i < scores.length; i++) {
      const s = scores[i];
      if (s < 0) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.trunc(MAX_NODE_SCORE * (max + min - s) / max);
    }
  },
};
