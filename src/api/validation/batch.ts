// Jobs and CronJobs.

import {
  type Errs, child, index, key, invalid, invalidOmit, required, duplicate, notSupported, tooMany, nonNegative,
  isObj, arr, obj, str, goStringMap, goLabelSelector, goAny, semanticEqual, FIELD_IMMUTABLE,
} from './field.ts';
import { nameIsDNSSubdomain, dns1123LabelErrors } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateLabelSelector, labelSelectorAsSelector, selectorMatches, validateQualifiedName } from './selector.ts';
import { validatePodTemplateSpec } from './pod.ts';
import { cronScheduleError, isKnownTimeZone } from './cron.ts';

export const JOB_LABELS = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
};

const MAX_PARALLELISM_INDEXED = 100000;
const MAX_FAILED_INDEXES = 100000;
const ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];

function validatePodFailurePolicy(spec: Record<string, any>, path: string): Errs {
  const errs: Errs = [];
  const rules = arr(spec.podFailurePolicy?.rules);
  const rulesPath = child(path, 'rules');
  if (rules.length > 20) errs.push(tooMany(rulesPath, rules.length, 20));
  const tspec = obj(spec.template?.spec);
  const names = new Set([...arr(tspec.containers), ...arr(tspec.initContainers)].map((c) => str(c?.name)));
  rules.forEach((rule, i) => {
    const rp = index(rulesPath, i);
    const action = str(rule?.action);
    if (!action) errs.push(required(child(rp, 'action'), `valid values: [${ACTIONS.map((a) => JSON.stringify(a)).join(' ')}]`));
    else if (action === 'FailIndex') {
      if (spec.backoffLimitPerIndex === undefined || spec.backoffLimitPerIndex === null) {
        errs.push(invalid(child(rp, 'action'), action, 'requires the backoffLimitPerIndex to be set'));
      }
    } else if (!ACTIONS.includes(action)) errs.push(notSupported(child(rp, 'action'), action, ACTIONS));
    const oec = rule?.onExitCodes;
    const opc = arr(rule?.onPodConditions);
    if (isObj(oec)) {
      const op = child(rp, 'onExitCodes');
      const operator = str(oec.operator);
      if (!operator) errs.push(required(child(op, 'operator'), 'valid values: ["In" "NotIn"]'));
      else if (operator !== 'In' && operator !== 'NotIn') errs.push(notSupported(child(op, 'operator'), operator, ['In', 'NotIn']));
      if (typeof oec.containerName === 'string' && !names.has(oec.containerName)) {
        errs.push(invalid(child(op, 'containerName'), oec.containerName, 'must be one of the container or initContainer names in the pod template'));
      }
      const values = arr(oec.values);
      const vp = child(op, 'values');
      if (!values.length) errs.push(invalid(vp, goAny(values), 'at least one value is required'));
      else if (values.length > 255) errs.push(tooMany(vp, values.length, 255));
      const seen = new Set<number>();
      let ordered = true;
      values.forEach((v, j) => {
        if (operator === 'In' && v === 0) errs.push(invalid(index(vp, j), v, 'must not be 0 for the In operator'));
        if (seen.has(v)) errs.push(duplicate(index(vp, j), v));
        else seen.add(v);
        if (j > 0 && values[j - 1] > v) ordered = false;
      });
      if (!ordered) errs.push(invalid(vp, goAny(values), 'must be ordered'));
    }
    if (opc.length) {
      const pp = child(rp, 'onPodConditions');
      if (opc.length > 20) errs.push(tooMany(pp, opc.length, 20));
      opc.forEach((pat, j) => {
        errs.push(...validateQualifiedName(str(pat?.type), child(index(pp, j), 'type')));
        const st = str(pat?.status);
        if (!st) errs.push(required(child(index(pp, j), 'status'), 'valid values: ["False" "True" "Unknown"]'));
        else if (!['False', 'True', 'Unknown'].includes(st)) errs.push(notSupported(child(index(pp, j), 'status'), st, ['False', 'True', 'Unknown']));
      });
    }
    if (isObj(oec) && opc.length) errs.push(invalidOmit(rp, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!isObj(oec) && !opc.length) errs.push(invalidOmit(rp, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

/** The JobSpec checks shared by Jobs and CronJob job templates. */
function validateJobSpecCommon(spec: Record<string, any>, path: string): Errs {
  const errs: Errs = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex']) {
    errs.push(...nonNegative(spec[f], child(path, f)));
  }
  const set = (v: unknown) => v !== undefined && v !== null;
  if (set(spec.maxFailedIndexes)) {
    errs.push(...nonNegative(spec.maxFailedIndexes, child(path, 'maxFailedIndexes')));
    if (!set(spec.backoffLimitPerIndex)) errs.push(required(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  const mode = spec.completionMode;
  if (set(mode)) {
    if (mode !== 'NonIndexed' && mode !== 'Indexed') errs.push(notSupported(child(path, 'completionMode'), mode, ['NonIndexed', 'Indexed']));
    if (mode === 'Indexed') {
      if (!set(spec.completions)) errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_INDEXED) {
        errs.push(invalid(child(path, 'parallelism'), spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
      if (typeof spec.completions === 'number' && typeof spec.maxFailedIndexes === 'number' && spec.maxFailedIndexes > spec.completions) {
        errs.push(invalid(child(path, 'maxFailedIndexes'), spec.maxFailedIndexes, 'must be less than or equal to completions'));
      }
      if (typeof spec.maxFailedIndexes === 'number' && spec.maxFailedIndexes > MAX_FAILED_INDEXES) {
        errs.push(invalid(child(path, 'maxFailedIndexes'), spec.maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
      }
    }
  }
  if (!set(mode) || mode === 'NonIndexed') {
    if (set(spec.backoffLimitPerIndex)) errs.push(invalid(child(path, 'backoffLimitPerIndex'), spec.backoffLimitPerIndex, 'requires indexed completion mode'));
    if (set(spec.maxFailedIndexes)) errs.push(invalid(child(path, 'maxFailedIndexes'), spec.maxFailedIndexes, 'requires indexed completion mode'));
  }
  if (isObj(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, child(path, 'podFailurePolicy')));
  const prp = spec.podReplacementPolicy;
  if (set(prp)) {
    if (isObj(spec.podFailurePolicy)) {
      if (prp !== 'Failed') errs.push(notSupported(child(path, 'podReplacementPolicy'), prp, ['Failed']));
    } else if (prp !== 'Failed' && prp !== 'TerminatingOrFailed') {
      errs.push(notSupported(child(path, 'podReplacementPolicy'), prp, ['Failed', 'TerminatingOrFailed']));
    }
  }
  errs.push(...validatePodTemplateSpec(spec.template, child(path, 'template')));
  const rp = str(obj(spec.template?.spec).restartPolicy);
  const rpPath = child(path, 'template', 'spec', 'restartPolicy');
  if (rp === 'Always' || rp === '') errs.push(required(rpPath, 'valid values: "OnFailure", "Never"'));
  else if (rp !== 'OnFailure' && rp !== 'Never') errs.push(notSupported(rpPath, rp, ['OnFailure', 'Never']));
  else if (isObj(spec.podFailurePolicy) && rp !== 'Never') errs.push(invalid(rpPath, rp, 'only "Never" is supported when podFailurePolicy is specified'));
  return errs;
}

function validateJobSpec(spec: Record<string, any>, path: string): Errs {
  const errs = validateJobSpecCommon(spec, path);
  if (spec.selector === undefined || spec.selector === null) errs.push(required(child(path, 'selector')));
  else errs.push(...validateLabelSelector(spec.selector, child(path, 'selector')));
  const sel = labelSelectorAsSelector(spec.selector);
  const labels = obj(spec.template?.metadata).labels;
  if (sel && !selectorMatches(sel, labels)) {
    errs.push(invalid(child(path, 'template', 'metadata', 'labels'), goStringMap(labels), '`selector` does not match template `labels`'));
  }
  return errs;
}

function hasLabel(labels: Record<string, any>, k: string, expected: string): Errs {
  const p = key('spec.template.metadata.labels', k);
  if (!(k in labels)) return [required(p, expected)];
  return labels[k] === expected ? [] : [invalid(p, goStringMap(labels), `must be '${expected}'`)];
}

function validateGeneratedSelector(job: any, prefixed: boolean): Errs {
  const spec = obj(job?.spec);
  if (spec.manualSelector === true || spec.selector === undefined || spec.selector === null) return [];
  const errs: Errs = [];
  const uid = str(job?.metadata?.uid);
  const name = str(job?.metadata?.name);
  if (!uid) errs.push(required('metadata.uid'));
  const labels = obj(spec.template?.metadata?.labels);
  errs.push(...hasLabel(labels, JOB_LABELS.legacyControllerUid, uid));
  errs.push(...hasLabel(labels, JOB_LABELS.legacyJobName, name));
  const expected: Record<string, string> = {};
  if (prefixed) {
    errs.push(...hasLabel(labels, JOB_LABELS.controllerUid, uid));
    errs.push(...hasLabel(labels, JOB_LABELS.jobName, name));
    expected[JOB_LABELS.controllerUid] = uid;
    expected[JOB_LABELS.jobName] = name;
  }
  expected[JOB_LABELS.legacyControllerUid] = uid;
  expected[JOB_LABELS.legacyJobName] = name;
  const sel = labelSelectorAsSelector(spec.selector);
  if (sel && !selectorMatches(sel, expected)) errs.push(invalid('spec.selector', goLabelSelector(spec.selector), '`selector` not auto-generated'));
  return errs;
}

function validateJobWith(job: any, prefixedLabels: boolean): Errs {
  const errs = validateObjectMeta(job?.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateGeneratedSelector(job, prefixedLabels));
  const spec = obj(job?.spec);
  errs.push(...validateJobSpec(spec, 'spec'));
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    const name = str(job?.metadata?.name);
    const host = `${name}-${spec.completions - 1}`;
    if (dns1123LabelErrors(host).length) errs.push(invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${host}`));
  }
  return errs;
}

export function validateJob(job: any): Errs {
  return validateJobWith(job, true);
}

function immutable(n: unknown, o: unknown, path: string): Errs {
  return semanticEqual(n, o) ? [] : [invalid(path, goAny(n ?? null), FIELD_IMMUTABLE)];
}

export function validateJobUpdate(job: any, old: any): Errs {
  const oldLabels = obj(old?.spec?.template?.metadata?.labels);
  const prefixed = JOB_LABELS.jobName in oldLabels && JOB_LABELS.controllerUid in oldLabels;
  const errs = validateJobWith(job, prefixed);
  errs.push(...validateObjectMetaUpdate(job?.metadata, old?.metadata));
  const spec = obj(job?.spec);
  const os = obj(old?.spec);
  errs.push(...validateJobSpec(spec, 'spec'));
  if (spec.completionMode === 'Indexed') {
    // elastic indexed jobs: completions may change together with parallelism
    if (!semanticEqual(spec.completions, os.completions) && typeof spec.completions === 'number' && spec.completions !== spec.parallelism) {
      errs.push(invalid('spec.completions', spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    errs.push(...immutable(spec.completions, os.completions, 'spec.completions'));
  }
  errs.push(...immutable(spec.selector, os.selector, 'spec.selector'));
  const tpl = structuredClone(obj(spec.template));
  const oldTpl = structuredClone(obj(os.template));
  if (os.suspend === true && !old?.status?.startTime) {
    // a suspended job that never started may still have its scheduling directives changed
    for (const t of [tpl, oldTpl]) {
      t.metadata = { ...obj(t.metadata), labels: undefined, annotations: undefined };
      t.spec = { ...obj(t.spec), nodeSelector: undefined, tolerations: undefined, schedulingGates: undefined };
      if (isObj(t.spec.affinity)) t.spec.affinity = { ...t.spec.affinity, nodeAffinity: undefined };
    }
  }
  if (!semanticEqual(tpl, oldTpl)) errs.push(invalid('spec.template', goAny(spec.template), FIELD_IMMUTABLE));
  errs.push(...immutable(spec.completionMode, os.completionMode, 'spec.completionMode'));
  errs.push(...immutable(spec.podFailurePolicy, os.podFailurePolicy, 'spec.podFailurePolicy'));
  errs.push(...immutable(spec.backoffLimitPerIndex, os.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'));
  return errs;
}

// --- CronJob ---

function validateTimeZone(tz: unknown, path: string): Errs {
  if (tz === undefined || tz === null) return [];
  const z = str(tz);
  if (!z) return [invalid(path, z, 'timeZone must be nil or non-empty string')];
  for (const part of z.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !/^[A-Za-z.\-_0-9+]{1,14}$/.test(part)) {
      return [invalid(path, z, `unknown time zone ${z}`)];
    }
  }
  const errs: Errs = [];
  if (z.toLowerCase() === 'local') errs.push(invalid(path, z, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
  if (!isKnownTimeZone(z)) errs.push(invalid(path, z, `unknown time zone ${z}`));
  return errs;
}

function validateCronJobSpec(spec: Record<string, any>, oldSpec: Record<string, any> | undefined): Errs {
  const errs: Errs = [];
  const schedule = str(spec.schedule);
  if (!schedule) errs.push(required('spec.schedule'));
  else {
    const err = cronScheduleError(schedule);
    if (err) errs.push(invalid('spec.schedule', schedule, err));
    const allowTZ = str(oldSpec?.schedule).includes('TZ');
    if (allowTZ && schedule.includes('TZ') && spec.timeZone !== undefined && spec.timeZone !== null) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    } else if (!allowTZ && schedule.includes('TZ')) {
      errs.push(invalid('spec.schedule', schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
    }
  }
  errs.push(...nonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  if (!oldSpec || oldSpec.timeZone !== spec.timeZone) errs.push(...validateTimeZone(spec.timeZone, 'spec.timeZone'));
  const cp = str(spec.concurrencyPolicy);
  if (!cp) errs.push(required('spec.concurrencyPolicy'));
  else if (!['Allow', 'Forbid', 'Replace'].includes(cp)) errs.push(notSupported('spec.concurrencyPolicy', cp, ['Allow', 'Forbid', 'Replace']));
  const jt = obj(obj(spec.jobTemplate).spec);
  errs.push(...validateJobSpecCommon(jt, 'spec.jobTemplate.spec'));
  if (jt.selector !== undefined && jt.selector !== null) {
    errs.push(invalid('spec.jobTemplate.spec.selector', goLabelSelector(jt.selector), '`selector` will be auto-generated'));
  }
  if (jt.manualSelector === true) errs.push(notSupported('spec.jobTemplate.spec.manualSelector', true, ['nil', 'false']));
  errs.push(...nonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...nonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  return errs;
}

export function validateCronJob(cj: any): Errs {
  const errs = validateObjectMeta(cj?.metadata, true, nameIsDNSSubdomain);
  errs.push(...validateCronJobSpec(obj(cj?.spec), undefined));
  const name = str(cj?.metadata?.name);
  if (name.length > 52) errs.push(invalid('metadata.name', name, 'must be no more than 52 characters'));
  return errs;
}

export function validateCronJobUpdate(cj: any, old: any): Errs {
  return [...validateObjectMetaUpdate(cj?.metadata, old?.metadata), ...validateCronJobSpec(obj(cj?.spec), obj(old?.spec))];
}
