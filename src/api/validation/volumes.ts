// Pod volumes: unique DNS-label names and exactly one source each, with the
// common sources checked in detail.

import { type Errs, child, index, invalid, required, forbidden, duplicate, notSupported, isObj, arr, str } from './field.ts';
import { dns1123SubdomainErrors } from './names.ts';
import { validateDNS1123Label, validateObjectFieldSelector, validateResourceFieldSelector } from './container.ts';
import { quantityAt } from './resources.ts';
import { quantitySign } from './quantity.ts';
import { validatePersistentVolumeClaimSpec } from './claimspec.ts';

/** Source fields in the order upstream checks them. */
export const VOLUME_SOURCES = ['hostPath', 'emptyDir', 'gitRepo', 'gcePersistentDisk', 'awsElasticBlockStore', 'secret', 'nfs',
  'iscsi', 'glusterfs', 'flocker', 'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'downwardAPI', 'fc',
  'azureFile', 'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'portworxVolume', 'scaleIO', 'configMap',
  'storageos', 'projected', 'csi', 'ephemeral', 'image'];

const FILE_MODE_ERROR = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];

function modeErrors(mode: unknown, path: string): Errs {
  return typeof mode === 'number' && (mode < 0 || mode > 0o777) ? [invalid(path, mode, FILE_MODE_ERROR)] : [];
}

function noBacksteps(p: string, path: string): Errs {
  return p.split('/').includes('..') ? [invalid(path, p, "must not contain '..'")] : [];
}

export function validateLocalNonReservedPath(p: string, path: string): Errs {
  const errs: Errs = [];
  if (p.startsWith('/')) errs.push(invalid(path, p, 'must be a relative path'));
  errs.push(...noBacksteps(p, path));
  if (p.startsWith('..') && !p.startsWith('../')) errs.push(invalid(path, p, "must not start with '..'"));
  return errs;
}

function validateKeyToPaths(items: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(items).forEach((kp, i) => {
    const ip = index(path, i);
    if (!str(kp?.key)) errs.push(required(child(ip, 'key')));
    const p = str(kp?.path);
    if (!p) errs.push(required(child(ip, 'path')));
    errs.push(...validateLocalNonReservedPath(p, child(ip, 'path')));
    errs.push(...modeErrors(kp?.mode, child(ip, 'mode')));
  });
  return errs;
}

export function validateHostPath(hp: any, path: string): Errs {
  const p = str(hp?.path);
  if (!p) return [required(child(path, 'path'))];
  const errs = noBacksteps(p, child(path, 'path'));
  const t = hp?.type;
  if (t !== undefined && t !== null && !HOST_PATH_TYPES.includes(t)) errs.push(notSupported(child(path, 'type'), t, HOST_PATH_TYPES));
  return errs;
}

function validateDownwardAPIFiles(items: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(items).forEach((f, i) => {
    const ip = index(path, i);
    const p = str(f?.path);
    if (!p) errs.push(required(child(ip, 'path')));
    errs.push(...validateLocalNonReservedPath(p, child(ip, 'path')));
    if (f?.fieldRef) {
      errs.push(...validateObjectFieldSelector(f.fieldRef, VOLUME_FIELD_PATHS, child(ip, 'fieldRef')));
      if (f.resourceFieldRef) errs.push(invalid(ip, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
    } else if (f?.resourceFieldRef) {
      errs.push(...validateResourceFieldSelector(f.resourceFieldRef, child(ip, 'resourceFieldRef'), true));
    } else {
      errs.push(required(ip, 'one of fieldRef and resourceFieldRef is required'));
    }
    errs.push(...modeErrors(f?.mode, child(ip, 'mode')));
  });
  return errs;
}

function validateProjected(pj: any, path: string): Errs {
  const errs: Errs = [];
  arr(pj?.sources).forEach((src, i) => {
    const sp = index(child(path, 'sources'), i);
    let n = 0;
    if (src?.secret) {
      n++;
      if (!str(src.secret.name)) errs.push(required(child(sp, 'secret', 'name')));
      errs.push(...validateKeyToPaths(src.secret.items, child(sp, 'secret', 'items')));
    }
    if (src?.configMap) {
      n++;
      if (!str(src.configMap.name)) errs.push(required(child(sp, 'configMap', 'name')));
      errs.push(...validateKeyToPaths(src.configMap.items, child(sp, 'configMap', 'items')));
    }
    if (src?.downwardAPI) {
      n++;
      errs.push(...validateDownwardAPIFiles(src.downwardAPI.items, child(sp, 'downwardAPI', 'items')));
    }
    if (src?.serviceAccountToken) {
      n++;
      const tp = child(sp, 'serviceAccountToken');
      const exp = src.serviceAccountToken.expirationSeconds;
      if (typeof exp === 'number' && exp < 600) errs.push(invalid(child(tp, 'expirationSeconds'), exp, 'may not specify a duration less than 10 minutes'));
      if (typeof exp === 'number' && exp > 2 ** 32) errs.push(invalid(child(tp, 'expirationSeconds'), exp, 'may not specify a duration larger than 2^32 seconds'));
      if (!str(src.serviceAccountToken.path)) errs.push(required(child(path, 'path')));
    }
    if (src?.clusterTrustBundle) n++;
    if (n > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  errs.push(...modeErrors(pj?.defaultMode, child(path, 'defaultMode')));
  return errs;
}

function validateSource(v: any, path: string): Errs {
  const errs: Errs = [];
  let n = 0;
  for (const s of VOLUME_SOURCES) {
    const src = v?.[s];
    if (src === undefined || src === null) continue;
    const sp = child(path, s);
    if (n > 0) { errs.push(forbidden(sp, 'may not specify more than 1 volume type')); continue; }
    n++;
    switch (s) {
      case 'hostPath': errs.push(...validateHostPath(src, sp)); break;
      case 'emptyDir':
        if (src.sizeLimit !== undefined && src.sizeLimit !== null) {
          const q = quantityAt(src.sizeLimit, child(sp, 'sizeLimit'), errs);
          if (q && quantitySign(q) < 0) errs.push(forbidden(child(sp, 'sizeLimit'), 'SizeLimit field must be a valid resource quantity'));
        }
        break;
      case 'secret':
        if (!str(src.secretName)) errs.push(required(child(sp, 'secretName')));
        errs.push(...modeErrors(src.defaultMode, child(sp, 'defaultMode')));
        errs.push(...validateKeyToPaths(src.items, child(sp, 'items')));
        break;
      case 'configMap': {
        const name = str(src.name);
        if (!name) errs.push(required(child(sp, 'name')));
        else for (const m of dns1123SubdomainErrors(name)) errs.push(invalid(child(sp, 'name'), name, m));
        errs.push(...modeErrors(src.defaultMode, child(sp, 'defaultMode')));
        errs.push(...validateKeyToPaths(src.items, child(sp, 'items')));
        break;
      }
      case 'persistentVolumeClaim':
        if (!str(src.claimName)) errs.push(required(child(sp, 'claimName')));
        break;
      case 'downwardAPI':
        errs.push(...modeErrors(src.defaultMode, child(sp, 'defaultMode')));
        errs.push(...validateDownwardAPIFiles(src.items, child(sp, 'items')));
        break;
      case 'projected': errs.push(...validateProjected(src, sp)); break;
      case 'nfs':
        if (!str(src.server)) errs.push(required(child(sp, 'server')));
        if (!str(src.path)) errs.push(required(child(sp, 'path')));
        if (!str(src.path).startsWith('/')) errs.push(invalid(child(sp, 'path'), str(src.path), 'must be an absolute path'));
        break;
      case 'csi':
        if (!str(src.driver)) errs.push(required(child(sp, 'driver')));
        break;
      case 'ephemeral':
        if (!isObj(src.volumeClaimTemplate)) errs.push(required(child(sp, 'volumeClaimTemplate')));
        else errs.push(...validatePersistentVolumeClaimSpec(src.volumeClaimTemplate.spec, child(sp, 'volumeClaimTemplate', 'spec')));
        break;
      case 'image':
        if (!str(src.reference)) errs.push(required(child(sp, 'reference')));
        break;
    }
  }
  if (n === 0) errs.push(required(path, 'must specify a volume type'));
  return errs;
}

/** Returns the names of the valid volumes (for volumeMounts) and the problems found. */
export function validateVolumes(volumes: unknown, path: string): { names: Set<string>; errs: Errs } {
  const names = new Set<string>();
  const errs: Errs = [];
  arr(volumes).forEach((v, i) => {
    const ip = index(path, i);
    const np = child(ip, 'name');
    const name = str(v?.name);
    const el = validateSource(v, ip);
    if (!name) el.push(required(np));
    else el.push(...validateDNS1123Label(name, np));
    if (names.has(name)) el.push(duplicate(np, name));
    if (el.length === 0) names.add(name);
    else errs.push(...el);
  });
  return { names, errs };
}
