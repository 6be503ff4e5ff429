// Controllers that run pods: Deployment, ReplicaSet, StatefulSet, DaemonSet,
// ReplicationController, plus ControllerRevision and PodTemplate.

import {
  type Errs, child, invalid, required, forbidden, notSupported, nonNegative, isObj, obj, str, raw,
  goStringMap, goLabelSelector, goIntOrString, goAny, semanticEqual, FIELD_IMMUTABLE,
} from './field.ts';
import { nameIsDNSSubdomain, nameIsDNSLabel, percentErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import {
  validateLabelSelector, labelSelectorAsSelector, selectorMatches, selectorEmpty, validateLabels, type Selector,
} from './selector.ts';
import { validateAnnotations } from './meta.ts';
import { validatePodTemplateSpec } from './pod.ts';

const SELECTOR_MISMATCH = '`selector` does not match template `labels`';

// --- int-or-percent fields (maxSurge, maxUnavailable, minAvailable) ---

function percentValue(v: unknown): number | undefined {
  return typeof v === 'string' && percentErrors(v).length === 0 ? Number(v.slice(0, -1)) : undefined;
}

export function intOrPercentValue(v: unknown): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  const n = typeof v === 'string' && /^[+-]?[0-9]+$/.test(v) ? Number(v) : 0;
  return n;
}

export function validatePositiveIntOrPercent(v: unknown, path: string): Errs {
  if (typeof v === 'string') return percentErrors(v).map((m) => invalid(path, raw(goIntOrString(v)), m));
  if (typeof v === 'number') return nonNegative(v, path);
  return [invalid(path, goAny(v), "must be an integer or percentage (e.g '5%')")];
}

export function isNotMoreThan100Percent(v: unknown, path: string): Errs {
  const p = percentValue(v);
  return p !== undefined && p > 100 ? [invalid(path, raw(goIntOrString(v)), 'must not be greater than 100%')] : [];
}

// --- shared template checks ---

function selectorFor(spec: Record<string, any>, path: string, kind: string, errs: Errs, requireSelector = true): Selector | undefined {
  if (spec.selector === undefined || spec.selector === null) {
    if (requireSelector) errs.push(required(child(path, 'selector')));
  } else {
    errs.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
    const sel = obj(spec.selector);
    if (Object.keys(obj(sel.matchLabels)).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0) {
      errs.push(invalid(child(path, 'selector'), goLabelSelector(sel), `empty selector is invalid for ${kind}`));
    }
  }
  return labelSelectorAsSelector(spec.selector);
}

/** Template checks for controllers whose pods must restart Always (RS, Deployment, RC). */
function validateTemplateForReplicas(tpl: unknown, sel: Selector, path: string, kindForDeadline: string, optional = false): Errs {
  if (!isObj(tpl)) {
    if (optional) return [required(path)];
    tpl = {};
  }
  if (!isObj(tpl)) return [];
  const errs: Errs = [];
  const labels = obj(tpl.metadata).labels;
  if (!selectorEmpty(sel) && !selectorMatches(sel, labels)) {
    errs.push(invalid(child(path, 'metadata', 'labels'), goStringMap(labels), SELECTOR_MISMATCH));
  }
  errs.push(...validatePodTemplateSpec(tpl, path));
  const spec = obj(tpl.spec);
  if (spec.restartPolicy !== 'Always') errs.push(notSupported(child(path, 'spec', 'restartPolicy'), str(spec.restartPolicy), ['Always']));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(path, 'spec', 'activeDeadlineSeconds'), `activeDeadlineSeconds in ${kindForDeadline} is not Supported`));
  }
  return errs;
}

function immutableSelector(n: any, o: any): Errs {
  return semanticEqual(n?.spec?.selector, o?.spec?.selector) ? [] : [invalid('spec.selector', goLabelSelector(n?.spec?.selector), FIELD_IMMUTABLE)];
}

// --- Deployment ---

function validateRollingUpdateDeployment(ru: any, path: string): Errs {
  const errs: Errs = [];
  errs.push(...validatePositiveIntOrPercent(ru?.maxUnavailable, child(path, 'maxUnavailable')));
  errs.push(...validatePositiveIntOrPercent(ru?.maxSurge, child(path, 'maxSurge')));
  if (intOrPercentValue(ru?.maxUnavailable) === 0 && intOrPercentValue(ru?.maxSurge) === 0) {
    errs.push(invalid(child(path, 'maxUnavailable'), raw(goIntOrString(ru?.maxUnavailable)), 'may not be 0 when `maxSurge` is 0'));
  }
  errs.push(...isNotMoreThan100Percent(ru?.maxUnavailable, child(path, 'maxUnavailable')));
  return errs;
}

function validateDeploymentStrategy(st: unknown, path: string): Errs {
  const s = obj(st);
  switch (s.type) {
    case 'Recreate':
      return s.rollingUpdate ? [forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate':
      if (!isObj(s.rollingUpdate)) return [required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
      return validateRollingUpdateDeployment(s.rollingUpdate, child(path, 'rollingUpdate'));
    default:
      return [notSupported(path, raw(`apps.DeploymentStrategy{Type:${JSON.stringify(str(s.type))}, RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}`),
        ['Recreate', 'RollingUpdate'])];
  }
}

export function validateDeployment(d: any): Errs {
  const errs = validateObjectMeta(d?.metadata, true, nameIsDNSSubdomain);
  const spec = obj(d?.spec);
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  const sel = selectorFor(spec, 'spec', 'deployment', errs);
  if (!sel) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateTemplateForReplicas(spec.template, sel, 'spec.template', 'ReplicaSet'));
  errs.push(...validateDeploymentStrategy(spec.strategy, 'spec.strategy'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  const pds = spec.progressDeadlineSeconds;
  if (typeof pds === 'number') {
    errs.push(...nonNegative(pds, 'spec.progressDeadlineSeconds'));
    if (pds <= (typeof spec.minReadySeconds === 'number' ? spec.minReadySeconds : 0)) {
      errs.push(invalid('spec.progressDeadlineSeconds', pds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateDeploymentUpdate(d: any, old: any): Errs {
  return [...validateObjectMetaUpdate(d?.metadata, old?.metadata), ...validateDeployment(d), ...immutableSelector(d, old)];
}

// --- ReplicaSet ---

export function validateReplicaSet(rs: any): Errs {
  const errs = validateObjectMeta(rs?.metadata, true, nameIsDNSSubdomain);
  const spec = obj(rs?.spec);
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // upstream's wording really does say "deployment" here
  const sel = selectorFor(spec, 'spec', 'deployment', errs);
  if (!sel) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'invalid label selector'));
  else errs.push(...validateTemplateForReplicas(spec.template, sel, 'spec.template', 'ReplicaSet'));
  return errs;
}

export function validateReplicaSetUpdate(rs: any, old: any): Errs {
  return [...validateObjectMetaUpdate(rs?.metadata, old?.metadata), ...validateReplicaSet(rs), ...immutableSelector(rs, old)];
}

// --- ReplicationController ---

export function validateReplicationController(rc: any): Errs {
  const errs = validateObjectMeta(rc?.metadata, true, nameIsDNSSubdomain);
  const spec = obj(rc?.spec);
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const selMap = obj(spec.selector);
  if (Object.keys(selMap).length === 0) errs.push(required('spec.selector'));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  const sel: Selector = Object.keys(selMap).length
    ? { kind: 'match', test: (l) => Object.entries(selMap).every(([k, v]) => l[k] === String(v)) }
    : { kind: 'everything' };
  errs.push(...validateTemplateForReplicas(spec.template, sel, 'spec.template', 'ReplicationController', true));
  return errs;
}

export function validateReplicationControllerUpdate(rc: any, old: any): Errs {
  return [...validateObjectMetaUpdate(rc?.metadata, old?.metadata), ...validateReplicationController(rc)];
}

// --- StatefulSet ---

function statefulSetUpdateStrategyText(us: Record<string, any>): string {
  return `apps.StatefulSetUpdateStrategy{Type:${JSON.stringify(str(us.type))}, RollingUpdate:(*apps.RollingUpdateStatefulSetStrategy)(nil)}`;
}

function validateStatefulSetSpec(spec: Record<string, any>): Errs {
  const errs: Errs = [];
  const pmp = str(spec.podManagementPolicy);
  if (!pmp) errs.push(required('spec.podManagementPolicy'));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') errs.push(invalid('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  const us = obj(spec.updateStrategy);
  switch (str(us.type)) {
    case '': errs.push(required('spec.updateStrategy')); break;
    case 'OnDelete':
      if (us.rollingUpdate) errs.push(invalid('spec.updateStrategy.rollingUpdate', goAny(us.rollingUpdate), "only allowed for updateStrategy 'RollingUpdate'"));
      break;
    case 'RollingUpdate':
      if (isObj(us.rollingUpdate)) {
        const ru = us.rollingUpdate;
        errs.push(...nonNegative(ru.partition, 'spec.updateStrategy.rollingUpdate.partition'));
        if (ru.maxUnavailable !== undefined && ru.maxUnavailable !== null) {
          const p = 'spec.updateStrategy.rollingUpdate.maxUnavailable';
          errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, p));
          if (intOrPercentValue(ru.maxUnavailable) === 0) errs.push(invalid(p, raw(goIntOrString(ru.maxUnavailable)), 'cannot be 0'));
          errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, p));
        }
      }
      break;
    default:
      errs.push(invalid('spec.updateStrategy', raw(statefulSetUpdateStrategyText(us)), "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const pol = spec.persistentVolumeClaimRetentionPolicy;
  if (isObj(pol)) {
    for (const f of ['whenDeleted', 'whenScaled']) {
      const v = str(pol[f]);
      if (v !== 'Retain' && v !== 'Delete') errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${f}`, v, ['Retain', 'Delete']));
    }
  }
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  if (isObj(spec.ordinals)) errs.push(...nonNegative(spec.ordinals.start, 'spec.ordinals.start'));
  const sel = selectorFor(spec, 'spec', 'statefulset', errs);
  const tpl = obj(spec.template);
  if (!sel) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), ''));
  } else if (!isObj(spec.template)) {
    errs.push(required('spec.template'));
  } else {
    // Upstream checks only the template's metadata here, not its pod spec.
    const labels = obj(tpl.metadata).labels;
    if (!selectorEmpty(sel) && !selectorMatches(sel, labels)) {
      errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), SELECTOR_MISMATCH));
    }
    errs.push(...validateLabels(labels, 'spec.template.labels'));
    errs.push(...validateAnnotations(obj(tpl.metadata).annotations, 'spec.template.annotations'));
  }
  const tspec = obj(tpl.spec);
  if (tspec.restartPolicy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', str(tspec.restartPolicy), ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  return errs;
}

export function validateStatefulSet(sts: any): Errs {
  return [...validateObjectMeta(sts?.metadata, true, nameIsDNSLabel), ...validateStatefulSetSpec(obj(sts?.spec))];
}

const STS_MUTABLE = ['replicas', 'template', 'updateStrategy', 'minReadySeconds', 'ordinals', 'persistentVolumeClaimRetentionPolicy'];

export function validateStatefulSetUpdate(sts: any, old: any): Errs {
  const errs = [...validateObjectMetaUpdate(sts?.metadata, old?.metadata), ...validateStatefulSetSpec(obj(sts?.spec))];
  const strip = (s: unknown) => Object.fromEntries(Object.entries(obj(s)).filter(([k]) => !STS_MUTABLE.includes(k)));
  if (!semanticEqual(strip(sts?.spec), strip(old?.spec))) {
    errs.push(forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"));
  }
  return errs;
}

// --- DaemonSet ---

function validateDaemonSetUpdateStrategy(st: unknown, path: string): Errs {
  const s = obj(st);
  switch (s.type) {
    case 'OnDelete': return [];
    case 'RollingUpdate': {
      if (!isObj(s.rollingUpdate)) return [required(child(path, 'rollingUpdate'))];
      const ru = s.rollingUpdate;
      const rp = child(path, 'rollingUpdate');
      const errs: Errs = [];
      errs.push(...validatePositiveIntOrPercent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...validatePositiveIntOrPercent(ru.maxSurge, child(rp, 'maxSurge')));
      errs.push(...isNotMoreThan100Percent(ru.maxUnavailable, child(rp, 'maxUnavailable')));
      errs.push(...isNotMoreThan100Percent(ru.maxSurge, child(rp, 'maxSurge')));
      const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
      const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
      if (hasUnavailable && hasSurge) errs.push(invalid(child(rp, 'maxSurge'), raw(goIntOrString(ru.maxSurge)), 'may not be set when maxUnavailable is non-zero'));
      else if (!hasUnavailable && !hasSurge) errs.push(required(child(rp, 'maxUnavailable'), 'cannot be 0 when maxSurge is 0'));
      return errs;
    }
    default:
      return [notSupported(path, raw(`apps.DaemonSetUpdateStrategy{Type:${JSON.stringify(str(s.type))}, RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}`),
        ['RollingUpdate', 'OnDelete'])];
  }
}

export function validateDaemonSet(ds: any): Errs {
  const errs = validateObjectMeta(ds?.metadata, true, nameIsDNSSubdomain);
  const spec = obj(ds?.spec);
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const sel = labelSelectorAsSelector(spec.selector);
  const tpl = obj(spec.template);
  const labels = obj(tpl.metadata).labels;
  if (sel && !selectorMatches(sel, labels)) errs.push(invalid('spec.template.metadata.labels', goStringMap(labels), SELECTOR_MISMATCH));
  if (isObj(spec.selector) && Object.keys(obj(spec.selector.matchLabels)).length + (Array.isArray(spec.selector.matchExpressions) ? spec.selector.matchExpressions.length : 0) === 0) {
    errs.push(invalid('spec.selector', goLabelSelector(spec.selector), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(tpl, 'spec.template'));
  const tspec = obj(tpl.spec);
  if (tspec.restartPolicy !== 'Always') errs.push(notSupported('spec.template.spec.restartPolicy', str(tspec.restartPolicy), ['Always']));
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(invalid('spec.template.spec.activeDeadlineSeconds', tspec.activeDeadlineSeconds, 'activeDeadlineSeconds must be nil for daemons'));
  }
  errs.push(...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...nonNegative(spec.templateGeneration, 'spec.templateGeneration'));
  errs.push(...validateDaemonSetUpdateStrategy(spec.updateStrategy, 'spec.updateStrategy'));
  errs.push(...nonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

export function validateDaemonSetUpdate(ds: any, old: any): Errs {
  return [...validateObjectMetaUpdate(ds?.metadata, old?.metadata), ...validateDaemonSet(ds), ...immutableSelector(ds, old)];
}

// --- ControllerRevision, PodTemplate ---

export function validateControllerRevision(cr: any): Errs {
  const errs = validateObjectMeta(cr?.metadata, true, nameIsDNSSubdomain);
  if (cr?.data === undefined || cr?.data === null) errs.push(required('data', 'data is mandatory'));
  errs.push(...nonNegative(cr?.revision, 'revision'));
  return errs;
}

export function validateControllerRevisionUpdate(cr: any, old: any): Errs {
  const errs = [...validateObjectMetaUpdate(cr?.metadata, old?.metadata), ...validateControllerRevision(cr)];
  if (!semanticEqual(cr?.data, old?.data)) errs.push(invalid('data', goAny(cr?.data), FIELD_IMMUTABLE));
  return errs;
}

export function validatePodTemplate(pt: any): Errs {
  return [...validateObjectMeta(pt?.metadata, true, nameIsDNSSubdomain), ...validatePodTemplateSpec(pt?.template, 'template')];
}

export function validatePodTemplateUpdate(pt: any, old: any): Errs {
  return [...validateObjectMetaUpdate(pt?.metadata, old?.metadata), ...validatePodTemplateSpec(pt?.template, 'template')];
}
