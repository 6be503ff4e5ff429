// Scheduling constraints: node selectors, affinity, tolerations, taints and
// topology spread constraints.

import { type Errs, child, index, invalid, required, forbidden, duplicate, notSupported, isObj, arr, str, raw } from './field.ts';
import { labelValueErrors, dns1123LabelErrors } from './names.ts';
import { validateLabelName, validateLabelSelector } from './selector.ts';

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

function validateNodeSelectorRequirement(rq: any, path: string): Errs {
  const errs: Errs = [];
  const values = arr(rq?.values);
  const op = str(rq?.operator);
  switch (op) {
    case 'In': case 'NotIn':
      if (!values.length) errs.push(required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length) errs.push(forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    case 'Gt': case 'Lt':
      if (values.length !== 1) errs.push(required(child(path, 'values'), "must be specified single value when `operator` is 'Lt' or 'Gt'"));
      break;
    default:
      errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(rq?.key), child(path, 'key')));
  return errs;
}

function validateNodeFieldSelectorRequirement(rq: any, path: string): Errs {
  const errs: Errs = [];
  const op = str(rq?.operator);
  const values = arr(rq?.values);
  if (op === 'In' || op === 'NotIn') {
    if (values.length !== 1) errs.push(required(child(path, 'values'), "must be only one value when `operator` is 'In' or 'NotIn' for node field selector"));
  } else {
    errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  const k = str(rq?.key);
  if (k !== 'metadata.name') errs.push(invalid(child(path, 'key'), k, 'not a valid field selector key'));
  return errs;
}

export function validateNodeSelectorTerm(term: any, path: string): Errs {
  const errs: Errs = [];
  arr(term?.matchExpressions).forEach((e, i) => errs.push(...validateNodeSelectorRequirement(e, index(child(path, 'matchExpressions'), i))));
  arr(term?.matchFields).forEach((e, i) => errs.push(...validateNodeFieldSelectorRequirement(e, index(child(path, 'matchFields'), i))));
  return errs;
}

export function validateNodeSelector(ns: any, path: string): Errs {
  const terms = arr(ns?.nodeSelectorTerms);
  const tp = child(path, 'nodeSelectorTerms');
  if (!terms.length) return [required(tp, 'must have at least one node selector term')];
  return terms.flatMap((t, i) => validateNodeSelectorTerm(t, index(tp, i)));
}

function weightErr(w: unknown, path: string): Errs {
  return typeof w === 'number' && w >= 1 && w <= 100 ? [] : [invalid(path, w ?? 0, 'must be in the range 1-100')];
}

function validatePodAffinityTerm(t: any, path: string): Errs {
  const errs: Errs = [];
  errs.push(...validateLabelSelector(t?.labelSelector, child(path, 'labelSelector')));
  errs.push(...validateLabelSelector(t?.namespaceSelector, child(path, 'namespaceSelector')));
  for (const ns of arr(t?.namespaces)) {
    for (const m of dns1123LabelErrors(String(ns))) errs.push(invalid(child(path, 'namespace'), ns, m));
  }
  const tk = str(t?.topologyKey);
  if (!tk) errs.push(required(child(path, 'topologyKey'), 'can not be empty'));
  else errs.push(...validateLabelName(tk, child(path, 'topologyKey')));
  return errs;
}

function validatePodAffinity(pa: any, path: string): Errs {
  const errs: Errs = [];
  const rp = child(path, 'requiredDuringSchedulingIgnoredDuringExecution');
  arr(pa?.requiredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => errs.push(...validatePodAffinityTerm(t, index(rp, i))));
  const pp = child(path, 'preferredDuringSchedulingIgnoredDuringExecution');
  arr(pa?.preferredDuringSchedulingIgnoredDuringExecution).forEach((w, i) => {
    errs.push(...weightErr(w?.weight, child(index(pp, i), 'weight')));
    errs.push(...validatePodAffinityTerm(w?.podAffinityTerm, child(index(pp, i), 'podAffinityTerm')));
  });
  return errs;
}

export function validateAffinity(a: unknown, path: string): Errs {
  if (!isObj(a)) return [];
  const errs: Errs = [];
  if (isObj(a.nodeAffinity)) {
    const np = child(path, 'nodeAffinity');
    const req = a.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution;
    if (isObj(req)) errs.push(...validateNodeSelector(req, child(np, 'requiredDuringSchedulingIgnoredDuringExecution')));
    const pp = child(np, 'preferredDuringSchedulingIgnoredDuringExecution');
    arr(a.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution).forEach((t, i) => {
      errs.push(...weightErr(t?.weight, child(index(pp, i), 'weight')));
      errs.push(...validateNodeSelectorTerm(t?.preference, child(index(pp, i), 'preference')));
    });
  }
  if (isObj(a.podAffinity)) errs.push(...validatePodAffinity(a.podAffinity, child(path, 'podAffinity')));
  if (isObj(a.podAntiAffinity)) errs.push(...validatePodAffinity(a.podAntiAffinity, child(path, 'podAntiAffinity')));
  return errs;
}

export function validateTaintEffect(effect: unknown, allowEmpty: boolean, path: string): Errs {
  const e = str(effect);
  if (!e) return allowEmpty ? [] : [required(path)];
  return TAINT_EFFECTS.includes(e) ? [] : [notSupported(path, e, TAINT_EFFECTS)];
}

export function validateTolerations(tols: unknown, path: string): Errs {
  const errs: Errs = [];
  arr(tols).forEach((t, i) => {
    const ip = index(path, i);
    const k = str(t?.key);
    const op = str(t?.operator);
    if (k) errs.push(...validateLabelName(k, child(ip, 'key')));
    if (!k && op !== 'Exists') {
      errs.push(invalid(child(ip, 'operator'), op, 'operator must be Exists when `key` is empty, which means "match all values and all keys"'));
    }
    if (t?.tolerationSeconds !== undefined && t?.tolerationSeconds !== null && t?.effect !== 'NoExecute') {
      errs.push(invalid(child(ip, 'effect'), str(t?.effect), "effect must be 'NoExecute' when `tolerationSeconds` is set"));
    }
    switch (op) {
      case 'Equal': case '': {
        const msgs = labelValueErrors(str(t?.value));
        if (msgs.length) errs.push(invalid(child(ip, 'operator'), str(t?.value), msgs.join(';')));
        break;
      }
      case 'Exists':
        if (str(t?.value)) errs.push(invalid(child(ip, 'operator'), raw(JSON.stringify(t)), "value must be empty when `operator` is 'Exists'"));
        break;
      default:
        errs.push(notSupported(child(ip, 'operator'), op, ['Equal', 'Exists']));
    }
    if (str(t?.effect)) errs.push(...validateTaintEffect(t.effect, true, child(ip, 'effect')));
  });
  return errs;
}

/** Node taints; upstream reports them under metadata.taints (sic). */
export function validateNodeTaints(taints: unknown, path: string): Errs {
  const errs: Errs = [];
  const seen = new Map<string, Set<string>>();
  arr(taints).forEach((t, i) => {
    const ip = index(path, i);
    const k = str(t?.key);
    const v = str(t?.value);
    errs.push(...validateLabelName(k, child(ip, 'key')));
    const msgs = labelValueErrors(v);
    if (msgs.length) errs.push(invalid(child(ip, 'value'), v, msgs.join(';')));
    errs.push(...validateTaintEffect(t?.effect, false, child(ip, 'effect')));
    const effect = str(t?.effect);
    const keys = seen.get(effect) ?? new Set<string>();
    if (keys.has(k)) {
      const d = duplicate(ip, raw(JSON.stringify(t)));
      errs.push({ ...d, message: `${d.message}: taints must be unique by key and effect pair` });
      return;
    }
    keys.add(k);
    seen.set(effect, keys);
  });
  return errs;
}

export function validateTopologySpreadConstraints(tscs: unknown, path: string): Errs {
  const errs: Errs = [];
  const list = arr(tscs);
  list.forEach((c, i) => {
    const ip = index(path, i);
    if (!(typeof c?.maxSkew === 'number' && c.maxSkew > 0)) errs.push(invalid(child(ip, 'maxSkew'), c?.maxSkew ?? 0, 'must be greater than zero'));
    const tk = str(c?.topologyKey);
    if (!tk) errs.push(required(child(ip, 'topologyKey'), 'can not be empty'));
    else errs.push(...validateLabelName(tk, child(ip, 'topologyKey')));
    const wu = str(c?.whenUnsatisfiable);
    if (!['DoNotSchedule', 'ScheduleAnyway'].includes(wu)) errs.push(notSupported(child(ip, 'whenUnsatisfiable'), wu, ['DoNotSchedule', 'ScheduleAnyway']));
    if (list.slice(i + 1).some((o) => str(o?.topologyKey) === tk && str(o?.whenUnsatisfiable) === wu)) {
      errs.push(duplicate(child(ip, '{topologyKey, whenUnsatisfiable}'), `{${tk}, ${wu}}`));
    }
    if (c?.minDomains !== undefined && c?.minDomains !== null) {
      if (!(typeof c.minDomains === 'number' && c.minDomains > 0)) errs.push(invalid(child(ip, 'minDomains'), c.minDomains, 'must be greater than zero'));
      else if (wu !== 'DoNotSchedule') errs.push(invalid(child(ip, 'minDomains'), c.minDomains, 'can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway'));
    }
    errs.push(...validateLabelSelector(c?.labelSelector, child(ip, 'labelSelector')));
  });
  return errs;
}
