// Small helpers for defaulting: objects arrive as untrusted JSON, so every
// step checks shapes before touching them.

import { parseQuantity, formatQuantity, roundUpMilli } from '../validation/quantity.ts';

export type Obj = Record<string, any>;

export const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);
export const isSet = (x: unknown): boolean => x !== undefined && x !== null;

/** The object at obj[k], created when absent; undefined when obj[k] holds something else. */
export function ensure(obj: Obj, k: string): Obj | undefined {
  if (!isSet(obj[k])) obj[k] = {};
  return isObj(obj[k]) ? obj[k] : undefined;
}

export function setDefault(obj: Obj, k: string, v: unknown): void {
  if (!isSet(obj[k]) || obj[k] === '') obj[k] = v;
}

export function each(list: unknown, fn: (o: Obj, i: number) => void): void {
  if (Array.isArray(list)) list.forEach((x, i) => { if (isObj(x)) fn(x, i); });
}

/** Canonical text for one quantity field (left alone when it does not parse). */
export function canonicalQuantityField(o: Obj, k: string): void {
  if (!isSet(o[k])) return;
  const q = parseQuantity(o[k]);
  if (q) o[k] = formatQuantity(q);
}

/**
 * A resource list (requests, limits, capacity, hard…): values are rounded up
 * to milli precision and written in canonical form, as upstream returns them.
 */
export function canonicalResourceList(o: Obj, k: string): void {
  const list = o[k];
  if (!isObj(list)) return;
  for (const [name, v] of Object.entries(list)) {
    const q = parseQuantity(v);
    if (q) list[name] = formatQuantity(roundUpMilli(q));
  }
}

/** Metadata of embedded templates serializes with a null creationTimestamp upstream. */
export function templateMetadata(tpl: Obj): void {
  const meta = ensure(tpl, 'metadata');
  if (meta && !('creationTimestamp' in meta)) meta.creationTimestamp = null;
}
