// Simulated nodes (kwok-style): the programmatic API behind `pilot agent --simulate`.

export { startSimulatedNodes, validateConfig, type SimulatedNodes, type SimulatedNodesStats, type StartSimulatedNodesOptions } from './simulator.ts';
export {
  SIMULATED_DEFAULTS, SIMULATED_NODE_LABEL, EXIT_CODE_ANNOTATION, RUN_DURATION_ANNOTATION, parseKeyValues, parseTaints,
  type SimulatedNodesConfig,
} from './options.ts';
export { nextPodAction, failsByRatio, slimPod, type PodAction, type PodStatusContext } from './pod-status.ts';
