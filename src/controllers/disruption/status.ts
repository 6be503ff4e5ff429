// The arithmetic of a PodDisruptionBudget's status (upstream
// pkg/controller/disruption): how many pods are expected, how many must stay
// healthy, how many are, and so how many disruptions are allowed. Pure
// functions over pods and time, so they are tested without a server.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import { parseTime, rfc3339, semanticEqual } from '../replicaset/util.ts';

/** How long an evicted pod is not counted healthy while waiting for its deletion to show (upstream DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

export function isPodReady(pod: Pod): boolean {
  return !!pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * intstr.GetScaledValueFromIntOrPercent with rounding up (as the disruption
 * controller always asks): an int as is, "N%" of `total`. Throws otherwise.
 */
export function scaledValueRoundUp(v: number | string, total: number): number {
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${v}": must be an integer or percentage (e.g. "5%")`);
  return Math.ceil((Number(m[1]) * total) / 100);
}

export interface ExpectedCount {
  expectedCount: number;
  desiredHealthy: number;
  /** Names of matched pods without a controller (not counted in a scale-based expectation). */
  unmanagedPods: string[];
}

/**
 * getExpectedPodCount: an integer minAvailable needs that many healthy pods out
 * of the pods matched; a percentage, or any maxUnavailable, is relative to the
 * scale of the pods' controllers (`expectedScale` computes it).
 */
export async function expectedPodCount(pdb: PodDisruptionBudget, pods: Pod[],
  expectedScale: () => Promise<{ expected: number; unmanagedPods: string[] }>): Promise<ExpectedCount> {
  const spec = pdb.spec ?? {};
  const maxUnavailable = spec.maxUnavailable;
  const minAvailable = spec.minAvailable;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    const { expected, unmanagedPods } = await expectedScale();
    const desired = Math.max(0, expected - scaledValueRoundUp(maxUnavailable, expected));
    return { expectedCount: expected, desiredHealthy: desired, unmanagedPods };
  }
  if (minAvailable !== undefined && minAvailable !== null) {
    if (typeof minAvailable === 'number') return { expectedCount: pods.length, desiredHealthy: minAvailable, unmanagedPods: [] };
    const { expected, unmanagedPods } = await expectedScale();
    return { expectedCount: expected, desiredHealthy: scaledValueRoundUp(minAvailable, expected), unmanagedPods };
  }
  return { expectedCount: 0, desiredHealthy: 0, unmanagedPods: [] };
}

export interface DisruptedPodMap {
  /** Pods still expected to go, with the time of their eviction. */
  disruptedPods: Record<string, string>;
  /** When the earliest of them times out: sync again then. */
  recheckAt?: number;
  /** Pods evicted longer than DELETION_TIMEOUT_MS ago that are still there (event NotDeleted). */
  notDeleted: Pod[];
}

/**
 * buildDisruptedPodMap: keeps the entries of status.disruptedPods whose pod
 * still exists, is not being deleted yet, and was evicted less than
 * DELETION_TIMEOUT_MS ago.
 */
export function buildDisruptedPodMap(pods: Pod[], pdb: PodDisruptionBudget, now: number): DisruptedPodMap {
  const known = pdb.status?.disruptedPods ?? {};
  const out: DisruptedPodMap = { disruptedPods: {}, notDeleted: [] };
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const name = pod.metadata?.name ?? '';
    const at = known[name];
    if (at === undefined) continue;
    const expectedDeletion = (parseTime(at) ?? 0) + DELETION_TIMEOUT_MS;
    if (expectedDeletion < now) {
      out.notDeleted.push(pod);
    } else {
      if (out.recheckAt === undefined || expectedDeletion < out.recheckAt) out.recheckAt = expectedDeletion;
      out.disruptedPods[name] = at;
    }
  }
  return out;
}

/** countHealthyPods: Ready pods that are neither being deleted nor recently evicted. */
export function countHealthyPods(pods: Pod[], disruptedPods: Record<string, string>, now: number): number {
  let healthy = 0;
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp) continue;
    const at = disruptedPods[pod.metadata?.name ?? ''];
    if (at !== undefined && (parseTime(at) ?? 0) + DELETION_TIMEOUT_MS > now) continue;
    if (isPodReady(pod)) healthy++;
  }
  return healthy;
}

/** apimeta.SetStatusCondition: the transition time moves only when the status changes. */
export function setStatusCondition(conditions: Condition[], cond: Omit<Condition, 'lastTransitionTime'>, now: number): Condition[] {
  const out = conditions.map((c) => ({ ...c }));
  const i = out.findIndex((c) => c.type === cond.type);
  if (i < 0) {
    out.push({ ...cond, lastTransitionTime: rfc3339(now) });
    return out;
  }
  const cur = out[i];
  out[i] = {
    ...cur, reason: cond.reason, message: cond.message, observedGeneration: cond.observedGeneration, status: cond.status,
    lastTransitionTime: cur.status !== cond.status ? rfc3339(now) : cur.lastTransitionTime,
  };
  return out;
}

/** UpdateDisruptionAllowedCondition: True/SufficientPods while a disruption is allowed, else False/InsufficientPods. */
export function withDisruptionAllowedCondition(status: PodDisruptionBudgetStatus, now: number): PodDisruptionBudgetStatus {
  const allowed = (status.disruptionsAllowed ?? 0) > 0;
  return {
    ...status,
    conditions: setStatusCondition(status.conditions ?? [], {
      type: DISRUPTION_ALLOWED, status: allowed ? 'True' : 'False', reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
      message: '', observedGeneration: status.observedGeneration ?? 0,
    }, now),
  };
}

/** ConditionsAreUpToDate: the condition matches disruptionsAllowed and the observed generation. */
export function conditionsAreUpToDate(status: PodDisruptionBudgetStatus | undefined): boolean {
  const cond = status?.conditions?.find((c) => c.type === DISRUPTION_ALLOWED);
  if (!cond) return false;
  const allowed = (status?.disruptionsAllowed ?? 0) > 0;
  const want = allowed ? { status: 'True', reason: SUFFICIENT_PODS } : { status: 'False', reason: INSUFFICIENT_PODS };
  return cond.status === want.status && cond.reason === want.reason && (cond.observedGeneration ?? 0) === (status?.observedGeneration ?? 0);
}

/**
 * The status updatePdbStatus would write, or undefined when the current one
 * already says the same. Disruptions need expected pods: a budget whose pods
 * just appeared stays safe until it was computed with them.
 */
export function nextPdbStatus(pdb: PodDisruptionBudget, currentHealthy: number, desiredHealthy: number, expectedCount: number,
  disruptedPods: Record<string, string>, now: number): PodDisruptionBudgetStatus | undefined {
  let disruptionsAllowed = currentHealthy - desiredHealthy;
  if (expectedCount <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const cur = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  const generation = pdb.metadata?.generation ?? 0;
  if (cur.currentHealthy === currentHealthy && cur.desiredHealthy === desiredHealthy && cur.expectedPods === expectedCount
    && cur.disruptionsAllowed === disruptionsAllowed && semanticEqual(cur.disruptedPods ?? {}, disruptedPods)
    && (cur.observedGeneration ?? 0) === generation && conditionsAreUpToDate(cur)) return undefined;
  const next: PodDisruptionBudgetStatus = {
    currentHealthy, desiredHealthy, expectedPods: expectedCount, disruptionsAllowed, observedGeneration: generation,
    conditions: cur.conditions,
  };
  if (Object.keys(disruptedPods).length) next.disruptedPods = disruptedPods;
  return withDisruptionAllowedCondition(next, now);
}

/** failSafe: no disruptions, condition False/SyncFailed with the error. */
export function failSafeStatus(pdb: PodDisruptionBudget, message: string, now: number): PodDisruptionBudgetStatus {
  const cur = pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, disruptionsAllowed: 0, expectedPods: 0 };
  return {
    ...cur, disruptionsAllowed: 0,
    conditions: setStatusCondition(cur.conditions ?? [], {
      type: DISRUPTION_ALLOWED, status: 'False', reason: SYNC_FAILED, message, observedGeneration: cur.observedGeneration ?? 0,
    }, now),
  };
}
