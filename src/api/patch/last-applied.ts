// How server-side apply by `kubectl` coexists with client-side apply's
// kubectl.kubernetes.io/last-applied-configuration annotation, as upstream does
// it for the manager named exactly "kubectl":
//  - fields the annotation lists with the value the object still has are
//    treated as the applier's own, so moving an object from client-side to
//    server-side apply does not conflict with "kubectl-client-side-apply";
//  - after a successful apply the annotation (if the object has one) is
//    rewritten to the new configuration, so a later client-side apply computes
//    its patch from what was really applied.

import type { SchemaNode } from '../schema/types.ts';
import { canonicalJson, deepCopy, isObject, type JsonObject } from './json-value.ts';
import type { FieldSet } from './fieldset.ts';
import { compare, toFieldSet } from './typed.ts';

export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const LAST_APPLIED_MANAGER = 'kubectl';
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function annotations(obj: unknown): JsonObject | undefined {
  const meta = isObject(obj) ? obj.metadata : undefined;
  return isObject(meta) && isObject(meta.annotations) ? meta.annotations : undefined;
}

/** Fields of the last-applied configuration whose value the live object still has. */
export function fieldsFromLastApplied(live: JsonObject, schema: SchemaNode | undefined): FieldSet | undefined {
  const text = annotations(live)?.[LAST_APPLIED];
  if (typeof text !== 'string' || text === '') return undefined;
  let last: unknown;
  try {
    last = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isObject(last)) return undefined;
  const c = compare(last, live, schema);
  return toFieldSet(last, schema).difference(c.modified).difference(c.added).difference(c.removed);
}

/** Go's encoding/json output for the value: sorted keys, HTML-safe escapes, trailing newline. */
function goJson(v: unknown): string {
  return `${canonicalJson(v)
    .replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
}

function annotationsSize(a: JsonObject): number {
  let n = 0;
  for (const [k, v] of Object.entries(a)) n += Buffer.byteLength(k) + Buffer.byteLength(String(v));
  return n;
}

/** Rewrites the object's last-applied annotation to `applied`, when the object carries one. */
export function syncLastApplied(obj: JsonObject, applied: JsonObject): void {
  const ann = annotations(obj);
  if (!ann || typeof ann[LAST_APPLIED] !== 'string' || ann[LAST_APPLIED] === '') return;
  const config = deepCopy(applied);
  const own = annotations(config);
  if (own) delete own[LAST_APPLIED];
  ann[LAST_APPLIED] = goJson(config);
  if (annotationsSize(ann) > TOTAL_ANNOTATION_SIZE_LIMIT) delete ann[LAST_APPLIED];
}
