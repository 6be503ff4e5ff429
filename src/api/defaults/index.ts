// Defaulting of API objects: what upstream fills in when a field is left out
// (its SetDefaults_* functions and the few values its registry or admission
// set on every object). applyDefaults is idempotent, so it is safe on updates
// and on objects that were defaulted before.

import type { ResourceInfo } from '../resources.ts';
import { type Obj, isObj } from './util.ts';
import { podDefaults } from './pod.ts';
import { serviceDefaults, endpointsDefaults, endpointSliceDefaults } from './service.ts';
import {
  deploymentDefaults, replicaSetDefaults, statefulSetDefaults, daemonSetDefaults, replicationControllerDefaults,
  podTemplateObjectDefaults,
} from './workloads.ts';
import { jobDefaults, cronJobDefaults } from './batch.ts';
import { persistentVolumeDefaults, persistentVolumeClaimDefaults } from './storage.ts';
import {
  namespaceDefaults, nodeDefaults, secretDefaults, limitRangeDefaults, resourceQuotaDefaults, priorityClassDefaults,
} from './core.ts';

export { jobSelectorDefaults } from './batch.ts';
export { prepareServiceUpdate } from './service.ts';
export { podTemplateDefaults, imageTag } from './pod.ts';

const DEFAULTERS: Record<string, (obj: Obj) => void> = {
  '/Pod': podDefaults,
  '/Service': serviceDefaults,
  '/Endpoints': endpointsDefaults,
  '/Namespace': namespaceDefaults,
  '/Node': nodeDefaults,
  '/Secret': secretDefaults,
  '/PersistentVolumeClaim': persistentVolumeClaimDefaults,
  '/PersistentVolume': persistentVolumeDefaults,
  '/ResourceQuota': resourceQuotaDefaults,
  '/LimitRange': limitRangeDefaults,
  '/ReplicationController': replicationControllerDefaults,
  '/PodTemplate': podTemplateObjectDefaults,
  'apps/Deployment': deploymentDefaults,
  'apps/ReplicaSet': replicaSetDefaults,
  'apps/StatefulSet': statefulSetDefaults,
  'apps/DaemonSet': daemonSetDefaults,
  'batch/Job': jobDefaults,
  'batch/CronJob': cronJobDefaults,
  'discovery.k8s.io/EndpointSlice': endpointSliceDefaults,
  'scheduling.k8s.io/PriorityClass': priorityClassDefaults,
};

/** Fills in upstream's defaults for `res`'s kind, in place. */
export function applyDefaults(res: ResourceInfo, obj: any): void {
  if (!isObj(obj)) return;
  DEFAULTERS[`${res.group}/${res.kind}`]?.(obj);
}

