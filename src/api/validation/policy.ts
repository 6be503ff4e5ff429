// PodDisruptionBudgets, PriorityClasses and Leases.

import { type Errs, invalid, forbidden, notSupported, nonNegative, obj, str, goAny, FIELD_IMMUTABLE, semanticEqual } from './field.ts';
import { nameIsDNSSubdomain } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateLabelSelector } from './selector.ts';
import { validatePositiveIntOrPercent, isNotMoreThan100Percent } from './workloads.ts';
import { validatePreemptionPolicy } from './pod.ts';

export function validatePodDisruptionBudget(pdb: any): Errs {
  const spec = obj(pdb?.spec);
  const errs: Errs = [];
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.minAvailable) && set(spec.maxUnavailable)) errs.push(invalid('spec', goAny(spec), 'minAvailable and maxUnavailable cannot be both set'));
  for (const f of ['minAvailable', 'maxUnavailable']) {
    if (!set(spec[f])) continue;
    errs.push(...validatePositiveIntOrPercent(spec[f], `spec.${f}`));
    errs.push(...isNotMoreThan100Percent(spec[f], `spec.${f}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const uhp = spec.unhealthyPodEvictionPolicy;
  if (set(uhp) && uhp !== 'IfHealthyBudget' && uhp !== 'AlwaysAllow') {
    errs.push(notSupported('spec.unhealthyPodEvictionPolicy', uhp, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export const HIGHEST_USER_PRIORITY = 1000000000;
const SYSTEM_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

export function validatePriorityClass(pc: any): Errs {
  const errs = validateObjectMeta(pc?.metadata, false, nameIsDNSSubdomain);
  const name = str(pc?.metadata?.name);
  const value = typeof pc?.value === 'number' ? pc.value : 0;
  if (name.startsWith('system-')) {
    let why: string | undefined;
    if (!(name in SYSTEM_CLASSES)) why = `${name} is not a known system priority class`;
    else if (SYSTEM_CLASSES[name] !== value) why = `value of ${name} PriorityClass must be ${SYSTEM_CLASSES[name]}`;
    else if (pc?.globalDefault === true) why = `globalDefault of ${name} PriorityClass must be false`;
    if (why) errs.push(forbidden('metadata.name', `priority class names with 'system-' prefix are reserved for system use only. error: ${why}`));
  } else if (value > HIGHEST_USER_PRIORITY) {
    errs.push(forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`));
  }
  if (pc?.preemptionPolicy !== undefined && pc?.preemptionPolicy !== null) errs.push(...validatePreemptionPolicy(pc.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

export function validatePriorityClassUpdate(pc: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(pc?.metadata, old?.metadata);
  if ((pc?.value ?? 0) !== (old?.value ?? 0)) errs.push(forbidden('value', 'may not be changed in an update.'));
  if (!semanticEqual(pc?.preemptionPolicy, old?.preemptionPolicy)) errs.push(invalid('preemptionPolicy', goAny(pc?.preemptionPolicy), FIELD_IMMUTABLE));
  return errs;
}

function validateLeaseSpec(spec: Record<string, any>): Errs {
  const errs: Errs = [];
  const d = spec.leaseDurationSeconds;
  if (typeof d === 'number' && d <= 0) errs.push(invalid('spec.leaseDurationSeconds', d, 'must be greater than 0'));
  const t = spec.leaseTransitions;
  if (typeof t === 'number' && t < 0) errs.push(...nonNegative(t, 'spec.leaseTransitions'));
  return errs;
}

export function validateLease(l: any): Errs {
  return [...validateObjectMeta(l?.metadata, true, nameIsDNSSubdomain), ...validateLeaseSpec(obj(l?.spec))];
}

export function validateLeaseUpdate(l: any, old: any): Errs {
  return [...validateObjectMetaUpdate(l?.metadata, old?.metadata), ...validateLeaseSpec(obj(l?.spec))];
}
