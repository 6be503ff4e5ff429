// Ordering of merged lists in a strategic merge patch, as upstream does it: the
// items named by the patch (or by its $setElementOrder list) keep the patch's
// order, the items only the server has keep their live order, and the two are
// interleaved using the live order as the reference.

import { goFormat, isObject, type JsonObject } from './json-value.ts';
import { SmpError } from './strategic-errors.ts';

/** Item identity within a list: the merge key's value for lists of maps, the value itself otherwise. */
export function identity(item: unknown, mergeKey: string): unknown {
  return mergeKey ? (isObject(item) ? item[mergeKey] : undefined) : item;
}

export function sameScalar(a: unknown, b: unknown): boolean {
  return a === b;
}

function indexIn(list: unknown[], item: unknown, mergeKey: string): number {
  const id = identity(item, mergeKey);
  return list.findIndex((x) => sameScalar(identity(x, mergeKey), id));
}

/** Splits `merged` into the items that `by` names and the others, keeping order. */
export function partition(merged: unknown[], by: unknown[], mergeKey: string): [unknown[], unknown[]] {
  const named: unknown[] = [];
  const others: unknown[] = [];
  for (const item of merged) {
    if (mergeKey && !(isObject(item) && mergeKey in item)) {
      throw new SmpError('internal', `map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
    }
    (indexIn(by, item, mergeKey) >= 0 ? named : others).push(item);
  }
  return [named, others];
}

function requireMergeKey(mergeKey: string, ...lists: unknown[][]): void {
  for (const list of lists) {
    for (const item of list) {
      if (!isObject(item)) throw new SmpError('internal', `expected a map[string]interface {}, but received a ${typeName(item)}`);
      if (!(mergeKey in item)) throw new SmpError('internal', `map: ${goFormat(item)} does not contain declared merge key: ${mergeKey}`);
    }
  }
}

function typeName(v: unknown): string {
  if (Array.isArray(v)) return '[]interface {}';
  if (typeof v === 'number') return 'float64';
  if (v === null || v === undefined) return '<nil>';
  return typeof v;
}

/** Sorts `items` by their position in `order`; items absent from it keep their relative order at the end. */
function sortBy(items: unknown[], order: unknown[], mergeKey: string, maps: boolean): unknown[] {
  let rest: unknown[] = [];
  let toSort = items;
  if (maps) {
    requireMergeKey(mergeKey, items, order);
    toSort = items.filter((i) => (i as JsonObject).$patch !== 'delete');
    rest = items.filter((i) => (i as JsonObject).$patch === 'delete');
  }
  const key = maps ? mergeKey : '';
  const found = toSort.map((item, i) => ({ item, i, at: indexIn(order, item, key) }));
  const known = found.filter((f) => f.at >= 0).sort((a, b) => a.at - b.at || a.i - b.i);
  const unknown = found.filter((f) => f.at < 0);
  return [...known, ...unknown].map((f) => f.item).concat(rest);
}

/**
 * Interleaves server-only items (`left`) into patch items (`right`): a left item
 * goes before the current right item when the live order puts it there.
 */
function interleave(left: unknown[], right: unknown[], serverOrder: unknown[], mergeKey: string): unknown[] {
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) { out.push(right[j++]); continue; }
    if (j >= right.length) { out.push(left[i++]); continue; }
    const li = indexIn(serverOrder, left[i], mergeKey);
    const ri = indexIn(serverOrder, right[j], mergeKey);
    if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
    else out.push(right[j++]);
  }
  return out;
}

export function normalizeElementOrder(
  patchItems: unknown[], serverOnly: unknown[], patchOrder: unknown[], serverOrder: unknown[], mergeKey: string, maps: boolean,
): unknown[] {
  const p = sortBy(patchItems, patchOrder, mergeKey, maps);
  const s = sortBy(serverOnly, serverOrder, mergeKey, maps);
  return interleave(s, p, serverOrder, maps ? mergeKey : '');
}
