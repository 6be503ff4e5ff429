// The RollingUpdate strategy (upstream update.go rollingUpdate): which old
// pods to delete and on which nodes to start new ones this round, given the
// pods per node. Without surge, old pods are deleted (the manage loop then
// creates their replacements) while at most maxUnavailable nodes lack an
// available pod; with surge, a new pod starts beside the old one on up to
// maxSurge nodes, and the old one goes once the new one is available.
//
// Pure: the controller turns the plan into API calls (syncNodes).

import type { DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { scaledValue } from '../deployment/util.ts';
import { isPodAvailable } from '../replicaset/pods.ts';
import { nodeShouldRunDaemonPod } from './eligibility.ts';
import { isPodUpdated, templateGeneration } from './history.ts';

export interface RollingUpdatePlan {
  /** Names of pods to delete. */
  podsToDelete: string[];
  /** Nodes to start a pod of the current revision on. */
  nodesToCreate: string[];
}

function isRollingUpdate(ds: DaemonSet): boolean {
  return (ds.spec?.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** util.UnavailableCount: maxUnavailable scaled to `desired`, percentages rounded up. */
export function unavailableCount(ds: DaemonSet, desired: number): number {
  const r = ds.spec?.updateStrategy?.rollingUpdate;
  if (!isRollingUpdate(ds) || !r) return 0;
  return scaledValue(r.maxUnavailable, desired, true);
}

/** util.SurgeCount: maxSurge scaled to `desired`, percentages rounded up; 0 when unset. */
export function surgeCount(ds: DaemonSet, desired: number): number {
  const r = ds.spec?.updateStrategy?.rollingUpdate;
  if (!isRollingUpdate(ds) || !r || r.maxSurge === undefined || r.maxSurge === null) return 0;
  return scaledValue(r.maxSurge, desired, true);
}

/** util.AllowsSurge. */
export function allowsSurge(ds: DaemonSet): boolean {
  try {
    return surgeCount(ds, 1) !== 0;
  } catch {
    return false;
  }
}

/**
 * findUpdatedPodsOnNode: the node's one new and one old (not deleting) pod;
 * ok=false when it has more of either (the manage loop prunes those first).
 */
export function findUpdatedPodsOnNode(ds: DaemonSet, pods: readonly Pod[], hash: string): { newPod?: Pod; oldPod?: Pod; ok: boolean } {
  const generation = templateGeneration(ds);
  let newPod: Pod | undefined;
  let oldPod: Pod | undefined;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return { ok: false };
      newPod = p;
    } else {
      if (oldPod) return { ok: false };
      oldPod = p;
    }
  }
  return { newPod, oldPod, ok: true };
}

/**
 * The plan for one round. `nodeToPods` is the DaemonSet's pods by node (not
 * modified); nodes that should run the pod but have none count too.
 * Throws when a node with pods is unknown while surging (upstream: retried).
 */
export function planRollingUpdate(ds: DaemonSet, nodes: readonly Node[], nodeToPods: ReadonlyMap<string, Pod[]>, hash: string, nowMs: number): RollingUpdatePlan {
  const byNode = new Map<string, Pod[]>(nodeToPods);
  // updatedDesiredNodeCounts
  let desired = 0;
  for (const node of nodes) {
    if (!nodeShouldRunDaemonPod(node, ds).shouldRun) continue;
    desired++;
    const name = node.metadata?.name ?? '';
    if (!byNode.has(name)) byNode.set(name, []);
  }
  const maxSurge = surgeCount(ds, desired);
  let maxUnavailable = unavailableCount(ds, desired);
  // Neither surge nor unavailability would never progress: accept one unavailable node.
  if (desired > 0 && maxUnavailable === 0 && maxSurge === 0) maxUnavailable = 1;

  const minReady = ds.spec?.minReadySeconds ?? 0;
  const available = (p: Pod): boolean => isPodAvailable(p, minReady, nowMs);
  // Go ranges over a map in random order; sorted names keep the plan reproducible.
  const names = [...byNode.keys()].sort();

  if (maxSurge === 0) {
    let numUnavailable = 0;
    const replacements: string[] = [];
    const candidates: string[] = [];
    for (const name of names) {
      const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, byNode.get(name)!, hash);
      if (!ok) { numUnavailable++; continue; } // the manage loop cleans up this node first
      if ((!oldPod && !newPod) || (oldPod && newPod)) {
        numUnavailable++; // the manage loop creates or deletes here
      } else if (newPod) {
        if (!available(newPod)) numUnavailable++;
      } else if (oldPod) {
        if (!available(oldPod)) {
          // Unavailable anyway: replacing it costs nothing.
          replacements.push(oldPod.metadata!.name!);
          numUnavailable++;
        } else if (numUnavailable < maxUnavailable) {
          candidates.push(oldPod.metadata!.name!);
        }
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - numUnavailable), candidates.length);
    return { podsToDelete: [...replacements, ...candidates.slice(0, remaining)], nodesToCreate: [] };
  }

  const nodeByName = new Map(nodes.map((n) => [n.metadata?.name ?? '', n]));
  const shouldRun = (name: string): boolean => {
    const node = nodeByName.get(name);
    if (!node) throw new Error(`couldn't get node for nodeName "${name}": node "${name}" not found`);
    return nodeShouldRunDaemonPod(node, ds).shouldRun;
  };
  const oldPodsToDelete: string[] = [];
  const shouldNotRunPodsToDelete: string[] = [];
  const candidateNewNodes: string[] = [];
  const allowedNewNodes: string[] = [];
  let numSurge = 0;
  let numAvailable = 0;
  for (const name of names) {
    const { newPod, oldPod, ok } = findUpdatedPodsOnNode(ds, byNode.get(name)!, hash);
    if (!ok) { numSurge++; continue; }
    if (oldPod) {
      if (available(oldPod)) numAvailable++;
    } else if (newPod && available(newPod)) {
      numAvailable++;
    }
    if (!oldPod) continue; // nothing to update; the manage loop handles an empty node
    if (!newPod) {
      if (!available(oldPod)) {
        if (!shouldRun(name)) { oldPodsToDelete.push(oldPod.metadata!.name!); continue; }
        allowedNewNodes.push(name); // unavailable anyway: replace it at once
      } else {
        if (!shouldRun(name)) { shouldNotRunPodsToDelete.push(oldPod.metadata!.name!); continue; }
        if (numSurge >= maxSurge) continue;
        candidateNewNodes.push(name);
      }
    } else {
      // Already surged here: the old pod goes once the new one is available.
      if (!available(newPod)) { numSurge++; continue; }
      oldPodsToDelete.push(oldPod.metadata!.name!);
    }
  }
  // With surge the owner expects full availability: a pod on a node that no
  // longer qualifies goes only once enough pods elsewhere are available.
  const deletable = Math.min(numAvailable - desired, shouldNotRunPodsToDelete.length);
  if (deletable > 0) oldPodsToDelete.push(...shouldNotRunPodsToDelete.slice(0, deletable));
  const remainingSurge = Math.min(Math.max(0, maxSurge - numSurge), candidateNewNodes.length);
  return { podsToDelete: oldPodsToDelete, nodesToCreate: [...allowedNewNodes, ...candidateNewNodes.slice(0, remainingSurge)] };
}
