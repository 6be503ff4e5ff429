// NodeResourcesBalancedAllocation: prefer nodes where, with the pod, cpu and
// memory are used in similar proportions: score = (1 − |f_cpu − f_mem| / 2) × 100.

import { MAX_NODE_SCORE as MAX_NODE_SCORE_, type Plugin } from '../types.ts';

// Local copies: the TypeScript loader turns imported bindings into getter calls, on the hot path.
const MAX_NODE_SCORE = MAX_NODE_SCORE_;

export const BALANCED_ALLOCATION = 'NodeResourcesBalancedAllocation';

export const balancedAllocation: Plugin = {
  name: BALANCED_ALLOCATION,
  events: ['NodeAdd', 'NodeAllocatableChange', 'AssignedPodDelete'],
  score(_state, pod, node) {
    const fractions: number[] = [];
    const a = node.allocatable;
    if (a.milliCPU > 0) fractions.push(Math.min(1, (node.nonZeroRequested.milliCPU + pod.nonZero.milliCPU) / a.milliCPU));
    if (a.memory > 0) fractions.push(Math.min(1, (node.nonZeroRequested.memory + pod.nonZero.memory) / a.memory));
    if (fractions.length < 2) return MAX_NODE_SCORE;
    const std = Math.abs((fractions[0] - fractions[1]) / 2);
    return Math.trunc((1 - std) * MAX_NODE_SCORE);
  },
};
