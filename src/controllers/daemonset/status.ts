// A DaemonSet's status from its nodes and pods (updateDaemonSetStatus).

import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, isPodReady } from '../replicaset/pods.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { isPodUpdated, templateGeneration } from './history.ts';
import { compareDaemonPods } from './pods.ts';

export type DaemonSetCounts = Required<Pick<DaemonSetStatus,
  'desiredNumberScheduled' | 'currentNumberScheduled' | 'numberMisscheduled' | 'numberReady'
  | 'updatedNumberScheduled' | 'numberAvailable' | 'numberUnavailable'>>;

/**
 * Per node: one that should run the pod counts as desired, and as scheduled
 * when it has one; its oldest pod decides ready/available/updated. A node
 * that should not run it but has one counts as misscheduled.
 */
export function calculateDaemonSetCounts(ds: DaemonSet, nodes: readonly Node[], nodeToPods: Map<string, Pod[]>, hash: string, nowMs: number): DaemonSetCounts {
  const c: DaemonSetCounts = {
    desiredNumberScheduled: 0, currentNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0,
    updatedNumberScheduled: 0, numberAvailable: 0, numberUnavailable: 0,
  };
  const generation = templateGeneration(ds);
  const minReady = ds.spec?.minReadySeconds ?? 0;
  for (const node of nodes) {
    const { shouldRun } = nodeShouldRunDaemonPod(node, ds);
    const pods = nodeToPods.get(node.metadata?.name ?? '') ?? [];
    if (!shouldRun) {
      if (pods.length > 0) c.numberMisscheduled++;
      continue;
    }
    c.desiredNumberScheduled++;
    if (pods.length === 0) continue;
    c.currentNumberScheduled++;
    const pod = [...pods].sort(compareDaemonPods)[0];
    if (isPodReady(pod)) {
      c.numberReady++;
      if (isPodAvailable(pod, minReady, nowMs)) c.numberAvailable++;
    }
    if (isPodUpdated(pod, hash, generation)) c.updatedNumberScheduled++;
  }
  c.numberUnavailable = c.desiredNumberScheduled - c.numberAvailable;
  return c;
}

/** storeDaemonSetStatus's early return: every count equal and the generation observed. */
export function daemonSetStatusUnchanged(ds: DaemonSet, c: DaemonSetCounts): boolean {
  const s = ds.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 };
  return (s.desiredNumberScheduled ?? 0) === c.desiredNumberScheduled
    && (s.currentNumberScheduled ?? 0) === c.currentNumberScheduled
    && (s.numberMisscheduled ?? 0) === c.numberMisscheduled
    && (s.numberReady ?? 0) === c.numberReady
    && (s.updatedNumberScheduled ?? 0) === c.updatedNumberScheduled
    && (s.numberAvailable ?? 0) === c.numberAvailable
    && (s.numberUnavailable ?? 0) === c.numberUnavailable
    && (s.observedGeneration ?? 0) >= (ds.metadata?.generation ?? 0);
}

/**
 * The status to write: `base` (e.g. collisionCount) with the counts, as the
 * API serializes it — the four required counts always, the optional ones
 * (omitempty upstream) only when non-zero.
 */
export function daemonSetStatus(base: DaemonSetStatus | undefined, c: DaemonSetCounts, observedGeneration: number | undefined): DaemonSetStatus {
  const out: DaemonSetStatus = {
    ...(base ?? {}),
    currentNumberScheduled: c.currentNumberScheduled, desiredNumberScheduled: c.desiredNumberScheduled,
    numberMisscheduled: c.numberMisscheduled, numberReady: c.numberReady,
  };
  const optional = { updatedNumberScheduled: c.updatedNumberScheduled, numberAvailable: c.numberAvailable, numberUnavailable: c.numberUnavailable, observedGeneration };
  const o = out as unknown as Record<string, unknown>;
  for (const [k, v] of Object.entries(optional)) {
    if (v) o[k] = v; else delete o[k];
  }
  return out;
}
