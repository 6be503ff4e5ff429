// Defaults of volumes and claims.

import { type Obj, isObj, isSet, ensure, setDefault, canonicalResourceList, each } from './util.ts';

export function pvcSpecDefaults(spec: Obj): void {
  if (!isSet(spec.volumeMode)) spec.volumeMode = 'Filesystem';
  if (isObj(spec.resources)) {
    canonicalResourceList(spec.resources, 'requests');
    canonicalResourceList(spec.resources, 'limits');
  }
}

export function persistentVolumeClaimDefaults(pvc: Obj): void {
  const spec = ensure(pvc, 'spec');
  if (spec) pvcSpecDefaults(spec);
  const status = ensure(pvc, 'status');
  if (status) {
    setDefault(status, 'phase', 'Pending');
    canonicalResourceList(status, 'capacity');
    canonicalResourceList(status, 'allocatedResources');
  }
}

export function persistentVolumeDefaults(pv: Obj): void {
  const spec = ensure(pv, 'spec');
  if (spec) {
    setDefault(spec, 'persistentVolumeReclaimPolicy', 'Retain');
    if (!isSet(spec.volumeMode)) spec.volumeMode = 'Filesystem';
    canonicalResourceList(spec, 'capacity');
    if (isObj(spec.hostPath) && !isSet(spec.hostPath.type)) spec.hostPath.type = '';
    if (isObj(spec.iscsi)) setDefault(spec.iscsi, 'iscsiInterface', 'default');
    if (isObj(spec.rbd)) {
      setDefault(spec.rbd, 'pool', 'rbd');
      setDefault(spec.rbd, 'user', 'admin');
      setDefault(spec.rbd, 'keyring', '/etc/ceph/keyring');
    }
  }
  const status = ensure(pv, 'status');
  if (status) setDefault(status, 'phase', 'Pending');
}

/** StatefulSet volumeClaimTemplates are whole claims, defaulted like claims. */
export function claimTemplatesDefaults(list: unknown): void {
  each(list, (pvc) => {
    const meta = ensure(pvc, 'metadata');
    if (meta && !('creationTimestamp' in meta)) meta.creationTimestamp = null;
    persistentVolumeClaimDefaults(pvc);
  });
}
