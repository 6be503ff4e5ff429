// The scheduling framework's vocabulary (upstream's framework package): the
// Status every plugin returns, the per-cycle CycleState, PodInfo (what the
// scheduler precomputes once per pod) and the Plugin extension points.
//
// Plugins are pure: they read the pod, the NodeInfo and the cycle state, and
// never do I/O or read a clock. Every rejection carries a reason, and the
// reasons are what users read in "0/3 nodes are available: 2 Insufficient cpu, …".

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelMatcher } from '../api/selectors/labels.ts';
import type { NodeInfo } from './nodeinfo.ts';
import type { Resource } from './resources.ts';
import type { Snapshot } from './snapshot.ts';

export type Code =
  | 'Success'
  /** May fit after something changes, incl. preemption of pods on the node. */
  | 'Unschedulable'
  /** Preemption cannot help on this node (labels, taints, node name…). */
  | 'UnschedulableAndUnresolvable'
  | 'Error'
  /** PreFilter/PreScore: nothing for this plugin to do in this cycle (its Filter/Score are skipped). */
  | 'Skip';

export interface Status {
  readonly code: Code;
  readonly reasons: readonly string[];
  /** The plugin that returned it (set by the framework). */
  plugin?: string;
}

export const SUCCESS: Status = Object.freeze({ code: 'Success', reasons: Object.freeze([]) }) as Status;
export const SKIP: Status = Object.freeze({ code: 'Skip', reasons: Object.freeze([]) }) as Status;

export function unschedulable(...reasons: string[]): Status { return { code: 'Unschedulable', reasons }; }
export function unresolvable(...reasons: string[]): Status { return { code: 'UnschedulableAndUnresolvable', reasons }; }
export function errorStatus(reason: string): Status { return { code: 'Error', reasons: [reason] }; }
export function isSuccess(s: Status): boolean { return s.code === 'Success'; }
export function isRejection(s: Status): boolean { return s.code === 'Unschedulable' || s.code === 'UnschedulableAndUnresolvable'; }

/** Data plugins compute in PreFilter/PreScore and read in Filter/Score, for one pod's cycle. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter said Skip: their Filter is not run. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();

  read<T>(key: string): T | undefined { return this.data.get(key) as T | undefined; }
  write(key: string, value: unknown): void { this.data.set(key, value); }

  /** A copy for what-if evaluation (preemption); values with clone() are copied deeply. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) {
      const cl = (v as { clone?: () => unknown } | undefined)?.clone;
      c.data.set(k, typeof cl === 'function' ? cl.call(v) : v);
    }
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}

/** One pod (anti-)affinity term, with its selectors parsed once. */
export interface AffinityTerm {
  selector: LabelMatcher;
  /** Namespaces named in the term (or the pod's own when neither namespaces nor namespaceSelector is given). */
  namespaces: ReadonlySet<string>;
  /** undefined = no namespace selector; EVERYTHING for `{}` (all namespaces). */
  namespaceSelector?: LabelMatcher;
  topologyKey: string;
}

export interface WeightedAffinityTerm extends AffinityTerm { weight: number }

export interface HostPort { ip: string; protocol: string; port: number }

/** What the scheduler derives from a pod once (not per node, not per cycle). */
export interface PodInfo {
  readonly pod: Pod;
  /** namespace/name */
  readonly key: string;
  readonly priority: number;
  readonly requests: Resource;
  readonly nonZero: { milliCPU: number; memory: number };
  readonly hostPorts: readonly HostPort[];
  readonly requiredAffinity: readonly AffinityTerm[];
  readonly requiredAntiAffinity: readonly AffinityTerm[];
  readonly preferredAffinity: readonly WeightedAffinityTerm[];
  readonly preferredAntiAffinity: readonly WeightedAffinityTerm[];
}

/** Changes in the cluster after which a pod rejected by a plugin may fit (upstream's ClusterEvent). */
export type ClusterEvent =
  | 'NodeAdd' | 'NodeLabelChange' | 'NodeTaintChange' | 'NodeAllocatableChange' | 'NodeSpecUnschedulableChange'
  | 'AssignedPodAdd' | 'AssignedPodUpdate' | 'AssignedPodDelete'
  | 'PersistentVolumeChange' | 'PersistentVolumeClaimChange'
  | 'NamespaceChange';

export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
  /** Events that may make a pod this plugin rejected schedulable (queueing hints). */
  readonly events: readonly ClusterEvent[];
  /** Once per cycle, before Filter. SKIP turns off this plugin's Filter for the cycle. */
  preFilter?(state: CycleState, pod: PodInfo, snap: Snapshot): Status;
  /** Whether `pod` fits `node`. Pure; called for many nodes. */
  filter?(state: CycleState, pod: PodInfo, node: NodeInfo): Status;
  /** Keep PreFilter state right when pods are added to or removed from a node in what-if evaluation. */
  addPod?(state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo): void;
  removePod?(state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo): void;
  /** Once per cycle over the feasible nodes, before Score. SKIP turns off this plugin's Score. */
  preScore?(state: CycleState, pod: PodInfo, nodes: readonly NodeInfo[], snap: Snapshot): Status;
  /** Raw score of one node. */
  score?(state: CycleState, pod: PodInfo, node: NodeInfo): number;
  /** Rescales raw scores (same order as the nodes) to 0..100 in place. */
  normalizeScore?(state: CycleState, pod: PodInfo, scores: number[]): void;
}

/** Helper for normalizers: scale to 0..MAX_NODE_SCORE by the max, optionally reversed (upstream's DefaultNormalizeScore). */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) if (s > max) max = s;
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    let s = Math.trunc(MAX_NODE_SCORE * scores[i] / max);
    if (reverse) s = MAX_NODE_SCORE - s;
    scores[i] = s;
  }
}
