// apps/v1 controllers and ReplicationControllers.

import { type Obj, isObj, isSet, ensure, setDefault } from './util.ts';
import { podTemplateDefaults } from './pod.ts';
import { claimTemplatesDefaults } from './storage.ts';

export function deploymentDefaults(d: Obj): void {
  const spec = ensure(d, 'spec');
  if (!spec) return;
  if (!isSet(spec.replicas)) spec.replicas = 1;
  const strategy = ensure(spec, 'strategy');
  if (strategy) {
    setDefault(strategy, 'type', 'RollingUpdate');
    if (strategy.type === 'RollingUpdate') {
      const ru = ensure(strategy, 'rollingUpdate');
      if (ru) {
        if (!isSet(ru.maxUnavailable)) ru.maxUnavailable = '25%';
        if (!isSet(ru.maxSurge)) ru.maxSurge = '25%';
      }
    }
  }
  if (!isSet(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  if (!isSet(spec.progressDeadlineSeconds)) spec.progressDeadlineSeconds = 600;
  podTemplateDefaults(ensure(spec, 'template'));
}

export function replicaSetDefaults(rs: Obj): void {
  const spec = ensure(rs, 'spec');
  if (!spec) return;
  if (!isSet(spec.replicas)) spec.replicas = 1;
  podTemplateDefaults(ensure(spec, 'template'));
}

export function statefulSetDefaults(sts: Obj): void {
  const spec = ensure(sts, 'spec');
  if (!spec) return;
  setDefault(spec, 'podManagementPolicy', 'OrderedReady');
  const us = ensure(spec, 'updateStrategy');
  if (us) {
    if (!us.type) {
      us.type = 'RollingUpdate';
      if (!isSet(us.rollingUpdate)) us.rollingUpdate = {};
    }
    if (us.type === 'RollingUpdate' && isObj(us.rollingUpdate) && !isSet(us.rollingUpdate.partition)) us.rollingUpdate.partition = 0;
  }
  const pol = ensure(spec, 'persistentVolumeClaimRetentionPolicy');
  if (pol) {
    setDefault(pol, 'whenDeleted', 'Retain');
    setDefault(pol, 'whenScaled', 'Retain');
  }
  if (!isSet(spec.replicas)) spec.replicas = 1;
  if (!isSet(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  podTemplateDefaults(ensure(spec, 'template'));
  claimTemplatesDefaults(spec.volumeClaimTemplates);
}

export function daemonSetDefaults(ds: Obj): void {
  const spec = ensure(ds, 'spec');
  if (!spec) return;
  const us = ensure(spec, 'updateStrategy');
  if (us) {
    setDefault(us, 'type', 'RollingUpdate');
    if (us.type === 'RollingUpdate') {
      const ru = ensure(us, 'rollingUpdate');
      if (ru) {
        if (!isSet(ru.maxUnavailable)) ru.maxUnavailable = 1;
        if (!isSet(ru.maxSurge)) ru.maxSurge = 0;
      }
    }
  }
  if (!isSet(spec.revisionHistoryLimit)) spec.revisionHistoryLimit = 10;
  podTemplateDefaults(ensure(spec, 'template'));
}

export function replicationControllerDefaults(rc: Obj): void {
  const spec = ensure(rc, 'spec');
  if (!spec) return;
  const labels = isObj(spec.template) && isObj(spec.template.metadata) && isObj(spec.template.metadata.labels)
    ? spec.template.metadata.labels : undefined;
  if (labels) {
    if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
    const meta = ensure(rc, 'metadata');
    if (meta && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  }
  if (!isSet(spec.replicas)) spec.replicas = 1;
  if (isObj(spec.template)) podTemplateDefaults(spec.template);
}

export function podTemplateObjectDefaults(pt: Obj): void {
  podTemplateDefaults(ensure(pt, 'template'));
}
