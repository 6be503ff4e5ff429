export {
  replicaSetController, ReplicaSetController, restReplicaSetApi, slowStartBatch, BURST_REPLICAS,
  type ReplicaSetApi, type ReplicaSetControllerDeps, type ReplicaSetControllerOptions, type Recorder,
} from './replicaset.ts';
export { ControllerExpectations, EXPECTATIONS_TTL_MS } from './expectations.ts';
export { calculateReplicaSetStatus, normalizeReplicaSetStatus, REPLICA_FAILURE } from './status.ts';
export { isPodActive, isPodReady, isPodAvailable, podFromTemplate, podsToDelete, deleteBefore } from './pods.ts';
export { claimObjects, adoptPatch, releasePatch } from './controller-ref.ts';
