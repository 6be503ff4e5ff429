// Controllers' objects: generation tracks spec changes and status starts as
// upstream's zero value for the kind.

import type { Strategy } from '../strategy.ts';
import type { Obj } from '../codec.ts';
import { jobSelectorDefaults } from '../../../api/defaults/index.ts';
import { daemonSetDefaults } from '../../../api/defaults/workloads.ts';
import { clone } from '../codec.ts';

function withInitialStatus(status: () => Obj): Strategy {
  return { tracksGeneration: true, prepareForCreate(obj) { obj.status = status(); } };
}

export const deploymentStrategy = withInitialStatus(() => ({}));
export const replicaSetStrategy = withInitialStatus(() => ({ replicas: 0 }));
export const replicationControllerStrategy = withInitialStatus(() => ({ replicas: 0 }));
export const statefulSetStrategy = withInitialStatus(() => ({ replicas: 0, availableReplicas: 0 }));

/**
 * apps/v1 keeps the DaemonSet's spec.templateGeneration in this annotation:
 * 1 on create (unless set higher), +1 on every template change, otherwise
 * carried over from the stored object. Pods get it as pod-template-generation.
 */
const TEMPLATE_GENERATION = 'deprecated.daemonset.template.generation';

function templateGenerationOf(o: Obj): number | undefined {
  const v = (o.metadata?.annotations as Record<string, string> | undefined)?.[TEMPLATE_GENERATION];
  return typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : undefined;
}

/** Semantic.DeepEqual over JSON: absent, null, [] and {} are all equal. */
function sameJson(a: unknown, b: unknown): boolean {
  const empty = (v: unknown): boolean => v == null || (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && Object.keys(v).length === 0);
  if (a === b || (empty(a) && empty(b))) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  return [...new Set([...Object.keys(ao), ...Object.keys(bo)])].every((k) => sameJson(ao[k], bo[k]));
}

export const daemonSetStrategy: Strategy = {
  tracksGeneration: true,
  prepareForCreate(obj) {
    obj.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
    const gen = templateGenerationOf(obj);
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION]: String(gen && gen >= 1 ? gen : 1) };
  },
  prepareForUpdate(obj, old) {
    // Compared as stored: the incoming object is not defaulted yet.
    const incoming = clone(obj);
    daemonSetDefaults(incoming);
    const oldGen = templateGenerationOf(old) ?? 1;
    const changed = !sameJson(incoming.spec?.template, old.spec?.template);
    obj.metadata.annotations = { ...(obj.metadata.annotations ?? {}), [TEMPLATE_GENERATION]: String(changed ? oldGen + 1 : oldGen) };
  },
};
export const cronJobStrategy = withInitialStatus(() => ({}));
export const pdbStrategy = withInitialStatus(() => ({ disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }));

export const jobStrategy: Strategy = {
  tracksGeneration: true,
  prepareForCreate(job) {
    job.status = {};
    // The selector is generated from the uid unless the user manages it.
    if (job.spec?.manualSelector !== true) jobSelectorDefaults(job, job.metadata.uid as string);
  },
};
