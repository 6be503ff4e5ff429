// NodeResourcesFit: the pod's requests (init containers and overhead counted
// as upstream, see resources.ts) must fit the node's allocatable minus what
// its pods (bound and assumed) request; one reason per short resource.
// Scores by strategy: LeastAllocated (default; spreads) or MostAllocated (packs),
// over cpu and memory weighted 1:1, with non-zero defaults for pods that
// request nothing.

import { MAX_NODE_SCORE as MAX_NODE_SCORE_, SUCCESS as SUCCESS_, unschedulable, type Plugin } from '../types.ts';
import type { NodeInfo } from '../nodeinfo.ts';
import type { PodInfo } from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const SUCCESS = SUCCESS_;
const MAX_NODE_SCORE = MAX_NODE_SCORE_;

export const NODE_RESOURCES_FIT = 'NodeResourcesFit';
export type ScoringStrategy = 'LeastAllocated' | 'MostAllocated';

/** Reasons the pod does not fit: "Too many pods", "Insufficient cpu", … (empty: fits). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const out: string[] = [];
  const alloc = node.allocatable;
  const used = node.requested;
  const req = pod.requests;
  if (alloc.allowedPodNumber < node.pods.size + 1) out.push('Too many pods');
  if (req.milliCPU > 0 && alloc.milliCPU < req.milliCPU + used.milliCPU) out.push('Insufficient cpu');
  if (req.memory > 0 && alloc.memory < req.memory + used.memory) out.push('Insufficient memory');
  if (req.ephemeralStorage > 0 && alloc.ephemeralStorage < req.ephemeralStorage + used.ephemeralStorage) out.push('Insufficient ephemeral-storage');
  for (const [name, v] of req.scalar) {
    if (v > 0 && (alloc.scalar.get(name) ?? 0) < v + (used.scalar.get(name) ?? 0)) out.push(`Insufficient ${name}`);
  }
  return out;
}

function leastAllocated(requested: number, capacity: number): number {
  if (capacity === 0 || requested > capacity) return 0;
  return Math.trunc((capacity - requested) * MAX_NODE_SCORE / capacity);
}

function mostAllocated(requested: number, capacity: number): number {
  if (capacity === 0) return 0;
  return Math.trunc(Math.min(requested, capacity) * MAX_NODE_SCORE / capacity);
}

export function nodeResourcesFit(strategy: ScoringStrategy = 'LeastAllocated'): Plugin {
  const f = strategy === 'MostAllocated' ? mostAllocated : leastAllocated;
  return {
    name: NODE_RESOURCES_FIT,
    events: ['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete', 'AssignedPodUpdate'],
    filter(_state, pod, node) {
      const reasons = insufficientResources(pod, node);
      return reasons.length ? unschedulable(...reasons) : SUCCESS;
    },
    score(_state, pod, node) {
      const cpu = f(node.nonZeroRequested.milliCPU + pod.nonZero.milliCPU, node.allocatable.milliCPU);
      const mem = f(node.nonZeroRequested.memory + pod.nonZero.memory, node.allocatable.memory);
      return Math.trunc((cpu + mem) / 2);
    },
  };
}
