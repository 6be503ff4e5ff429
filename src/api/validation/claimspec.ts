// PersistentVolumeClaim specs, shared by claims, StatefulSet claim templates
// and ephemeral volumes.

import { type Errs, child, key, invalid, required, forbidden, notSupported, arr, obj, str } from './field.ts';
import { dns1123SubdomainErrors } from './names.ts';
import { validateLabelSelector } from './selector.ts';
import { quantityAt, validatePositiveQuantity, validateResourceQuantityValue } from './resources.ts';

export const ACCESS_MODES = ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'];
export const VOLUME_MODES = ['Block', 'Filesystem'];

export function validateAccessModes(modes: unknown, path: string, detail: string): Errs {
  const errs: Errs = [];
  const list = arr(modes).map(String);
  if (!list.length) errs.push(required(path, detail));
  let rwop = false;
  let other = false;
  for (const m of list) {
    if (!ACCESS_MODES.includes(m)) errs.push(notSupported(path, m, ACCESS_MODES));
    if (m === 'ReadWriteOncePod') rwop = true;
    else if (ACCESS_MODES.includes(m)) other = true;
  }
  if (rwop && other) errs.push(forbidden(path, 'may not use ReadWriteOncePod with other access modes'));
  return errs;
}

export function validateStorageClassName(name: string, path: string): Errs {
  return dns1123SubdomainErrors(name).map((m) => invalid(path, name, m));
}

export function validatePersistentVolumeClaimSpec(spec: unknown, path: string): Errs {
  const s = obj(spec);
  const errs = validateAccessModes(s.accessModes, child(path, 'accessModes'), 'at least 1 access mode is required');
  if (s.selector) errs.push(...validateLabelSelector(s.selector, child(path, 'selector')));
  const storagePath = key(child(path, 'resources'), 'storage');
  const requests = obj(obj(s.resources).requests);
  if (requests.storage === undefined) {
    errs.push(required(storagePath));
  } else {
    const q = quantityAt(requests.storage, storagePath, errs);
    if (q) {
      const pos = validatePositiveQuantity(q, storagePath);
      errs.push(...(pos.length ? pos : validateResourceQuantityValue('storage', q, storagePath)));
    }
  }
  const scn = s.storageClassName;
  if (typeof scn === 'string' && scn) errs.push(...validateStorageClassName(scn, child(path, 'storageClassName')));
  const vm = s.volumeMode;
  if (vm !== undefined && vm !== null && !VOLUME_MODES.includes(vm)) errs.push(notSupported(child(path, 'volumeMode'), vm, VOLUME_MODES));
  for (const ds of ['dataSource', 'dataSourceRef']) {
    const d = s[ds];
    if (!d) continue;
    if (!str(d.name)) errs.push(required(child(path, ds, 'name')));
    if (!str(d.kind)) errs.push(required(child(path, ds, 'kind')));
  }
  return errs;
}
