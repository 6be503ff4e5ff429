export {
  nodeLifecycleController, NodeLifecycleController, restNodeLifecycleApi, nodeLifecycleOptions, DEFAULTS, NODE_LEASE_NAMESPACE,
  type NodeLifecycleApi, type NodeLifecycleDeps, type NodeLifecycleOptions,
} from './lifecycle.ts';
export { taintEvictionController, TaintEvictionController, restTaintEvictionApi, type TaintEvictionApi } from './taint-eviction.ts';
export { NodeHealthTracker, UNKNOWN_CONDITION_TYPES } from './health.ts';
export * from './taints.ts';
export { podsOnNode, requestNodeNameIndex, NODE_NAME_INDEX } from './pods.ts';
