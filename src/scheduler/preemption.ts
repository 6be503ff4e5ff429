// DefaultPreemption (PostFilter): when no node fits a pod, find a node where
// evicting lower-priority pods makes it fit, choosing — as upstream — by
// fewest PodDisruptionBudget violations, then the lowest highest-victim
// priority, the smallest sum of victim priorities, the fewest victims, and
// the latest-started victims. Victims are chosen by removing every
// lower-priority pod, then adding back ("reprieving") as many as still fit,
// most important first, PDB-protected ones first. Pure: the scheduler
// deletes the victims and sets status.nominatedNodeName.

import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Diagnosis, Framework, NominatedPods } from './framework.ts';
import { fitErrorMessage } from './framework.ts';
import { selectorMatcher } from './podinfo.ts';
import type { Snapshot } from './snapshot.ts';
import { isSuccess, unresolvable, type CycleState, type PodInfo, type Status } from './types.ts';

export const ERR_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const ERR_NO_VICTIMS = 'No preemption victims found for incoming pod';

export interface Candidate { node: string; victims: PodInfo[]; numPDBViolations: number }

export type PreemptionResult =
  | { ok: true; candidate: Candidate }
  /** message: the PostFilter message that follows the fit error ("preemption: …"). */
  | { ok: false; message: string };

/** Whether the pod may preempt at all (upstream's PodEligibleToPreemptOthers). */
export function eligibleToPreempt(pod: Pod, snap: Snapshot): string | undefined {
  if (pod.spec?.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const nominated = pod.status?.nominatedNodeName;
  if (nominated) {
    const ni = snap.get(nominated);
    const prio = pod.spec?.priority ?? 0;
    if (ni) {
      for (const p of ni.pods.values()) {
        if (p.pod.metadata?.deletionTimestamp && p.priority < prio) return 'not eligible due to a terminating pod on the nominated node.';
      }
    }
  }
  return undefined;
}

function startTime(p: PodInfo): number {
  const t = p.pod.status?.startTime ?? p.pod.metadata?.creationTimestamp;
  return t ? Date.parse(t) : 0;
}

/** More important first: higher priority, then earlier start. */
function moreImportant(a: PodInfo, b: PodInfo): number {
  return b.priority - a.priority || startTime(a) - startTime(b);
}

interface PdbBudget { ns: string; matches: (p: Pod) => boolean; allowed: number }

function budgets(pdbs: readonly PodDisruptionBudget[]): PdbBudget[] {
  return pdbs.map((pdb) => {
    const sel = selectorMatcher(pdb.spec?.selector ?? undefined);
    return {
      ns: pdb.metadata?.namespace ?? '',
      // policy/v1: an empty selector selects every pod of the namespace, a missing one none.
      matches: (p: Pod) => sel.matches(p.metadata?.labels ?? {}),
      allowed: pdb.status?.disruptionsAllowed ?? 0,
    };
  });
}

/** Splits victims into those whose eviction would break a PDB and the rest (both keep their order). */
function splitByPDB(victims: PodInfo[], pdbs: PdbBudget[]): { violating: PodInfo[]; ok: PodInfo[] } {
  const left = pdbs.map((b) => b.allowed);
  const violating: PodInfo[] = [];
  const ok: PodInfo[] = [];
  for (const v of victims) {
    let breaks = false;
    pdbs.forEach((b, i) => {
      if (b.ns !== v.pod.metadata?.namespace || !b.matches(v.pod)) return;
      left[i]--;
      if (left[i] < 0) breaks = true;
    });
    (breaks ? violating : ok).push(v);
  }
  return { violating, ok };
}

/** The victims needed on one node, or the status saying why preempting there does not help. */
function selectVictimsOnNode(fw: Framework, baseState: CycleState, pod: PodInfo, nodeName: string, snap: Snapshot,
  pdbs: PdbBudget[], nominated?: NominatedPods): { victims: PodInfo[]; numPDBViolations: number } | Status {
  const original = snap.get(nodeName)!;
  const potential: PodInfo[] = [];
  for (const p of original.pods.values()) if (p.priority < pod.priority) potential.push(p);
  if (potential.length === 0) return unresolvable(ERR_NO_VICTIMS);
  const ni = original.clone();
  const state = baseState.clone();
  for (const p of potential) {
    ni.removePod(p.key);
    fw.removePodFromState(state, pod, p, ni);
  }
  const fits = fw.runFilterWithNominated(state, pod, ni, nominated);
  if (!isSuccess(fits)) return fits;
  potential.sort(moreImportant);
  const { violating, ok } = splitByPDB(potential, pdbs);
  const victims: PodInfo[] = [];
  let numPDBViolations = 0;
  const reprieve = (p: PodInfo, violates: boolean): void => {
    ni.addPod(p);
    fw.addPodToState(state, pod, p, ni);
    if (!isSuccess(fw.runFilterWithNominated(state, pod, ni, nominated))) {
      ni.removePod(p.key);
      fw.removePodFromState(state, pod, p, ni);
      victims.push(p);
      if (violates) numPDBViolations++;
    }
  };
  for (const p of violating) reprieve(p, true);
  for (const p of ok) reprieve(p, false);
  return { victims, numPDBViolations };
}

function better(a: Candidate, b: Candidate): boolean {
  if (a.numPDBViolations !== b.numPDBViolations) return a.numPDBViolations < b.numPDBViolations;
  const hi = (c: Candidate): number => Math.max(...c.victims.map((v) => v.priority));
  if (hi(a) !== hi(b)) return hi(a) < hi(b);
  const sum = (c: Candidate): number => c.victims.reduce((s, v) => s + v.priority + 2147483648, 0);
  if (sum(a) !== sum(b)) return sum(a) < sum(b);
  if (a.victims.length !== b.victims.length) return a.victims.length < b.victims.length;
  // The candidate whose most important victims started latest loses the least work.
  const latest = (c: Candidate): number => {
    const top = hi(c);
    return Math.min(...c.victims.filter((v) => v.priority === top).map(startTime));
  };
  return latest(a) > latest(b);
}

/**
 * Runs preemption for a pod no node fits. `diagnosis` is the failed cycle's;
 * nodes rejected as unresolvable are not tried. Looks at every potential node
 * (upstream samples at least 100 or 10% of them; we stop at as many candidates).
 */
export function preempt(fw: Framework, state: CycleState, pod: PodInfo, diagnosis: Diagnosis, snap: Snapshot,
  pdbs: readonly PodDisruptionBudget[], nominated?: NominatedPods): PreemptionResult {
  const notEligible = eligibleToPreempt(pod.pod, snap);
  if (notEligible) return { ok: false, message: notEligible };
  const statuses = new Map<string, Status>();
  const potential: string[] = [];
  for (const n of snap.nodeInfoList) {
    const s = diagnosis.nodeToStatus.get(n.name);
    if (diagnosis.preFilterMsg !== undefined || s?.code === 'UnschedulableAndUnresolvable') statuses.set(n.name, unresolvable(ERR_NOT_HELPFUL));
    else potential.push(n.name);
  }
  const budget = budgets(pdbs);
  const wanted = Math.max(100, Math.trunc(snap.numNodes() / 10));
  const candidates: Candidate[] = [];
  for (const name of potential) {
    const r = selectVictimsOnNode(fw, state, pod, name, snap, budget, nominated);
    if ('code' in r) statuses.set(name, r);
    else if (r.victims.length > 0) {
      candidates.push({ node: name, ...r });
      if (candidates.length >= wanted) break;
    } else statuses.set(name, unresolvable(ERR_NO_VICTIMS));
  }
  if (candidates.length === 0) {
    return { ok: false, message: `preemption: ${fitErrorMessage(statuses.size, { nodeToStatus: statuses })}` };
  }
  let best = candidates[0];
  for (const c of candidates.slice(1)) if (better(c, best)) best = c;
  return { ok: true, candidate: best };
}
