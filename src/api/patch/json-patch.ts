// RFC 6902 JSON Patch (application/json-patch+json), answering as the upstream
// apiserver does: a body that is not a list of operation objects is a 400; more
// than 10000 operations is a 413; an operation that cannot be applied (failed
// `test`, missing path, unknown op) is the generic 422 whose message does not
// echo the cause.

import jsonpatch from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import { ApiError } from '../../base/errors.ts';
import { deepCopy, goJsonType, isObject } from './json-value.ts';
import { patchNotApplicable } from './patch-errors.ts';

const MAX_OPERATIONS = 10000;

export function applyJsonPatch(live: object, patch: unknown): object {
  if (!Array.isArray(patch)) {
    throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type jsonpatch.Patch`);
  }
  for (const op of patch) {
    if (!isObject(op)) {
      throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  if (patch.length > MAX_OPERATIONS) {
    throw ApiError.tooLarge(`Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_OPERATIONS}, got ${patch.length}`);
  }
  let result: unknown;
  try {
    result = jsonpatch.applyPatch(deepCopy(live), deepCopy(patch) as Operation[], true, true).newDocument;
  } catch {
    throw patchNotApplicable();
  }
  // A patch may replace the whole document ("" path) with something that is not an object.
  if (!isObject(result)) throw patchNotApplicable();
  return result;
}
