export * from './resource-list.ts';
export * from './evaluators.ts';
export { podRequests, podLimits } from './pod-resources.ts';
export { calculateUsage, evaluatorsFor, type UsageSource } from './usage.ts';
