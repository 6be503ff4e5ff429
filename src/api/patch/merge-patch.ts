// RFC 7396 JSON Merge Patch (application/merge-patch+json): objects merge
// recursively, null deletes, anything else (arrays included) replaces. Like the
// upstream implementation, null members inside values that are added or replaced
// are dropped rather than stored.

import { ApiError } from '../../base/errors.ts';
import { deepCopy, goJsonType, isObject, pruneNulls, type JsonObject } from './json-value.ts';

export function applyMergePatch(live: object, patch: unknown): object {
  if (patch === null) throw ApiError.badRequest('Invalid JSON Patch');
  if (!isObject(patch)) {
    throw ApiError.badRequest(`error decoding patch: json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`);
  }
  return mergeObjects(deepCopy(live) as JsonObject, patch);
}

/** Merges `patch` into `target` (mutated and returned). */
export function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null) {
      delete target[k];
    } else if (isObject(pv) && isObject(target[k])) {
      mergeObjects(target[k] as JsonObject, pv);
    } else {
      target[k] = pruneNulls(deepCopy(pv));
    }
  }
  return target;
}
