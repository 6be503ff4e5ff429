// Strategic merge patch (application/strategic-merge-patch+json), the patch
// `kubectl apply` (client-side), `kubectl patch` and `kubectl edit` send. Maps
// merge and null deletes, as in a merge patch; lists follow the field's
// x-kubernetes-patch-strategy: "merge" lists of objects merge item by item on
// x-kubernetes-patch-merge-key, "merge" lists of scalars are set unions, other
// lists are replaced. Directives:
//   $patch: replace|delete        on a map: replace it / clear it
//   {$patch: replace|delete, …}   as a list item: replace the list / delete the keyed item
//   $deleteFromPrimitiveList/<f>  values to remove from the scalar list f
//   $setElementOrder/<f>          the order of list f after merging
//   $retainKeys                   keys of the map to keep (others are cleared)
// `$patch: merge` is accepted as the default behaviour (upstream rejects it).

import { ApiError } from '../../base/errors.ts';
import type { SchemaNode } from '../schema/types.ts';
import { deepCopy, goFormat, goJsonType, isObject, pruneNulls, type JsonObject } from './json-value.ts';
import { applyMergePatch } from './merge-patch.ts';
import { itemSchema, memberSchema, patchMeta } from './schema-nav.ts';
import { MSG, SmpError } from './strategic-errors.ts';
import { identity, normalizeElementOrder, partition, sameScalar } from './strategic-order.ts';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const DELETE_PREFIX = '$deleteFromPrimitiveList';
const ORDER_PREFIX = '$setElementOrder';

/**
 * Applies `patch` to a copy of `live`. `schema` is the kind's top-level schema;
 * without one (a kind the schema does not know) the patch is a plain merge patch.
 */
export function applyStrategicMergePatch(live: object, patch: unknown, schema: SchemaNode | undefined): object {
  if (patch === null) return deepCopy(live); // Go decodes `null` into an empty patch
  if (!isObject(patch)) {
    throw ApiError.badRequest(`json: cannot unmarshal ${goJsonType(patch)} into Go value of type map[string]interface {}`);
  }
  if (!schema) return applyMergePatch(live, patch);
  try {
    return mergeMap(deepCopy(live) as JsonObject, deepCopy(patch), schema);
  } catch (e) {
    if (e instanceof SmpError) throw e.toApiError();
    throw e;
  }
}

/** Merges `patch` into `original`; both are private copies and may be mutated. */
function mergeMap(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): JsonObject {
  if (DIRECTIVE in patch) {
    const d = patch[DIRECTIVE];
    delete patch[DIRECTIVE];
    if (d === 'replace') return mergeMap({}, patch, node);
    if (d === 'delete') return {};
    if (d !== 'merge') throw new SmpError('internal', `unknown patch type: ${goFormat(d)} in map: ${goFormat({ ...patch, [DIRECTIVE]: d })}`);
  }
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, node);
  for (const [k, pv] of Object.entries(patch)) {
    if (k.startsWith(DELETE_PREFIX)) {
      deleteFromPrimitiveList(original, k, pv);
      continue;
    }
    if (pv === null) {
      delete original[k];
      continue;
    }
    const field = memberSchema(node, k);
    const ov = original[k];
    const meta = patchMeta(field);
    if (isObject(pv) && isObject(ov)) {
      original[k] = meta.strategy === 'replace' ? fresh(pv, field) : mergeMap(ov, pv, field);
    } else if (Array.isArray(pv) && Array.isArray(ov)) {
      original[k] = meta.strategy === 'merge' ? mergeList(ov, pv, field, meta.mergeKey) : fresh(pv, field);
    } else {
      original[k] = fresh(pv, field);
    }
  }
  return original;
}

/** A patch value stored where the original has nothing to merge with: directives applied, nulls dropped. */
function fresh(v: unknown, field: SchemaNode | undefined): unknown {
  if (isObject(v)) return mergeMap({}, v, field);
  if (Array.isArray(v)) {
    const meta = patchMeta(field);
    if (meta.strategy === 'merge') return mergeList([], v, field, meta.mergeKey);
    const elem = itemSchema(field);
    return v.map((item) => (isObject(item) ? mergeMap({}, item, elem) : pruneNulls(item)));
  }
  return v;
}

function extractKey(key: string, prefix: string, badFormat: string): string {
  const i = key.indexOf('/');
  if (i < 0 || key.slice(0, i) !== prefix) throw new SmpError('badRequest', badFormat);
  return key.slice(i + 1);
}

function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!(RETAIN_KEYS in patch)) return;
  const list = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(list)) throw new SmpError('badRequest', MSG.badRetainKeys);
  const keep = (k: string): boolean => list.some((x) => x === k);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || k.startsWith(DELETE_PREFIX) || k.startsWith(ORDER_PREFIX)) continue;
    if (!keep(k)) throw new SmpError('badRequest', MSG.badRetainKeys);
  }
  for (const k of Object.keys(original)) if (!keep(k)) delete original[k];
}

function deleteFromPrimitiveList(original: JsonObject, key: string, toDelete: unknown): void {
  const name = extractKey(key, DELETE_PREFIX, MSG.badPrimitiveList);
  const ov = original[name];
  if (!Array.isArray(ov) || !Array.isArray(toDelete)) return;
  elementKind(ov, toDelete);
  original[name] = ov.filter((x) => !toDelete.some((d) => sameScalar(d, x)));
}

function listTypeError(v: unknown): SmpError {
  const t = Array.isArray(v) ? '[]interface {}' : v === null ? '<nil>' : isObject(v) ? 'map[string]interface {}' : typeof v === 'number' ? 'float64' : typeof v;
  return new SmpError('internal', `expected a []interface {}, but received a ${t}`);
}

/** Processes each $setElementOrder/<f> together with the list f it orders. */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, node: SchemaNode | undefined): void {
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(ORDER_PREFIX)) continue;
    const order = patch[key];
    delete patch[key];
    if (!Array.isArray(order)) throw listTypeError(order);
    const name = extractKey(key, ORDER_PREFIX, MSG.badSetElementOrder);
    const foundOriginal = original[name] !== undefined;
    const foundPatch = name in patch;
    const ov = original[name];
    const pv = patch[name];
    if (foundOriginal && !Array.isArray(ov)) throw listTypeError(ov);
    if (foundPatch && !Array.isArray(pv)) throw listTypeError(pv);
    const field = memberSchema(node, name);
    const meta = patchMeta(field);
    const origList = (ov ?? []) as unknown[];
    const patchList = (pv ?? []) as unknown[];
    validateAgainstOrder(patchList, order, meta.mergeKey);
    let merged: unknown[];
    if (foundOriginal && foundPatch) {
      merged = meta.strategy === 'merge' ? mergeList(origList, patchList, field, meta.mergeKey) : fresh(patchList, field) as unknown[];
    } else if (foundPatch) {
      merged = fresh(patchList, field) as unknown[];
    } else if (foundOriginal) {
      merged = origList;
    } else {
      continue;
    }
    const kind = elementKind(origList, patchList);
    const maps = kind === 'map' || (kind === undefined && meta.mergeKey !== '');
    const mergeKey = maps ? meta.mergeKey : '';
    const [named, serverOnly] = partition(merged, order, mergeKey);
    original[name] = normalizeElementOrder(named, serverOnly, order, origList, mergeKey, maps);
    delete patch[name];
  }
}

/** Upstream's check that a patch list follows the relative order of its $setElementOrder list. */
function validateAgainstOrder(patchList: unknown[], order: unknown[], mergeKey: string): void {
  if (order.length === 0 || patchList.length === 0) return;
  let items = patchList;
  if (mergeKey) {
    for (const i of items) if (!isObject(i)) throw new SmpError('internal', `expected a map[string]interface {}, but received a ${typeof i}`);
    items = items.filter((i) => (i as JsonObject)[DIRECTIVE] !== 'delete');
  }
  const keyOf = (v: unknown): unknown => {
    if (!mergeKey) return v;
    if (!isObject(v) || !(mergeKey in v)) throw new SmpError('internal', `map: ${goFormat(v)} does not contain declared merge key: ${mergeKey}`);
    return v[mergeKey];
  };
  let pi = 0;
  let si = 0;
  while (pi < items.length && si < order.length) {
    const it = items[pi];
    if (isObject(it) && DIRECTIVE in it) {
      pi++;
      continue;
    }
    if (sameScalar(keyOf(it), keyOf(order[si]))) pi++;
    si++;
  }
  if (pi < items.length && si >= order.length) {
    throw new SmpError('internal', `The order in patch list:\n${goFormat(patchList)}\n doesn't match ${ORDER_PREFIX} list:\n${goFormat(order)}\n`);
  }
}

/** The common kind of the items of the lists: 'map', 'scalar' or undefined when all are empty. */
function elementKind(...lists: unknown[][]): 'map' | 'scalar' | undefined {
  let first: string | undefined;
  for (const list of lists) {
    for (const item of list) {
      const t = item === null ? 'null' : Array.isArray(item) ? 'array' : typeof item;
      if (first === undefined) {
        if (t === 'array') throw new SmpError('invalid', MSG.noListOfLists);
        first = t;
      } else if (t !== first) {
        throw new SmpError('internal', `list element types are not identical: ${goFormat(lists)}`);
      }
    }
  }
  if (first === undefined) return undefined;
  return first === 'object' ? 'map' : 'scalar';
}

function mergeList(original: unknown[], patch: unknown[], field: SchemaNode | undefined, mergeKey: string): unknown[] {
  if (original.length === 0 && patch.length === 0) return original;
  const kind = elementKind(original, patch);
  if (kind !== 'map') {
    const merged: unknown[] = [];
    for (const v of [...original, ...patch]) if (!merged.some((m) => sameScalar(m, v))) merged.push(v);
    const [named, serverOnly] = partition(merged, patch, '');
    return normalizeElementOrder(named, serverOnly, patch, original, '', false);
  }
  if (!mergeKey) throw new SmpError('internal', 'cannot merge lists without merge key for type struct');
  const elem = itemSchema(field);
  const [base, items] = applyListDirectives(original, patch as JsonObject[], mergeKey, elem);
  const merged = [...base];
  for (const item of items) {
    if (!(mergeKey in item)) throw new SmpError('internal', `map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
    const at = merged.findIndex((o, i) => {
      if (!isObject(o)) throw new SmpError('internal', `value for key ${i} is not a map.`);
      return mergeKey in o && sameScalar(o[mergeKey], item[mergeKey]);
    });
    if (at >= 0) merged[at] = mergeMap(merged[at] as JsonObject, item, elem);
    else merged.push(fresh(item, elem));
  }
  const [named, serverOnly] = partition(merged, items, mergeKey);
  return normalizeElementOrder(named, serverOnly, items, base, mergeKey, true);
}

/**
 * Applies the list items that carry a $patch directive. Returns the original list
 * with deletions made (or the replacement list) and the remaining patch items.
 */
function applyListDirectives(original: unknown[], patch: JsonObject[], mergeKey: string, elem: SchemaNode | undefined): [unknown[], JsonObject[]] {
  let base = original;
  let replace = false;
  const rest: JsonObject[] = [];
  for (const item of patch) {
    if (!(DIRECTIVE in item)) {
      rest.push(item);
      continue;
    }
    const d = item[DIRECTIVE];
    if (d === 'delete') {
      if (!(mergeKey in item)) throw new SmpError('internal', `map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
      base = base.filter((o) => !sameScalar(identity(o, mergeKey), item[mergeKey]));
    } else if (d === 'replace') {
      replace = true;
    } else if (d !== 'merge') {
      throw new SmpError('internal', `unknown patch type: ${goFormat(d)} in map: ${goFormat(item)}`);
    }
  }
  if (replace) return [rest.map((i) => fresh(i, elem)), []];
  return [base, rest];
}
