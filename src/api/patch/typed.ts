// Schema-aware operations on objects for server-side apply, following
// structured-merge-diff: the set of fields a value sets, the difference between
// two versions of an object, merging an applied configuration into a live
// object, and removing fields. Lists are merged and compared item by item when
// they are list-maps (by key) or sets (by value); atomic values are leaves.

import type { SchemaNode } from '../schema/types.ts';
import { deepCopy, deepEqual, isObject, pruneNulls, type JsonObject } from './json-value.ts';
import { field, keyElement, pathString, peString, type Path, type PathElement } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';
import { childSchema, declaredShape, keyDefault, shapeOf, type Shape } from './schema-nav.ts';

type Assoc = Extract<Shape, { kind: 'assoc' }>;

/**
 * The path element naming a list item. Items that cannot be keyed get their index
 * (and `onError` hears why); live objects are read leniently that way.
 */
export function itemElement(shape: Assoc, item: unknown, index: number, onError?: (msg: string) => void): PathElement {
  if (shape.keys.length === 0) return { t: 'v', value: item };
  if (item === null) {
    onError?.(`element ${index}: associative list with keys may not have a null element`);
    return { t: 'i', index };
  }
  if (!isObject(item)) {
    onError?.(`element ${index}: associative list with keys may not have non-map elements`);
    return { t: 'i', index };
  }
  const fields: [string, unknown][] = [];
  for (const k of shape.keys) {
    let v = item[k];
    if (v === undefined) v = keyDefault(shape.elem, k);
    if (v === undefined) {
      onError?.(`element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(k)} (and doesn't have default value)`);
      return { t: 'i', index };
    }
    fields.push([k, v]);
  }
  return keyElement(fields);
}

interface Entry { pe: PathElement; key: string; item: unknown }

function entries(shape: Assoc, list: unknown[]): Entry[] {
  return list.map((item, i) => {
    const pe = itemElement(shape, item, i);
    return { pe, key: peString(pe), item };
  });
}

function isGranular(s: Shape): boolean {
  return s.kind === 'struct' || s.kind === 'map' || s.kind === 'assoc';
}

// ---- field sets ---------------------------------------------------------------

/** The paths `value` sets: leaves, list items, and empty or null struct fields and map entries. */
export function toFieldSet(value: unknown, schema: SchemaNode | undefined): FieldSet {
  const root = new FieldSet();
  fill(root, value, schema);
  root.member = false;
  return root;
}

function fill(n: FieldSet, v: unknown, node: SchemaNode | undefined): void {
  const shape = shapeOf(node, v);
  if (shape.kind === 'scalar' || shape.kind === 'atomic') {
    n.member = true;
    return;
  }
  if (shape.kind === 'assoc') {
    for (const e of entries(shape, v as unknown[])) {
      const c = n.ensure(e.pe);
      fill(c, e.item, shape.elem);
      c.member = true;
    }
    return;
  }
  for (const [k, cv] of Object.entries(v as JsonObject)) {
    if (cv === undefined) continue;
    const c = n.ensure(field(k));
    fill(c, cv, childSchema(shape, k));
    const known = shape.kind === 'struct' && Object.prototype.hasOwnProperty.call(shape.fields, k);
    if (cv === null || (isObject(cv) && Object.keys(cv).length === 0) || !known) c.member = true;
    if (!c.member && c.children.size === 0) n.children.delete(peString(field(k)));
  }
}

/** Marks struct fields on the set's paths as members, as structured-merge-diff does before pruning. */
export function ensureNamedFields(set: FieldSet, schema: SchemaNode | undefined): FieldSet {
  const out = set.clone();
  mark(out, schema);
  return out;
}

function mark(n: FieldSet, node: SchemaNode | undefined): void {
  const d = declaredShape(node);
  for (const c of n.children.values()) {
    const pe = c.pe as PathElement;
    if (d.kind === 'struct' && pe.t === 'f') {
      const known = Object.prototype.hasOwnProperty.call(d.fields, pe.name);
      if (known) c.member = true;
      mark(c, known ? d.fields[pe.name] : undefined);
    } else if (d.kind === 'map' && pe.t === 'f') {
      mark(c, d.elem);
    } else if (d.kind === 'assoc' && pe.t !== 'f') {
      mark(c, d.elem);
    }
  }
}

// ---- comparison ---------------------------------------------------------------

export interface Comparison { added: FieldSet; removed: FieldSet; modified: FieldSet }

/**
 * What changed from `lhs` to `rhs` (either may be undefined). Every node of an
 * added or removed subtree is listed, as upstream does. With `zeroStructs` (a
 * create, compared with an empty object), nodes that Go's zero value of the kind
 * already has are not reported as added themselves: struct fields, and required
 * fields (serialized as null), reachable from the root through struct fields.
 */
export function compare(lhs: unknown, rhs: unknown, schema: SchemaNode | undefined, opts: { zeroStructs?: boolean } = {}): Comparison {
  const c: Comparison = { added: new FieldSet(), removed: new FieldSet(), modified: new FieldSet() };
  const walk = (path: Path, l: unknown, r: unknown, node: SchemaNode | undefined, inZero: boolean, required: boolean): void => {
    const shape = shapeOf(node, r !== undefined ? r : l);
    const fits = (x: unknown): boolean => x === undefined || shapeOf(node, x).kind === shape.kind;
    if (!isGranular(shape) || !fits(l) || !fits(r)) {
      if (path.length === 0) return;
      if (l === undefined) c.added.insert(path);
      else if (r === undefined) c.removed.insert(path);
      else if (!deepEqual(l, r)) c.modified.insert(path);
      return;
    }
    if (shape.kind === 'assoc') {
      const le = new Map(entries(shape, (l ?? []) as unknown[]).reverse().map((e) => [e.key, e]));
      const re = new Map(entries(shape, (r ?? []) as unknown[]).reverse().map((e) => [e.key, e]));
      for (const [k, e] of new Map([...le, ...re])) walk([...path, e.pe], le.get(k)?.item, re.get(k)?.item, shape.elem, false, false);
    } else {
      const lo = (l ?? {}) as JsonObject;
      const ro = (r ?? {}) as JsonObject;
      for (const k of new Set([...Object.keys(lo), ...Object.keys(ro)])) {
        const known = shape.kind === 'struct' && Object.prototype.hasOwnProperty.call(shape.fields, k);
        const req = shape.kind === 'struct' && shape.required.includes(k);
        walk([...path, field(k)], lo[k], ro[k], childSchema(shape, k), inZero && shape.kind === 'struct' && known, req);
      }
    }
    if (path.length === 0) return;
    if (opts.zeroStructs && inZero && (shape.kind === 'struct' || required)) return;
    if (l === undefined) c.added.insert(path);
    else if (r === undefined) c.removed.insert(path);
  };
  walk([], lhs, rhs, schema, true, false);
  return c;
}

// ---- merge --------------------------------------------------------------------

/** `live` with the applied configuration merged in; undefined when the result is unset. */
export function merge(live: unknown, applied: unknown, schema: SchemaNode | undefined): unknown {
  if (applied === undefined) return deepCopy(live);
  if (applied === null) return undefined; // an applied null unsets the field
  if (live === undefined || live === null) return pruneNulls(deepCopy(applied));
  const shape = shapeOf(schema, applied);
  if (shape.kind === 'struct' || shape.kind === 'map') {
    if (!isObject(live)) return pruneNulls(deepCopy(applied));
    const a = applied as JsonObject;
    const out: JsonObject = {};
    for (const [k, lv] of Object.entries(live)) {
      const m = a[k] === undefined ? deepCopy(lv) : merge(lv, a[k], childSchema(shape, k));
      if (m !== undefined) out[k] = m;
    }
    for (const [k, av] of Object.entries(a)) {
      if (k in live) continue;
      const m = merge(undefined, av, childSchema(shape, k));
      if (m !== undefined) out[k] = m;
    }
    return out;
  }
  if (shape.kind === 'assoc' && Array.isArray(live)) return mergeList(live, applied as unknown[], shape);
  return pruneNulls(deepCopy(applied));
}

const DUP = Symbol('duplicate');

/**
 * Merges list items by key. The applied order wins for the items it names; live
 * items it does not name stay where they were relative to their neighbours.
 */
function mergeList(live: unknown[], applied: unknown[], shape: Assoc): unknown[] {
  const lhs = entries(shape, live);
  const rhs = entries(shape, applied);
  const lMap = new Map<string, unknown>();
  for (const e of lhs) lMap.set(e.key, lMap.has(e.key) ? DUP : e.item);
  const rMap = new Map(rhs.map((e) => [e.key, e.item]));
  const shared = rhs.filter((e) => lMap.has(e.key)).map((e) => e.key);
  let si = 0;
  let next: string | undefined = shared[si++];
  const done = new Set<string>();
  const out: unknown[] = [];
  const take = (l: unknown, r: unknown): void => {
    const m = merge(l === DUP ? undefined : l, r, shape.elem);
    if (m !== undefined) out.push(m);
  };
  let li = 0;
  let ri = 0;
  while (li < lhs.length || ri < rhs.length) {
    if (li < lhs.length && ri < rhs.length) {
      const k = lhs[li].key;
      if (k === rhs[ri].key) {
        done.add(k);
        take(lMap.get(k), rMap.get(k));
        li++;
        ri++;
        next = shared[si++];
        continue;
      }
      if (rMap.has(k) && next !== undefined && next !== k) {
        li++;
        continue;
      }
    }
    if (li < lhs.length) {
      const k = lhs[li].key;
      if (!rMap.has(k)) {
        out.push(deepCopy(lhs[li].item));
        li++;
        continue;
      }
      if (done.has(k)) {
        li++;
        continue;
      }
    }
    if (ri < rhs.length) {
      const k = rhs[ri].key;
      done.add(k);
      take(lMap.get(k), rMap.get(k));
      ri++;
      if (next === k) next = shared[si++];
    }
  }
  return out;
}

// ---- removal ------------------------------------------------------------------

/**
 * `value` without the members of `set` (each removed with everything below it).
 * With `dropEmptied`, maps and lists emptied by the removal are removed too, as
 * Go's omitempty would.
 */
export function removeItems(value: unknown, set: FieldSet, schema: SchemaNode | undefined, dropEmptied = true): unknown {
  if (set.isEmpty()) return value;
  const shape = shapeOf(schema, value);
  if (shape.kind === 'struct' || shape.kind === 'map') {
    const v = value as JsonObject;
    const out: JsonObject = {};
    for (const [k, cv] of Object.entries(v)) {
      const c = set.child(field(k));
      if (c?.member) continue;
      const nv = c ? removeItems(cv, c, childSchema(shape, k), dropEmptied) : cv;
      if (nv !== undefined) out[k] = nv;
    }
    return dropEmptied && shape.kind === 'map' && Object.keys(out).length === 0 && Object.keys(v).length > 0 ? undefined : out;
  }
  if (shape.kind === 'assoc') {
    const v = value as unknown[];
    const out: unknown[] = [];
    for (const e of entries(shape, v)) {
      const c = set.child(e.key);
      if (c?.member) continue;
      const nv = c ? removeItems(e.item, c, shape.elem, dropEmptied) : e.item;
      if (nv !== undefined) out.push(nv);
    }
    return dropEmptied && out.length === 0 && v.length > 0 ? undefined : out;
  }
  return value;
}

// ---- validation of an applied configuration -----------------------------------

function valueText(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : JSON.stringify(v) ?? String(v);
}

/** structured-merge-diff's complaints about an applied configuration, as "<path>: <problem>". */
export function validateApplied(value: unknown, schema: SchemaNode | undefined): string[] {
  const errs: string[] = [];
  const check = (v: unknown, node: SchemaNode | undefined, path: string): void => {
    const d = declaredShape(node);
    if (v === null || d.kind === 'any' || d.kind === 'scalar' || d.kind === 'atomic') return;
    if (d.kind === 'struct' || d.kind === 'map') {
      if (!isObject(v)) {
        errs.push(`${path}: expected map, got ${valueText(v)}`);
        return;
      }
      for (const [k, cv] of Object.entries(v)) {
        const p = `${path}.${k}`;
        if (d.kind === 'struct' && !Object.prototype.hasOwnProperty.call(d.fields, k)) {
          if (!d.open) errs.push(`${p}: field not declared in schema`);
          continue;
        }
        check(cv, childSchema(d, k), p);
      }
      return;
    }
    if (!Array.isArray(v)) {
      errs.push(`${path}: expected list, got ${valueText(v)}`);
      return;
    }
    const seen = new Set<string>();
    v.forEach((item, i) => {
      let bad = false;
      const pe = itemElement(d, item, i, (msg) => { bad = true; errs.push(`${path}: ${msg}`); });
      if (bad) return;
      const key = peString(pe);
      const shown = pathString([pe]);
      if (seen.has(key)) errs.push(`${path}: duplicate entries for key ${shown}`);
      seen.add(key);
      check(item, d.elem, `${path}${shown}`);
    });
  };
  check(value, schema, '');
  return errs;
}
