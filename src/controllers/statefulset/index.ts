export {
  statefulSetController, StatefulSetController, selectorOf, DEFAULT_WORKERS,
  type StatefulSetControllerDeps, type StatefulSetControllerOptions,
} from './statefulset.ts';
export { StatefulSetControl, type StatefulSetControlDeps } from './control.ts';
export { restStatefulSetApi, type StatefulSetApi, type Recorder } from './api.ts';
export * from './identity.ts';
export * from './revision.ts';
export { countReplicas, completeRollingUpdate, inconsistentStatus, normalizeStatus } from './status.ts';
export { claimOwnerMatchesSetAndPod, updateClaimOwnerRefs, hasStaleOwnerRef } from './retention.ts';
