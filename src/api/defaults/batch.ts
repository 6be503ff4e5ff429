// Jobs and CronJobs, and the selector a Job gets from its uid.

import { type Obj, isObj, isSet, ensure, setDefault, each } from './util.ts';
import { podTemplateDefaults } from './pod.ts';

const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';

function templateLabels(job: Obj): Record<string, string> | undefined {
  const labels = job.spec?.template?.metadata?.labels;
  return isObj(labels) ? labels : undefined;
}

export function jobDefaults(job: Obj): void {
  const spec = ensure(job, 'spec');
  if (!spec) return;
  if (!isSet(spec.completions) && !isSet(spec.parallelism)) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  if (!isSet(spec.parallelism)) spec.parallelism = 1;
  if (!isSet(spec.backoffLimit)) spec.backoffLimit = isSet(spec.backoffLimitPerIndex) ? 2147483647 : 6;
  // A Job without labels takes its template's (including generated ones).
  const labels = templateLabels(job);
  const meta = ensure(job, 'metadata');
  if (labels && meta && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  setDefault(spec, 'completionMode', 'NonIndexed');
  if (!isSet(spec.suspend)) spec.suspend = false;
  if (!isSet(spec.podReplacementPolicy)) spec.podReplacementPolicy = isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed';
  if (!isSet(spec.manualSelector)) spec.manualSelector = false;
  if (isObj(spec.podFailurePolicy)) {
    each(spec.podFailurePolicy.rules, (r) => each(r.onPodConditions, (c) => setDefault(c, 'status', 'True')));
  }
  podTemplateDefaults(ensure(spec, 'template'));
}

/**
 * The selector and pod labels of a Job with a generated selector (upstream's
 * generateSelector, 1.27+): call once the Job's uid is known. Labels the user
 * already set are kept, so a conflicting value fails validation instead.
 */
export function jobSelectorDefaults(job: Obj, uid: string): void {
  const spec = ensure(job, 'spec');
  if (!spec || spec.manualSelector === true) return;
  const name = typeof job.metadata?.name === 'string' ? job.metadata.name : '';
  const tpl = ensure(spec, 'template');
  const tmeta = tpl && ensure(tpl, 'metadata');
  if (!tmeta) return;
  const before = isObj(tmeta.labels) ? { ...tmeta.labels } : undefined;
  const labels: Record<string, string> = isObj(tmeta.labels) ? tmeta.labels : (tmeta.labels = {});
  for (const k of [LEGACY_JOB_NAME, JOB_NAME]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID, CONTROLLER_UID]) if (!(k in labels)) labels[k] = uid;
  const sel = ensure(spec, 'selector');
  if (sel) {
    const ml = ensure(sel, 'matchLabels');
    if (ml && !(CONTROLLER_UID in ml)) ml[CONTROLLER_UID] = uid;
  }
  // Upstream's Job labels and template labels are the same map once
  // defaulting copied them, so the Job shows the generated labels too.
  const meta = ensure(job, 'metadata');
  if (meta) {
    const own = isObj(meta.labels) ? meta.labels : undefined;
    const copied = own && before && Object.keys(own).length === Object.keys(before).length
      && Object.entries(before).every(([k, v]) => own[k] === v);
    if (!own || Object.keys(own).length === 0 || copied) meta.labels = { ...labels };
  }
}

export function cronJobDefaults(cj: Obj): void {
  const spec = ensure(cj, 'spec');
  if (!spec) return;
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  if (!isSet(spec.suspend)) spec.suspend = false;
  if (!isSet(spec.successfulJobsHistoryLimit)) spec.successfulJobsHistoryLimit = 3;
  if (!isSet(spec.failedJobsHistoryLimit)) spec.failedJobsHistoryLimit = 1;
  // Only the pod template inside is defaulted; Job defaults apply when the Job is made.
  const jt = ensure(spec, 'jobTemplate');
  if (!jt) return;
  const meta = ensure(jt, 'metadata');
  if (meta && !('creationTimestamp' in meta)) meta.creationTimestamp = null;
  const jspec = ensure(jt, 'spec');
  if (jspec) podTemplateDefaults(ensure(jspec, 'template'));
}
