// A DaemonSet's history (upstream pkg/controller/daemon/update.go): every
// template it has had is a ControllerRevision `<ds>-<hash>` whose data is a
// strategic merge patch restoring that template — the patch `kubectl rollout
// undo daemonset` sends back. Pods carry the revision's hash in the
// controller-revision-hash label (and the template generation in
// pod-template-generation), which is how the controller tells old pods from
// new ones.

import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { computeHash } from '../deployment/util.ts';
import { newControllerRef } from '../replicaset/util.ts';

/** apps.DefaultDaemonSetUniqueLabelKey (= ControllerRevisionHashLabelKey). */
export const REVISION_HASH_LABEL = 'controller-revision-hash';
/** extensions.DaemonSetTemplateGenerationKey. */
export const TEMPLATE_GENERATION_LABEL = 'pod-template-generation';
/** apps.DeprecatedTemplateGeneration: the apiserver keeps spec.templateGeneration here in apps/v1. */
export const TEMPLATE_GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';

/** JSON with object keys sorted, as Go marshals a map (what upstream stores and compares byte for byte). */
export function sortedJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? 'null' : sortedJson(x))).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).filter((k) => o[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson(o[k])}`).join(',')}}`;
}

/**
 * The template as Go's typed encoder writes it: struct fields without
 * omitempty appear even when zero (metadata.creationTimestamp: null, a
 * container's resources: {}), so that the patch matches the one kubectl
 * computes for `rollout undo`'s "already matches" check.
 */
function asGoEncodes(template: PodTemplateSpec | undefined): Record<string, unknown> {
  const t = structuredClone(template ?? {}) as Record<string, unknown> & PodTemplateSpec;
  t.metadata = { creationTimestamp: null as unknown as undefined, ...(t.metadata ?? {}) };
  const spec = (t.spec ?? { containers: [] });
  for (const list of [spec.containers, spec.initContainers, spec.ephemeralContainers]) {
    for (const c of list ?? []) (c as { resources?: object }).resources ??= {};
  }
  t.spec = spec;
  return t;
}

/**
 * getPatch: `{"spec":{"template":{"$patch":"replace",…}}}` — replaces the
 * whole template when applied. Returned parsed, with keys in Go's (sorted) order.
 */
export function daemonSetPatch(ds: DaemonSet): Record<string, unknown> {
  const template = asGoEncodes(ds.spec?.template);
  template.$patch = 'replace';
  return JSON.parse(sortedJson({ spec: { template } })) as Record<string, unknown>;
}

/** Match: the revision records exactly this DaemonSet's template. */
export function revisionMatches(ds: DaemonSet, cr: ControllerRevision): boolean {
  return sortedJson(daemonSetPatch(ds)) === sortedJson(cr.data ?? null);
}

/** The template generation the apiserver recorded; undefined when absent or unparsable (upstream ignores it then). */
export function templateGeneration(ds: DaemonSet): number | undefined {
  const v = ds.metadata?.annotations?.[TEMPLATE_GENERATION_ANNOTATION];
  if (v === undefined || !/^[+-]?\d+$/.test(v)) return undefined;
  return Number(v);
}

/** util.IsPodUpdated: the pod carries the current revision's hash, or the current template generation. */
export function isPodUpdated(pod: Pod, hash: string, generation: number | undefined): boolean {
  const labels = pod.metadata?.labels ?? {};
  const templateMatches = generation !== undefined && labels[TEMPLATE_GENERATION_LABEL] === String(generation);
  const hashMatches = hash.length > 0 && labels[REVISION_HASH_LABEL] === hash;
  return hashMatches || templateMatches;
}

/** controller.ComputeHash over the template and status.collisionCount. */
export function templateHash(ds: DaemonSet): string {
  return computeHash(ds.spec?.template, ds.status?.collisionCount);
}

/** snapshot's object: `<ds>-<hash>`, the template's labels plus the hash, the DaemonSet's annotations (change-cause). */
export function newRevision(ds: DaemonSet, revision: number): ControllerRevision {
  const hash = templateHash(ds);
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      name: `${ds.metadata?.name}-${hash}`,
      namespace: ds.metadata?.namespace,
      labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
      ownerReferences: [newControllerRef(ds, 'apps/v1', 'DaemonSet')],
    },
    data: daemonSetPatch(ds),
    revision,
  };
  if (ds.metadata?.annotations && Object.keys(ds.metadata.annotations).length) cr.metadata!.annotations = { ...ds.metadata.annotations };
  return cr;
}

export function maxRevision(revisions: readonly ControllerRevision[]): number {
  let max = 0;
  for (const r of revisions) if ((r.revision ?? 0) > max) max = r.revision ?? 0;
  return max;
}
