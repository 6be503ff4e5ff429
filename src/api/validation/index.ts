// Validation of API objects, as upstream's per-kind strategies do it. Both
// entry points expect defaults to have been applied (see ../defaults) and,
// for Jobs, the generated selector (jobSelectorDefaults); they return an
// empty list when the object is valid.

import type { ResourceInfo } from '../resources.ts';
import { type Errs, dedupe, notSupported, required, str } from './field.ts';
import { validateCommonMeta, validateObjectMetaUpdate } from './meta.ts';
import { validatePod } from './pod.ts';
import { validatePodUpdate } from './pod-update.ts';
import { validateService, validateServiceUpdate } from './service.ts';
import {
  validateDeployment, validateDeploymentUpdate, validateReplicaSet, validateReplicaSetUpdate, validateStatefulSet,
  validateStatefulSetUpdate, validateDaemonSet, validateDaemonSetUpdate, validateReplicationController,
  validateReplicationControllerUpdate, validateControllerRevision, validateControllerRevisionUpdate, validatePodTemplate,
  validatePodTemplateUpdate,
} from './workloads.ts';
import { validateJob, validateJobUpdate, validateCronJob, validateCronJobUpdate } from './batch.ts';
import {
  validateConfigMap, validateConfigMapUpdate, validateSecret, validateSecretUpdate, validateServiceAccount,
  validateServiceAccountUpdate,
} from './config.ts';
import { validateNamespace, validateNamespaceUpdate, validateNode, validateNodeUpdate } from './cluster.ts';
import {
  validatePersistentVolume, validatePersistentVolumeUpdate, validatePersistentVolumeClaim, validatePersistentVolumeClaimUpdate,
} from './storage.ts';
import { validateResourceQuota, validateResourceQuotaUpdate, validateLimitRange, validateLimitRangeUpdate } from './quota.ts';
import { validateEndpoints, validateEndpointsUpdate, validateEndpointSlice, validateEndpointSliceUpdate } from './endpoints.ts';
import { validateEvent, validateEventUpdate } from './events.ts';
import {
  validatePodDisruptionBudget, validatePriorityClass, validatePriorityClassUpdate, validateLease, validateLeaseUpdate,
} from './policy.ts';

import {
  validateRole, validateClusterRole, validateRoleBinding, validateRoleBindingUpdate, validateClusterRoleBinding,
  validateClusterRoleBindingUpdate,
} from './rbac.ts';

export type { FieldError } from './field.ts';

interface KindValidator {
  create: (obj: any) => Errs;
  update: (obj: any, old: any) => Errs;
}

function validateBinding(b: any): Errs {
  const errs: Errs = [];
  const kind = str(b?.target?.kind);
  if (kind && kind !== 'Node') errs.push(notSupported('target.kind', kind, ['Node', '<empty>']));
  if (!str(b?.target?.name)) errs.push(required('target.name'));
  return errs;
}

const VALIDATORS: Record<string, KindValidator> = {
  '/Pod': { create: validatePod, update: validatePodUpdate },
  '/Binding': { create: validateBinding, update: validateBinding },
  '/Service': { create: validateService, update: validateServiceUpdate },
  '/Endpoints': { create: validateEndpoints, update: validateEndpointsUpdate },
  '/ConfigMap': { create: validateConfigMap, update: validateConfigMapUpdate },
  '/Secret': { create: validateSecret, update: validateSecretUpdate },
  '/ServiceAccount': { create: validateServiceAccount, update: validateServiceAccountUpdate },
  '/Namespace': { create: validateNamespace, update: validateNamespaceUpdate },
  '/Node': { create: validateNode, update: validateNodeUpdate },
  '/Event': { create: (o) => validateEvent(o, false), update: (o, old) => validateEventUpdate(o, old, false) },
  '/PersistentVolume': { create: validatePersistentVolume, update: validatePersistentVolumeUpdate },
  '/PersistentVolumeClaim': { create: validatePersistentVolumeClaim, update: validatePersistentVolumeClaimUpdate },
  '/ResourceQuota': { create: validateResourceQuota, update: validateResourceQuotaUpdate },
  '/LimitRange': { create: validateLimitRange, update: validateLimitRangeUpdate },
  '/ReplicationController': { create: validateReplicationController, update: validateReplicationControllerUpdate },
  '/PodTemplate': { create: validatePodTemplate, update: validatePodTemplateUpdate },
  'apps/Deployment': { create: validateDeployment, update: validateDeploymentUpdate },
  'apps/ReplicaSet': { create: validateReplicaSet, update: validateReplicaSetUpdate },
  'apps/StatefulSet': { create: validateStatefulSet, update: validateStatefulSetUpdate },
  'apps/DaemonSet': { create: validateDaemonSet, update: validateDaemonSetUpdate },
  'apps/ControllerRevision': { create: validateControllerRevision, update: validateControllerRevisionUpdate },
  'batch/Job': { create: validateJob, update: validateJobUpdate },
  'batch/CronJob': { create: validateCronJob, update: validateCronJobUpdate },
  'coordination.k8s.io/Lease': { create: validateLease, update: validateLeaseUpdate },
  'discovery.k8s.io/EndpointSlice': { create: validateEndpointSlice, update: validateEndpointSliceUpdate },
  'events.k8s.io/Event': { create: (o) => validateEvent(o, true), update: (o, old) => validateEventUpdate(o, old, true) },
  'policy/PodDisruptionBudget': { create: validatePodDisruptionBudget, update: (o) => validatePodDisruptionBudget(o) },
  'scheduling.k8s.io/PriorityClass': { create: validatePriorityClass, update: validatePriorityClassUpdate },
  'rbac.authorization.k8s.io/Role': { create: validateRole, update: validateRole },
  'rbac.authorization.k8s.io/ClusterRole': { create: validateClusterRole, update: validateClusterRole },
  'rbac.authorization.k8s.io/RoleBinding': { create: validateRoleBinding, update: validateRoleBindingUpdate },
  'rbac.authorization.k8s.io/ClusterRoleBinding': { create: validateClusterRoleBinding, update: validateClusterRoleBindingUpdate },
};

const validatorFor = (res: ResourceInfo): KindValidator | undefined => VALIDATORS[`${res.group}/${res.kind}`];

/** Problems with a new object; empty when it may be created. */
export function validateCreate(res: ResourceInfo, obj: any): Errs {
  const v = validatorFor(res);
  const errs = v ? v.create(obj) : [];
  // The apiserver's own metadata check runs only once the kind's rules pass.
  if (errs.length) return dedupe(errs);
  return dedupe(validateCommonMeta(obj?.metadata, res.namespaced));
}

/** Problems with replacing `old` by `obj`: the create rules plus what may not change. */
export function validateUpdate(res: ResourceInfo, obj: any, old: any): Errs {
  const v = validatorFor(res);
  const errs = [
    ...validateCommonMeta(obj?.metadata, res.namespaced),
    ...validateObjectMetaUpdate(obj?.metadata, old?.metadata),
    ...(v ? v.update(obj, old) : []),
  ];
  return dedupe(errs);
}

export { validatePodSpec, validatePodTemplateSpec } from './pod.ts';
export { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
export { validateLabels, validateLabelSelector } from './selector.ts';
