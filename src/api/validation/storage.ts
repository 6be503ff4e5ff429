// PersistentVolume and PersistentVolumeClaim objects.

import {
  type Errs, child, key, invalid, required, forbidden, notSupported, isObj, obj, str, goAny, semanticEqual, FIELD_IMMUTABLE,
} from './field.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateObjectMeta } from './meta.ts';
import { validateHostPath } from './volumes.ts';
import { validateNodeSelector } from './affinity.ts';
import { quantityAt, validatePositiveQuantity, validateResourceName } from './resources.ts';
import { compareQuantities, parseQuantity } from './quantity.ts';
import {
  validateAccessModes, validatePersistentVolumeClaimSpec, validateStorageClassName, VOLUME_MODES,
} from './claimspec.ts';

const PV_SOURCES = ['hostPath', 'gcePersistentDisk', 'awsElasticBlockStore', 'glusterfs', 'flocker', 'nfs', 'rbd', 'quobyte',
  'cinder', 'cephfs', 'iscsi', 'fc', 'flexVolume', 'azureFile', 'vsphereVolume', 'photonPersistentDisk', 'portworxVolume',
  'azureDisk', 'scaleIO', 'local', 'storageos', 'csi'];
const RECLAIM_POLICIES = ['Delete', 'Recycle', 'Retain'];

function validatePVSpec(spec: unknown, path: string): Errs {
  const s = obj(spec);
  const errs = validateAccessModes(s.accessModes, child(path, 'accessModes'), '');
  const cap = obj(s.capacity);
  const capPath = child(path, 'capacity');
  if (Object.keys(cap).length === 0) errs.push(required(capPath));
  if (cap.storage === undefined || Object.keys(cap).length > 1) errs.push(notSupported(capPath, goAny(cap), ['storage']));
  for (const [r, v] of Object.entries(cap)) {
    const rp = key(capPath, r);
    errs.push(...validateResourceName(r, rp));
    const q = quantityAt(v, rp, errs);
    if (q) errs.push(...validatePositiveQuantity(q, rp));
  }
  const rp = str(s.persistentVolumeReclaimPolicy);
  if (rp && !RECLAIM_POLICIES.includes(rp)) errs.push(notSupported(child(path, 'persistentVolumeReclaimPolicy'), rp, RECLAIM_POLICIES));
  let nodeAffinity = false;
  if (isObj(s.nodeAffinity)) {
    const np = child(path, 'nodeAffinity');
    if (isObj(s.nodeAffinity.required)) {
      nodeAffinity = true;
      errs.push(...validateNodeSelector(s.nodeAffinity.required, child(np, 'required')));
    } else {
      errs.push(required(child(np, 'required'), 'must specify required node constraints'));
    }
  }
  let n = 0;
  for (const src of PV_SOURCES) {
    const v = s[src];
    if (v === undefined || v === null) continue;
    const sp = child(path, src);
    if (n > 0) { errs.push(forbidden(sp, 'may not specify more than 1 volume type')); continue; }
    n++;
    if (src === 'hostPath') errs.push(...validateHostPath(v, sp));
    if (src === 'nfs') {
      if (!str(v.server)) errs.push(required(child(sp, 'server')));
      if (!str(v.path)) errs.push(required(child(sp, 'path')));
      if (!str(v.path).startsWith('/')) errs.push(invalid(child(sp, 'path'), str(v.path), 'must be an absolute path'));
    }
    if (src === 'local') {
      const lp = str(v.path);
      if (!lp) errs.push(required(child(sp, 'path')));
      else if (lp.split('/').includes('..')) errs.push(invalid(child(sp, 'path'), lp, "must not contain '..'"));
      if (!nodeAffinity) errs.push(required(child(path, 'nodeAffinity'), 'Local volume requires node affinity'));
    }
    if (src === 'csi') {
      if (!str(v.driver)) errs.push(required(child(sp, 'driver')));
      if (!str(v.volumeHandle)) errs.push(required(child(sp, 'volumeHandle')));
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
  if (isObj(s.hostPath) && rp === 'Recycle' && str(s.hostPath.path).replace(/\/+$/, '') === '') {
    errs.push(forbidden(child(path, 'persistentVolumeReclaimPolicy'), "may not be 'recycle' for a hostPath mount of '/'"));
  }
  const scn = str(s.storageClassName);
  if (scn) errs.push(...validateStorageClassName(scn, child(path, 'storageClassName')));
  if (s.volumeMode !== undefined && s.volumeMode !== null && !VOLUME_MODES.includes(s.volumeMode)) {
    errs.push(notSupported(child(path, 'volumeMode'), s.volumeMode, VOLUME_MODES));
  }
  return errs;
}

export function validatePersistentVolume(pv: any): Errs {
  return [...validateObjectMeta(pv?.metadata, false, nameIsDNSSubdomain), ...validatePVSpec(pv?.spec, 'spec')];
}

export function validatePersistentVolumeUpdate(pv: any, old: any): Errs {
  const errs = validatePersistentVolume(pv);
  const src = (s: any) => Object.fromEntries(PV_SOURCES.filter((k) => s?.[k] !== undefined).map((k) => [k, s[k]]));
  if (!semanticEqual(src(pv?.spec), src(old?.spec))) {
    errs.push(forbidden('spec.persistentvolumesource', 'spec.persistentvolumesource is immutable after creation'));
  }
  if (!semanticEqual(pv?.spec?.volumeMode, old?.spec?.volumeMode)) errs.push(invalid('volumeMode', goAny(pv?.spec?.volumeMode), FIELD_IMMUTABLE));
  if (old?.spec?.nodeAffinity && !semanticEqual(pv?.spec?.nodeAffinity, old.spec.nodeAffinity)) {
    errs.push(invalid('nodeAffinity', goAny(pv?.spec?.nodeAffinity), FIELD_IMMUTABLE));
  }
  return errs;
}

export function validatePersistentVolumeClaim(pvc: any): Errs {
  return [...validateObjectMeta(pvc?.metadata, true, nameIsDNSSubdomain), ...validatePersistentVolumeClaimSpec(pvc?.spec, 'spec')];
}

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

export function validatePersistentVolumeClaimUpdate(pvc: any, old: any): Errs {
  const errs = validatePersistentVolumeClaim(pvc);
  const newSpec = structuredClone(obj(pvc?.spec));
  const oldSpec = structuredClone(obj(old?.spec));
  // the volume binder may fill in volumeName once
  if (!str(oldSpec.volumeName)) oldSpec.volumeName = newSpec.volumeName;
  // a default class may be set once on claims created without one
  const oldAnn = obj(old?.metadata?.annotations);
  if ((oldSpec.storageClassName === undefined || oldSpec.storageClassName === null) && !(BETA_CLASS_ANNOTATION in oldAnn)) {
    oldSpec.storageClassName = newSpec.storageClassName;
  }
  // bound claims may be resized; the size checks follow
  if (pvc?.status?.phase === 'Bound' && isObj(newSpec.resources?.requests)) {
    newSpec.resources.requests.storage = old?.spec?.resources?.requests?.storage;
  }
  // volumeAttributesClassName changes are allowed as well
  delete newSpec.volumeAttributesClassName;
  delete oldSpec.volumeAttributesClassName;
  if (!semanticEqual(newSpec, oldSpec)) {
    errs.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
  }
  const newSize = parseQuantity(pvc?.spec?.resources?.requests?.storage);
  const oldSize = parseQuantity(old?.spec?.resources?.requests?.storage);
  if (newSize && oldSize && compareQuantities(newSize, oldSize) < 0) {
    errs.push(forbidden('spec.resources.requests.storage', 'field can not be less than previous value'));
  }
  return errs;
}
