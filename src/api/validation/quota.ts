// ResourceQuotas and LimitRanges.

import { type Errs, child, index, key, invalid, required, forbidden, duplicate, arr, obj, str, raw, goStringSlice, FIELD_IMMUTABLE, semanticEqual } from './field.ts';
import { nameIsDNSSubdomain, qualifiedNameErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import {
  validateResourceName, validateContainerResourceName, validateResourceQuantityValue, quantityAt, isStandardQuotaResourceName,
  isOvercommitAllowed,
} from './resources.ts';
import { type Quantity, compareQuantities, formatQuantity, parseQuantity } from './quantity.ts';

const SCOPES = ['Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity'];

function validateQuotaSpec(spec: Record<string, any>): Errs {
  const errs: Errs = [];
  for (const [r, v] of Object.entries(obj(spec.hard))) {
    const p = key('spec.hard', r);
    const nameErrs = validateResourceName(r, p);
    errs.push(...nameErrs);
    if (!nameErrs.length && !r.includes('/') && !isStandardQuotaResourceName(r)) errs.push(invalid(p, r, 'must be a standard resource for quota'));
    const q = quantityAt(v, p, errs);
    if (q) errs.push(...validateResourceQuantityValue(r, q, p));
  }
  const scopes = arr(spec.scopes).map(String);
  for (const s of scopes) {
    if (!SCOPES.includes(s)) errs.push(invalid('spec.scopes', goStringSlice(scopes), 'unsupported scope'));
  }
  for (const pair of [['BestEffort', 'NotBestEffort'], ['Terminating', 'NotTerminating']]) {
    if (pair.every((p) => scopes.includes(p))) errs.push(invalid('spec.scopes', goStringSlice(scopes), 'conflicting scopes'));
  }
  return errs;
}

function validateQuotaStatus(status: Record<string, any>): Errs {
  const errs: Errs = [];
  for (const f of ['hard', 'used']) {
    for (const [r, v] of Object.entries(obj(status[f]))) {
      const p = key(child('status', f), r);
      errs.push(...validateResourceName(r, p));
      const q = quantityAt(v, p, errs);
      if (q) errs.push(...validateResourceQuantityValue(r, q, p));
    }
  }
  return errs;
}

export function validateResourceQuota(rq: any): Errs {
  return [
    ...validateObjectMeta(rq?.metadata, true, nameIsDNSSubdomain),
    ...validateQuotaSpec(obj(rq?.spec)),
    ...validateQuotaStatus(obj(rq?.status)),
  ];
}

export function validateResourceQuotaUpdate(rq: any, old: any): Errs {
  const errs = [...validateObjectMetaUpdate(rq?.metadata, old?.metadata), ...validateQuotaSpec(obj(rq?.spec))];
  const n = arr(rq?.spec?.scopes).map(String);
  const o = arr(old?.spec?.scopes).map(String);
  if (!semanticEqual([...n].sort(), [...o].sort())) errs.push(invalid('spec.scopes', goStringSlice(n), FIELD_IMMUTABLE));
  return errs;
}

const LIMIT_TYPES = ['Pod', 'Container', 'PersistentVolumeClaim'];

function validateLimitTypeName(t: string, path: string): Errs {
  const errs = qualifiedNameErrors(t).map((m) => invalid(path, t, m));
  if (errs.length) return errs;
  if (!t.includes('/') && !LIMIT_TYPES.includes(t)) return [invalid(path, t, 'must be a standard limit type or fully qualified')];
  return [];
}

export function validateLimitRange(lr: any): Errs {
  const errs = validateObjectMeta(lr?.metadata, true, nameIsDNSSubdomain);
  const types = new Set<string>();
  arr(lr?.spec?.limits).forEach((limit, i) => {
    const ip = index('spec.limits', i);
    const type = str(limit?.type);
    errs.push(...validateLimitTypeName(type, ip));
    if (types.has(type)) errs.push(duplicate(child(ip, 'type'), type));
    types.add(type);
    const nameCheck = (r: string, p: string) => (type === 'Pod' || type === 'Container' ? validateContainerResourceName(r, p) : validateResourceName(r, p));
    const maps: Record<string, Map<string, Quantity>> = {};
    const keys = new Set<string>();
    const collect = (f: string) => {
      const m = new Map<string, Quantity>();
      for (const [r, v] of Object.entries(obj(limit?.[f]))) {
        const p = key(child(ip, f), r);
        errs.push(...nameCheck(r, p));
        keys.add(r);
        const q = quantityAt(v, p, errs);
        if (q) m.set(r, q);
      }
      maps[f] = m;
    };
    collect('max');
    collect('min');
    if (type === 'Pod') {
      if (Object.keys(obj(limit?.default)).length) errs.push(forbidden(child(ip, 'default'), "may not be specified when `type` is 'Pod'"));
      if (Object.keys(obj(limit?.defaultRequest)).length) errs.push(forbidden(child(ip, 'defaultRequest'), "may not be specified when `type` is 'Pod'"));
      maps.default = new Map();
      maps.defaultRequest = new Map();
    } else {
      collect('default');
      collect('defaultRequest');
    }
    if (type === 'PersistentVolumeClaim' && !maps.min.has('storage') && !maps.max.has('storage')) {
      errs.push(required(child(ip, 'limits'), 'either minimum or maximum storage value is required, but neither was provided'));
    }
    collect('maxLimitRequestRatio');
    const s = (q: Quantity) => formatQuantity(q);
    for (const k of keys) {
      const min = maps.min.get(k);
      const max = maps.max.get(k);
      const def = maps.default.get(k);
      const defReq = maps.defaultRequest.get(k);
      const ratio = maps.maxLimitRequestRatio.get(k);
      if (min && max && compareQuantities(min, max) > 0) errs.push(invalid(key(child(ip, 'min'), k), raw(s(min)), `min value ${s(min)} is greater than max value ${s(max)}`));
      if (defReq && min && compareQuantities(min, defReq) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), raw(s(defReq)), `min value ${s(min)} is greater than default request value ${s(defReq)}`));
      if (defReq && max && compareQuantities(defReq, max) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), raw(s(defReq)), `default request value ${s(defReq)} is greater than max value ${s(max)}`));
      if (defReq && def && compareQuantities(defReq, def) > 0) errs.push(invalid(key(child(ip, 'defaultRequest'), k), raw(s(defReq)), `default request value ${s(defReq)} is greater than default limit value ${s(def)}`));
      if (def && min && compareQuantities(min, def) > 0) errs.push(invalid(key(child(ip, 'default'), k), raw(s(min)), `min value ${s(min)} is greater than default value ${s(def)}`));
      if (def && max && compareQuantities(def, max) > 0) errs.push(invalid(key(child(ip, 'default'), k), raw(s(max)), `default value ${s(def)} is greater than max value ${s(max)}`));
      if (ratio && compareQuantities(ratio, parseQuantity('1') as Quantity) < 0) {
        errs.push(invalid(key(child(ip, 'maxLimitRequestRatio'), k), raw(s(ratio)), `ratio ${s(ratio)} is less than 1`));
      }
      if (ratio && min && max && min.value > 0) {
        const limit = max.value / min.value;
        if (ratio.value > limit) {
          errs.push(invalid(key(child(ip, 'maxLimitRequestRatio'), k), raw(s(ratio)), `ratio ${s(ratio)} is greater than max/min = ${limit.toFixed(6)}`));
        }
      }
      if (!isOvercommitAllowed(k) && def && defReq && compareQuantities(def, defReq) !== 0) {
        errs.push(invalid(key(child(ip, 'defaultRequest'), k), raw(s(defReq)), `default value ${s(def)} must equal to defaultRequest value ${s(defReq)} in ${k}`));
      }
    }
  });
  return errs;
}

export function validateLimitRangeUpdate(lr: any, old: any): Errs {
  return [...validateObjectMetaUpdate(lr?.metadata, old?.metadata), ...validateLimitRange(lr)];
}
