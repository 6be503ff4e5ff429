// Patching and field ownership: JSON patch, merge patch, strategic merge patch,
// server-side apply, and the managedFields bookkeeping of ordinary writes.

export { applyJsonPatch } from './json-patch.ts';
export { applyMergePatch } from './merge-patch.ts';
export { applyStrategicMergePatch } from './strategic.ts';
export { serverSideApply, parseApplyPatch, type ServerSideApplyArgs } from './apply.ts';
export { recordUpdate, defaultManagerFromUserAgent, type RecordUpdateArgs } from './managed-fields.ts';
export { LAST_APPLIED } from './last-applied.ts';

export type PatchKind = 'json' | 'merge' | 'strategic' | 'apply';

const BY_MEDIA_TYPE: Record<string, PatchKind> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

/** The patch kind a PATCH request's Content-Type names (parameters such as charset ignored). */
export function patchTypeFromContentType(ct: string): PatchKind | undefined {
  const media = ct.split(';')[0].trim().toLowerCase();
  return BY_MEDIA_TYPE[media];
}
