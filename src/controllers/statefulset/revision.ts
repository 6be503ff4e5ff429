// ControllerRevisions of a StatefulSet (upstream controller/history and
// stateful_set_utils.go): each holds a strategic merge patch that restores the
// pod template — {"spec":{"template":{…,"$patch":"replace"}}} — which is also
// what `kubectl rollout undo` sends back to the set. Names are <set>-<hash>,
// the hash an FNV-1 of the patch bytes (plus the collision count).

import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import { newControllerRef, parseTime } from '../replicaset/util.ts';

export const REVISION_HASH_LABEL = 'controller.kubernetes.io/hash';
/** ControllerRevisionName keeps the name a valid DNS subdomain. */
const MAX_PREFIX = 223;
const SAFE_ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';

/** A copy of a JSON value with every object's keys sorted, as Go's encoding/json writes maps. */
export function sortKeys<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  const o = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = sortKeys(o[k]);
  return out as T;
}

/** The bytes a revision's data stands for: JSON with sorted keys. */
export function dataBytes(cr: ControllerRevision): string {
  return JSON.stringify(sortKeys(cr.data ?? null));
}

/** getPatch: the set's template as a patch that replaces the template wholesale. */
export function statefulSetPatch(set: StatefulSet): object {
  return sortKeys({ spec: { template: { ...structuredClone(set.spec?.template ?? {}), $patch: 'replace' } } });
}

/** rand.SafeEncodeString: each character mapped onto an alphabet without vowels or look-alikes. */
function safeEncode(s: string): string {
  return [...s].map((c) => SAFE_ALPHANUMS[c.charCodeAt(0) % SAFE_ALPHANUMS.length]).join('');
}

/** HashControllerRevision: FNV-1 (32 bit) of the data bytes, then of the decimal collision count. */
export function hashRevision(cr: ControllerRevision, collisionCount?: number): string {
  let h = 0x811c9dc5;
  const write = (s: string): void => {
    for (const b of new TextEncoder().encode(s)) {
      h = Math.imul(h, 0x01000193) >>> 0;
      h = (h ^ b) >>> 0;
    }
  };
  write(dataBytes(cr));
  if (collisionCount !== undefined) write(String(collisionCount));
  return safeEncode(String(h >>> 0));
}

export function revisionName(prefix: string, hash: string): string {
  return `${prefix.length > MAX_PREFIX ? prefix.slice(0, MAX_PREFIX) : prefix}-${hash}`;
}

/**
 * newRevision: a ControllerRevision of the set's current template, labelled
 * like its pods (so the set's selector finds it), carrying the set's
 * annotations (kubectl's change-cause), owned by the set.
 */
export function newRevision(set: StatefulSet, revision: number, collisionCount: number): ControllerRevision {
  const cr: ControllerRevision = {
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: {
      namespace: set.metadata?.namespace,
      labels: { ...(set.spec?.template?.metadata?.labels ?? {}) },
      annotations: { ...(set.metadata?.annotations ?? {}) },
      ownerReferences: [newControllerRef(set, 'apps/v1', 'StatefulSet')],
    },
    data: statefulSetPatch(set),
    revision,
  };
  const hash = hashRevision(cr, collisionCount);
  cr.metadata!.name = revisionName(set.metadata?.name ?? '', hash);
  cr.metadata!.labels![REVISION_HASH_LABEL] = hash;
  return cr;
}

/** ApplyRevision: the set with the revision's template (what its `$patch: replace` does). */
export function applyRevision(set: StatefulSet, cr: ControllerRevision): StatefulSet {
  const clone = structuredClone(set);
  const data = cr.data as { spec?: { template?: PodTemplateSpec & { $patch?: string } } } | undefined;
  const tpl = data?.spec?.template;
  if (tpl) {
    const t = structuredClone(tpl);
    delete t.$patch;
    clone.spec = { ...clone.spec!, template: t };
  }
  return clone;
}

/** SortControllerRevisions: by revision, then creation time, then name. */
export function sortRevisions(revisions: ControllerRevision[]): ControllerRevision[] {
  return revisions.sort((a, b) => {
    if (a.revision !== b.revision) return a.revision - b.revision;
    const ta = parseTime(a.metadata?.creationTimestamp) ?? 0;
    const tb = parseTime(b.metadata?.creationTimestamp) ?? 0;
    if (ta !== tb) return ta - tb;
    return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : (a.metadata?.name ?? '') > (b.metadata?.name ?? '') ? 1 : 0;
  });
}

/** EqualRevision: same data. */
export function equalRevision(a: ControllerRevision | undefined, b: ControllerRevision | undefined): boolean {
  if (!a || !b) return a === b;
  return dataBytes(a) === dataBytes(b);
}

export function findEqualRevisions(revisions: readonly ControllerRevision[], needle: ControllerRevision): ControllerRevision[] {
  return revisions.filter((r) => equalRevision(r, needle));
}

/** nextRevision: one more than the highest (revisions sorted), 1 for the first. */
export function nextRevision(sorted: readonly ControllerRevision[]): number {
  return sorted.length ? sorted[sorted.length - 1].revision + 1 : 1;
}
