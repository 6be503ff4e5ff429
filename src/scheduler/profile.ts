// The default profile ("default-scheduler"): upstream's default plugins, in
// upstream's order, with upstream's score weights.

import type { Profile } from './framework.ts';
import { balancedAllocation } from './plugins/balanced-allocation.ts';
import { imageLocality } from './plugins/image-locality.ts';
import { interPodAffinity } from './plugins/inter-pod-affinity.ts';
import { nodeAffinity } from './plugins/node-affinity.ts';
import { nodeName } from './plugins/node-name.ts';
import { nodePorts } from './plugins/node-ports.ts';
import { nodeResourcesFit, type ScoringStrategy } from './plugins/node-resources-fit.ts';
import { nodeUnschedulable } from './plugins/node-unschedulable.ts';
import { podTopologySpread } from './plugins/pod-topology-spread.ts';
import { taintToleration } from './plugins/taint-toleration.ts';
import { volumeBinding } from './plugins/volume-binding.ts';

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export function defaultProfile(opts: { schedulerName?: string; scoringStrategy?: ScoringStrategy; percentageOfNodesToScore?: number } = {}): Profile {
  const fit = nodeResourcesFit(opts.scoringStrategy);
  return {
    schedulerName: opts.schedulerName ?? DEFAULT_SCHEDULER_NAME,
    percentageOfNodesToScore: opts.percentageOfNodesToScore ?? 0,
    filters: [nodeUnschedulable, nodeName, taintToleration, nodeAffinity, nodePorts, fit, volumeBinding, podTopologySpread, interPodAffinity],
    scores: [
      { plugin: taintToleration, weight: 3 },
      { plugin: nodeAffinity, weight: 2 },
      { plugin: fit, weight: 1 },
      { plugin: podTopologySpread, weight: 2 },
      { plugin: interPodAffinity, weight: 2 },
      { plugin: balancedAllocation, weight: 1 },
      { plugin: imageLocality, weight: 1 },
    ],
  };
}
