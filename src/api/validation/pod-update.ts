// Pod updates: which fields of a running pod may change.

import {
  type Errs, child, index, invalid, required, forbidden, isObj, arr, str, obj, semanticEqual, deepEqual,
} from './field.ts';
import { inclusiveRangeError } from './names.ts';
import { validateObjectMetaUpdate } from './meta.ts';
import { validateTolerations } from './affinity.ts';
import { validatePodMetadataAndSpec } from './pod.ts';

const MAX_INT32 = 2147483647;

export const POD_UPDATE_FORBIDDEN = 'pod updates may not change fields other than `spec.containers[*].image`,'
  + '`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),'
  + '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

function containerUpdates(n: unknown, o: unknown, path: string): { errs: Errs; stop: boolean } {
  const nl = arr(n);
  if (nl.length !== arr(o).length) return { errs: [forbidden(path, 'pod updates may not add or remove containers')], stop: true };
  const errs: Errs = [];
  nl.forEach((c, i) => {
    const img = str(c?.image);
    if (!img) errs.push(required(child(index(path, i), 'image')));
    if (img.trim() !== img) errs.push(invalid(child(index(path, i), 'image'), img, 'must not have leading or trailing whitespace'));
  });
  return { errs, stop: false };
}

function onlyAddedTolerations(n: unknown, o: unknown, path: string): Errs {
  const newT = arr(n);
  for (const old of arr(o)) {
    const found = newT.some((t) => deepEqual({ ...old, tolerationSeconds: t?.tolerationSeconds }, { ...t, tolerationSeconds: t?.tolerationSeconds }));
    if (!found) return [forbidden(path, 'existing toleration can not be modified except its tolerationSeconds')];
  }
  return validateTolerations(n, path);
}

/** A short diff of the differing top-level spec fields, in the spirit of upstream's cmp.Diff. */
function specDiff(oldSpec: Record<string, any>, newSpec: Record<string, any>): string {
  const keys = [...new Set([...Object.keys(oldSpec), ...Object.keys(newSpec)])].sort();
  const lines = ['  core.PodSpec{'];
  let same = 0;
  for (const k of keys) {
    if (semanticEqual(oldSpec[k], newSpec[k])) { same++; continue; }
    const field = k.charAt(0).toUpperCase() + k.slice(1);
    if (oldSpec[k] !== undefined) lines.push(`- \t${field}: ${JSON.stringify(oldSpec[k])},`);
    if (newSpec[k] !== undefined) lines.push(`+ \t${field}: ${JSON.stringify(newSpec[k])},`);
  }
  if (same) lines.push(`  \t... // ${same} identical fields`);
  lines.push('  }');
  return lines.join('\n');
}

export function validatePodUpdate(pod: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(pod?.metadata, old?.metadata);
  errs.push(...validatePodMetadataAndSpec(pod));
  const ns = obj(pod?.spec);
  const os = obj(old?.spec);
  for (const [f, p] of [['containers', 'spec.containers'], ['initContainers', 'spec.initContainers']] as const) {
    const r = containerUpdates(ns[f], os[f], p);
    errs.push(...r.errs);
    if (r.stop) return errs;
  }
  const nads = ns.activeDeadlineSeconds;
  const oads = os.activeDeadlineSeconds;
  if (nads !== undefined && nads !== null) {
    if (typeof nads !== 'number' || nads < 0 || nads > MAX_INT32) {
      errs.push(invalid('spec.activeDeadlineSeconds', nads, inclusiveRangeError(0, MAX_INT32)));
      return errs;
    }
    if (typeof oads === 'number' && oads < nads) {
      errs.push(invalid('spec.activeDeadlineSeconds', nads, 'must be less than or equal to previous value'));
      return errs;
    }
  } else if (oads !== undefined && oads !== null) {
    errs.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  errs.push(...onlyAddedTolerations(ns.tolerations, os.tolerations, 'spec.tolerations'));
  const oldGates = new Set(arr(os.schedulingGates).map((g) => str(g?.name)));
  arr(ns.schedulingGates).forEach((g, i) => {
    if (!oldGates.has(str(g?.name))) {
      errs.push(forbidden(index('spec.schedulingGates', i), `only deletion is allowed, but found new scheduling gate '${str(g?.name)}'`));
    }
  });
  if (semanticEqual(ns, os)) return errs;
  // Munge the fields that may change, then anything still different is forbidden.
  const munged: Record<string, any> = structuredClone(ns);
  for (const f of ['containers', 'initContainers']) {
    if (Array.isArray(munged[f])) munged[f] = munged[f].map((c: any, i: number) => ({ ...c, image: os[f]?.[i]?.image }));
  }
  munged.activeDeadlineSeconds = os.activeDeadlineSeconds;
  // Ephemeral containers change through their own subresource, whose rules
  // are checked here: the others may be added, never removed or changed.
  munged.ephemeralContainers = os.ephemeralContainers;
  const byName = new Map(arr(ns.ephemeralContainers).map((c) => [str(c?.name), c]));
  for (const oc of arr(os.ephemeralContainers)) {
    const nc = byName.get(str(oc?.name));
    if (!nc) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${str(oc?.name)}" may not be removed\n`));
    else if (!semanticEqual(oc, nc)) errs.push(forbidden('spec.ephemeralContainers', `existing ephemeral containers "${str(oc?.name)}" may not be changed`));
  }
  munged.schedulingGates = os.schedulingGates;
  munged.tolerations = os.tolerations;
  if (typeof os.terminationGracePeriodSeconds === 'number' && os.terminationGracePeriodSeconds < 0 && munged.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = os.terminationGracePeriodSeconds;
  }
  if (arr(os.schedulingGates).length) {
    // gated pods may gain node selector entries and node affinity
    munged.nodeSelector = os.nodeSelector;
    if (isObj(munged.affinity) && isObj(os.affinity)) munged.affinity = { ...munged.affinity, nodeAffinity: os.affinity.nodeAffinity };
  }
  if (!semanticEqual(munged, os)) errs.push(forbidden('spec', `${POD_UPDATE_FORBIDDEN}\n${specDiff(os, munged)}`));
  return errs;
}
