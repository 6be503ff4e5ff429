// PersistentVolumes and PersistentVolumeClaims.
//
// Quantities are printed as stored: the apiserver keeps them in canonical
// form, which is what upstream's Quantity.String() prints.

import { AGE, NAME, ageOf, col, nameOf, str, type Printer } from './common.ts';

const BETA_CLASS_ANNOTATION = 'volume.beta.kubernetes.io/storage-class';

/** RWO,ROX,RWX,RWOP in that fixed order, duplicates dropped. */
function accessModes(modes: unknown): string {
  const set = new Set(Array.isArray(modes) ? modes : []);
  const out: string[] = [];
  if (set.has('ReadWriteOnce')) out.push('RWO');
  if (set.has('ReadOnlyMany')) out.push('ROX');
  if (set.has('ReadWriteMany')) out.push('RWX');
  if (set.has('ReadWriteOncePod')) out.push('RWOP');
  return out.join(',');
}

/** The beta annotation still wins over spec.storageClassName, as upstream. */
function storageClass(obj: any): string {
  const ann = obj?.metadata?.annotations ?? {};
  if (Object.prototype.hasOwnProperty.call(ann, BETA_CLASS_ANNOTATION)) return str(ann[BETA_CLASS_ANNOTATION]);
  return str(obj?.spec?.storageClassName);
}

const quantity = (q: unknown): string => str(q) || '0';
const volumeMode = (obj: any): string => (typeof obj?.spec?.volumeMode === 'string' ? obj.spec.volumeMode : '<unset>');
const attributesClass = (obj: any): string =>
  (typeof obj?.spec?.volumeAttributesClassName === 'string' ? obj.spec.volumeAttributesClassName : '<unset>');

export const persistentVolumePrinter: Printer = {
  columns: [
    NAME,
    col('Capacity', 'string', 'Storage size of the volume.'),
    col('Access Modes', 'string', 'Ways the volume can be mounted.'),
    col('Reclaim Policy', 'string', 'What happens to the volume once released.'),
    col('Status', 'string', 'Lifecycle phase of the volume.'),
    col('Claim', 'string', 'Claim bound to the volume, as namespace/name.'),
    col('StorageClass', 'string', 'Storage class of the volume.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the volume.'),
    col('Reason', 'string', 'Why the volume is in its phase, if known.'),
    AGE,
    col('VolumeMode', 'string', 'Filesystem or Block.', { priority: 1 }),
  ],
  row(pv, now) {
    const ref = pv?.spec?.claimRef;
    const claim = ref ? `${str(ref.namespace)}/${str(ref.name)}` : '';
    const phase = pv?.metadata?.deletionTimestamp ? 'Terminating' : str(pv?.status?.phase);
    return [nameOf(pv), quantity(pv?.spec?.capacity?.storage), accessModes(pv?.spec?.accessModes),
      str(pv?.spec?.persistentVolumeReclaimPolicy), phase, claim, storageClass(pv), attributesClass(pv),
      str(pv?.status?.reason), ageOf(pv, now), volumeMode(pv)];
  },
};

export const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME,
    col('Status', 'string', 'Lifecycle phase of the claim.'),
    col('Volume', 'string', 'Volume bound to the claim.'),
    col('Capacity', 'string', 'Storage size of the bound volume.'),
    col('Access Modes', 'string', 'Ways the bound volume can be mounted.'),
    col('StorageClass', 'string', 'Storage class of the claim.'),
    col('VolumeAttributesClass', 'string', 'Volume attributes class of the claim.'),
    AGE,
    col('VolumeMode', 'string', 'Filesystem or Block.', { priority: 1 }),
  ],
  row(pvc, now) {
    const volume = str(pvc?.spec?.volumeName);
    const phase = pvc?.metadata?.deletionTimestamp ? 'Terminating' : str(pvc?.status?.phase);
    // Capacity and modes describe the bound volume, so they stay blank until bound.
    const capacity = volume ? quantity(pvc?.status?.capacity?.storage) : '';
    const modes = volume ? accessModes(pvc?.status?.accessModes) : '';
    return [nameOf(pvc), phase, volume, capacity, modes, storageClass(pvc), attributesClass(pvc), ageOf(pvc, now), volumeMode(pvc)];
  },
};
