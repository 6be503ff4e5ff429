// ObjectMeta: the rules every object shares (name, namespace, labels,
// annotations, finalizers, owner references) and what may not change on update.

import {
  type Errs, child, invalid, required, forbidden, tooLong, nonNegative, goAny, goStringSlice,
  FIELD_IMMUTABLE, isObj, arr, str, semanticEqual,
} from './field.ts';
import { type NameFn, dns1123LabelErrors, qualifiedNameErrors, nameIsPathSegment } from './names.ts';
import { validateLabels } from './selector.ts';

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;
const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

export function validateAnnotations(ann: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!isObj(ann)) return errs;
  let size = 0;
  for (const [k, v] of Object.entries(ann)) {
    // annotation keys are qualified names in which case does not matter
    for (const m of qualifiedNameErrors(k.toLowerCase())) errs.push(invalid(path, k, m));
    size += Buffer.byteLength(k) + Buffer.byteLength(typeof v === 'string' ? v : String(v));
  }
  if (size > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(path, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateFinalizers(finalizers: unknown, path: string): Errs {
  const errs: Errs = [];
  const list = arr(finalizers).map(String);
  for (const f of list) for (const m of qualifiedNameErrors(f)) errs.push(invalid(path, f, m));
  if (list.includes('orphan') && list.includes('foregroundDeletion')) {
    errs.push(invalid(path, goStringSlice(list), 'finalizer orphan and foregroundDeletion cannot be both set'));
  }
  return errs;
}

/** Core kinds also insist that unqualified finalizers are the standard ones. */
export function validateKubeFinalizerName(name: string, path: string): Errs {
  if (!name.includes('/') && !STANDARD_FINALIZERS.has(name)) {
    return [invalid(path, name, 'name is neither a standard finalizer name nor is it fully qualified')];
  }
  return [];
}

function validateOwnerReferences(refs: unknown, path: string): Errs {
  const errs: Errs = [];
  let firstController = '';
  for (const ref of arr(refs)) {
    const apiVersion = str(ref?.apiVersion);
    const kind = str(ref?.kind);
    const version = apiVersion.includes('/') ? apiVersion.slice(apiVersion.indexOf('/') + 1) : apiVersion;
    if (!version) errs.push(invalid(child(path, 'apiVersion'), apiVersion, 'version must not be empty'));
    if (!kind) errs.push(invalid(child(path, 'kind'), kind, 'kind must not be empty'));
    if (!str(ref?.name)) errs.push(invalid(child(path, 'name'), str(ref?.name), 'name must not be empty'));
    if (!str(ref?.uid)) errs.push(invalid(child(path, 'uid'), str(ref?.uid), 'uid must not be empty'));
    if (apiVersion === 'v1' && kind === 'Event') {
      errs.push(invalid(path, goAny(ref), '/v1, Kind=Event is disallowed from being an owner'));
    }
    if (ref?.controller === true) {
      const cur = `${kind}/${str(ref?.name)}`;
      if (firstController) {
        errs.push(invalid(path, goAny(refs),
          `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${cur}`));
      } else {
        firstController = cur;
      }
    }
  }
  return errs;
}

/**
 * Upstream's ValidateObjectMeta (apimachinery part). Expects name generation to
 * have happened already; `nameFn` is the kind's name rule.
 */
export function validateGenericObjectMeta(meta: unknown, requiresNamespace: boolean, nameFn: NameFn, path = 'metadata'): Errs {
  const m = isObj(meta) ? meta : {};
  const errs: Errs = [];
  const name = str(m.name);
  const generateName = str(m.generateName);
  const namespace = str(m.namespace);
  if (generateName) for (const msg of nameFn(generateName, true)) errs.push(invalid(child(path, 'generateName'), generateName, msg));
  if (!name) errs.push(required(child(path, 'name'), 'name or generateName is required'));
  else for (const msg of nameFn(name, false)) errs.push(invalid(child(path, 'name'), name, msg));
  if (requiresNamespace) {
    if (!namespace) errs.push(required(child(path, 'namespace')));
    else for (const msg of dns1123LabelErrors(namespace)) errs.push(invalid(child(path, 'namespace'), namespace, msg));
  } else if (namespace) {
    errs.push(forbidden(child(path, 'namespace'), 'not allowed on this type'));
  }
  errs.push(...nonNegative(m.generation, child(path, 'generation')));
  errs.push(...validateLabels(m.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(m.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(m.ownerReferences, child(path, 'ownerReferences')));
  errs.push(...validateFinalizers(m.finalizers, child(path, 'finalizers')));
  return errs;
}

/** Core kinds' ValidateObjectMeta: the generic rules plus kube finalizer names. */
export function validateObjectMeta(meta: unknown, requiresNamespace: boolean, nameFn: NameFn, path = 'metadata'): Errs {
  const errs = validateGenericObjectMeta(meta, requiresNamespace, nameFn, path);
  for (const f of arr(isObj(meta) ? meta.finalizers : undefined)) errs.push(...validateKubeFinalizerName(String(f), child(path, 'finalizers')));
  return errs;
}

/** The check the apiserver runs on every object after the kind's own validation. */
export function validateCommonMeta(meta: unknown, namespaced: boolean): Errs {
  return validateGenericObjectMeta(meta, namespaced, nameIsPathSegment);
}

function immutable(newV: unknown, oldV: unknown, path: string): Errs {
  return semanticEqual(newV, oldV) ? [] : [invalid(path, goAny(newV ?? null), FIELD_IMMUTABLE)];
}

export function validateObjectMetaUpdate(newMeta: unknown, oldMeta: unknown, path = 'metadata'): Errs {
  const n = isObj(newMeta) ? newMeta : {};
  const o = isObj(oldMeta) ? oldMeta : {};
  const errs: Errs = [];
  if (o.deletionTimestamp) {
    const oldF = new Set(arr(o.finalizers).map(String));
    const extra = [...new Set(arr(n.finalizers).map(String))].filter((f) => !oldF.has(f)).sort();
    if (extra.length) {
      errs.push(forbidden(child(path, 'finalizers'),
        `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice(extra).text}`));
    }
  }
  if (typeof n.generation === 'number' && typeof o.generation === 'number' && n.generation < o.generation) {
    errs.push(invalid(child(path, 'generation'), n.generation, 'must not be decremented'));
  }
  errs.push(...immutable(str(n.name), str(o.name), child(path, 'name')));
  errs.push(...immutable(str(n.namespace), str(o.namespace), child(path, 'namespace')));
  // The apiserver copies uid, creationTimestamp and deletionGracePeriodSeconds
  // from the stored object when a request leaves them out; only a different
  // value is a change.
  if (str(n.uid)) errs.push(...immutable(str(n.uid), str(o.uid), child(path, 'uid')));
  if (n.creationTimestamp) errs.push(...immutable(n.creationTimestamp, o.creationTimestamp, child(path, 'creationTimestamp')));
  errs.push(...immutable(n.deletionTimestamp, o.deletionTimestamp, child(path, 'deletionTimestamp')));
  if (n.deletionGracePeriodSeconds !== undefined && n.deletionGracePeriodSeconds !== null) {
    errs.push(...immutable(n.deletionGracePeriodSeconds, o.deletionGracePeriodSeconds, child(path, 'deletionGracePeriodSeconds')));
  }
  errs.push(...validateLabels(n.labels, child(path, 'labels')));
  errs.push(...validateAnnotations(n.annotations, child(path, 'annotations')));
  errs.push(...validateOwnerReferences(n.ownerReferences, child(path, 'ownerReferences')));
  for (const f of arr(n.finalizers)) errs.push(...validateKubeFinalizerName(String(f), child(path, 'finalizers')));
  return errs;
}
