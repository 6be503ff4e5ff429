// The framework runs one pod's scheduling cycle over a snapshot: PreFilter,
// Filter (on a rotating window of nodes, stopping once enough feasible nodes
// are found: percentageOfNodesToScore), PreScore, Score + NormalizeScore ×
// weight, and host selection (ties broken at random). Everything here is
// pure computation; the scheduler does the I/O around it.

import type { NodeInfo } from './nodeinfo.ts';
import type { Snapshot } from './snapshot.ts';
import { CycleState, isSuccess as isSuccess_, MAX_NODE_SCORE as MAX_NODE_SCORE_, SUCCESS as SUCCESS_, type Plugin, type PodInfo, type Status } from './types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;
const MAX_NODE_SCORE = MAX_NODE_SCORE_;
const isSuccess = isSuccess_;

export interface ScorePluginConfig { plugin: Plugin; weight: number }

export interface Profile {
  schedulerName: string;
  /** PreFilter/Filter plugins, in upstream's order. */
  filters: Plugin[];
  scores: ScorePluginConfig[];
  /** 0 = adaptive (upstream's default): 50% − nodes/125, at least 5%. */
  percentageOfNodesToScore?: number;
}

/** Why no node fits: each rejected node's status, and the plugins that rejected any. */
export interface Diagnosis {
  nodeToStatus: Map<string, Status>;
  unschedulablePlugins: Set<string>;
  /** Set when a PreFilter plugin rejected the pod outright. */
  preFilterMsg?: string;
}

export type ScheduleResult =
  | { ok: true; node: string; evaluatedNodes: number; feasibleNodes: number; state: CycleState }
  | { ok: false; numAllNodes: number; diagnosis: Diagnosis; state: CycleState };

export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;

/** How many feasible nodes to look for before scoring (upstream's numFeasibleNodesToFind). */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = 50 - Math.trunc(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  if (pct >= 100) return numAllNodes;
  const n = Math.trunc(numAllNodes * pct / 100);
  return n < MIN_FEASIBLE_NODES_TO_FIND ? MIN_FEASIBLE_NODES_TO_FIND : n;
}

/** Pods nominated to a node by preemption (the queue), considered as if they were there already. */
export type NominatedPods = (nodeName: string) => readonly PodInfo[];

export class Framework {
  /** Where the next search starts, so successive pods look at different nodes first. */
  private nextStartNodeIndex = 0;
  readonly pluginEvents: Map<string, Plugin['events']>;

  constructor(readonly profile: Profile, private readonly random: () => number = Math.random) {
    this.pluginEvents = new Map();
    for (const p of [...profile.filters, ...profile.scores.map((s) => s.plugin)]) this.pluginEvents.set(p.name, p.events);
  }

  runPreFilter(state: CycleState, pod: PodInfo, snap: Snapshot): Status {
    for (const p of this.profile.filters) {
      if (!p.preFilter) continue;
      const s = p.preFilter(state, pod, snap);
      if (s.code === 'Skip') { state.skipFilter.add(p.name); continue; }
      if (!isSuccess(s)) return { ...s, plugin: p.name };
    }
    return SUCCESS;
  }

  /** Every Filter plugin until the first rejection. */
  runFilter(state: CycleState, pod: PodInfo, node: NodeInfo): Status {
    for (const p of this.profile.filters) {
      if (!p.filter || state.skipFilter.has(p.name)) continue;
      const s = p.filter(state, pod, node);
      if (!isSuccess(s)) { s.plugin = p.name; return s; }
    }
    return SUCCESS;
  }

  /**
   * Filter with the pods nominated to the node (of priority ≥ the pod's) counted
   * as present, so a pod does not take the room a preemptor freed for itself.
   */
  runFilterWithNominated(state: CycleState, pod: PodInfo, node: NodeInfo, nominated?: NominatedPods): Status {
    const all = nominated?.(node.name);
    if (!all || all.length === 0) return this.runFilter(state, pod, node);
    const noms = all.filter((n) => n.key !== pod.key && n.priority >= pod.priority);
    if (noms.length === 0) return this.runFilter(state, pod, node);
    const st = state.clone();
    const ni = node.clone();
    for (const n of noms) {
      ni.addPod(n);
      for (const p of this.profile.filters) p.addPod?.(st, pod, n, ni);
    }
    return this.runFilter(st, pod, ni);
  }

  addPodToState(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void {
    for (const p of this.profile.filters) p.addPod?.(state, pod, added, node);
  }

  removePodFromState(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void {
    for (const p of this.profile.filters) p.removePod?.(state, pod, removed, node);
  }

  /** One scheduling cycle for `pod`. Synchronous: the snapshot cannot change under it. */
  schedule(pod: PodInfo, snap: Snapshot, nominated?: NominatedPods): ScheduleResult {
    const state = new CycleState();
    const all = snap.nodeInfoList;
    const diagnosis: Diagnosis = { nodeToStatus: new Map(), unschedulablePlugins: new Set() };
    if (all.length === 0) return { ok: false, numAllNodes: 0, diagnosis, state };

    const pre = this.runPreFilter(state, pod, snap);
    if (!isSuccess(pre)) {
      const msg = pre.reasons.join(', ');
      for (const n of all) diagnosis.nodeToStatus.set(n.name, pre);
      if (pre.plugin) diagnosis.unschedulablePlugins.add(pre.plugin);
      diagnosis.preFilterMsg = msg;
      return { ok: false, numAllNodes: all.length, diagnosis, state };
    }

    // A preemptor goes back to the node it was nominated to, when it fits there now.
    const nominatedName = pod.pod.status?.nominatedNodeName;
    if (nominatedName) {
      const ni = snap.get(nominatedName);
      if (ni && isSuccess(this.runFilterWithNominated(state, pod, ni, nominated))) {
        return { ok: true, node: ni.name, evaluatedNodes: 1, feasibleNodes: 1, state };
      }
    }

    const want = numFeasibleNodesToFind(all.length, this.profile.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    const n = all.length;
    let processed = 0;
    const start = this.nextStartNodeIndex % n;
    for (; processed < n && feasible.length < want; processed++) {
      const node = all[(start + processed) % n];
      const s = this.runFilterWithNominated(state, pod, node, nominated);
      if (isSuccess(s)) feasible.push(node);
      else {
        diagnosis.nodeToStatus.set(node.name, s);
        if (s.plugin) diagnosis.unschedulablePlugins.add(s.plugin);
      }
    }
    this.nextStartNodeIndex = (start + processed) % n;
    if (feasible.length === 0) return { ok: false, numAllNodes: n, diagnosis, state };
    if (feasible.length === 1) return { ok: true, node: feasible[0].name, evaluatedNodes: processed, feasibleNodes: 1, state };

    const totals = this.scoreNodes(state, pod, feasible, snap);
    return { ok: true, node: this.selectHost(feasible, totals), evaluatedNodes: processed, feasibleNodes: feasible.length, state };
  }

  /** Weighted sum of normalized plugin scores per node (same order as `nodes`). */
  scoreNodes(state: CycleState, pod: PodInfo, nodes: NodeInfo[], snap: Snapshot): number[] {
    const totals = new Array<number>(nodes.length).fill(0);
    for (const { plugin } of this.profile.scores) {
      if (!plugin.preScore) continue;
      const s = plugin.preScore(state, pod, nodes, snap);
      if (s.code === 'Skip') state.skipScore.add(plugin.name);
    }
    const scores = new Array<number>(nodes.length);
    for (const { plugin, weight } of this.profile.scores) {
      if (!plugin.score || state.skipScore.has(plugin.name)) continue;
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(state, pod, nodes[i]);
      plugin.normalizeScore?.(state, pod, scores);
      for (let i = 0; i < nodes.length; i++) totals[i] += Math.max(0, Math.min(MAX_NODE_SCORE, scores[i])) * weight;
    }
    return totals;
  }

  /** The highest total; among equals one at random (reservoir sampling, as upstream). */
  selectHost(nodes: NodeInfo[], totals: number[]): string {
    let best = 0, count = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i] > totals[best]) { best = i; count = 1; } else if (totals[i] === totals[best]) {
        count++;
        if (this.random() * count < 1) best = i;
      }
    }
    return nodes[best].name;
  }
}

/**
 * Upstream's FitError text: "0/5 nodes are available: 2 Insufficient cpu, 3
 * node(s) had untolerated taint {…}." — reasons counted over nodes, "count
 * reason" strings sorted — then the PostFilter (preemption) message.
 */
export function fitErrorMessage(numAllNodes: number, d: Pick<Diagnosis, 'nodeToStatus' | 'preFilterMsg'>, postFilterMsg?: string): string {
  let msg = `0/${numAllNodes} nodes are available:`;
  if (d.preFilterMsg) msg += ` ${d.preFilterMsg}.`;
  else {
    const counts = new Map<string, number>();
    for (const s of d.nodeToStatus.values()) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
    const parts = [...counts].map(([r, c]) => `${c} ${r}`).sort();
    if (parts.length) msg += ` ${parts.join(', ')}.`;
  }
  if (postFilterMsg) msg += ` ${postFilterMsg}.`;
  return msg;
}
