// Arithmetic on ResourceLists ({"pods": "2", "requests.cpu": "500m"}) the way
// upstream's quota helpers do it: exact (bigint) quantities, the result of a
// sum printed in the format of its first non-zero term ("1Gi" + "512Mi" =
// "1536Mi"), missing entries counting as zero where upstream does.

import { compareQuantities, formatQuantity, parseQuantity, type Quantity } from '../validation/quantity.ts';

export type ResourceList = Record<string, string>;

const ZERO: Quantity = { unscaled: 0n, scale: 0, format: 'DecimalSI', value: 0 };

export function quantityOf(v: string | number | undefined | null): Quantity {
  return (v === undefined || v === null ? undefined : parseQuantity(v)) ?? ZERO;
}

function make(unscaled: bigint, scale: number, format: Quantity['format']): Quantity {
  return { unscaled, scale, format, value: Number(unscaled) * 10 ** scale };
}

/** a + b, exactly; a zero `a` takes b's format (resource.Quantity.Add). */
export function addQuantities(a: Quantity, b: Quantity): Quantity {
  const s = Math.min(a.scale, b.scale);
  const x = a.unscaled * 10n ** BigInt(a.scale - s);
  const y = b.unscaled * 10n ** BigInt(b.scale - s);
  return make(x + y, s, a.unscaled === 0n ? b.format : a.format);
}

export function negate(q: Quantity): Quantity {
  return make(-q.unscaled, q.scale, q.format);
}

export function subtractQuantities(a: Quantity, b: Quantity): Quantity {
  return addQuantities(a, negate(b));
}

/** Sum of two lists: every key of either. */
export function add(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    out[k] = formatQuantity(k in a ? (k in b ? addQuantities(quantityOf(a[k]), quantityOf(b[k])) : quantityOf(a[k])) : quantityOf(b[k]));
  }
  return out;
}

/** a - b for every key of either (keys only in b become negative). */
export function subtract(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) out[k] = formatQuantity(subtractQuantities(quantityOf(a[k]), quantityOf(b[k])));
  return out;
}

/** a - b, floored at zero (SubtractWithNonNegativeResult). */
export function subtractNonNegative(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = subtractQuantities(quantityOf(a[k]), quantityOf(b[k]));
    out[k] = d.unscaled < 0n ? '0' : formatQuantity(d);
  }
  return out;
}

/** Only the entries named. */
export function mask(list: ResourceList, names: Iterable<string>): ResourceList {
  const out: ResourceList = {};
  for (const n of names) if (n in list) out[n] = list[n];
  return out;
}

/** Upstream's LessThanOrEqual: every key of `a` that `b` has is ≤; returns the names that are not. */
export function lessThanOrEqual(a: ResourceList, b: ResourceList): { ok: boolean; exceeded: string[] } {
  const exceeded: string[] = [];
  for (const [k, v] of Object.entries(a)) {
    if (!(k in b)) continue;
    if (compareQuantities(quantityOf(v), quantityOf(b[k])) > 0) exceeded.push(k);
  }
  return { ok: exceeded.length === 0, exceeded };
}

export function isZero(list: ResourceList): boolean {
  return Object.values(list).every((v) => quantityOf(v).unscaled === 0n);
}

export function removeZeros(list: ResourceList): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list)) if (quantityOf(v).unscaled !== 0n) out[k] = v;
  return out;
}

/** The names with a negative value, sorted. */
export function negatives(list: ResourceList): string[] {
  return Object.keys(list).filter((k) => quantityOf(list[k]).unscaled < 0n).sort();
}

/** Same keys, equal quantities (quota.Equals). */
export function equals(a: ResourceList | undefined, b: ResourceList | undefined): boolean {
  const x = a ?? {};
  const y = b ?? {};
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  return kx.every((k) => k in y && compareQuantities(quantityOf(x[k]), quantityOf(y[k])) === 0);
}

/** Per-key maximum (missing = absent, not zero). */
export function max(a: ResourceList, b: ResourceList): ResourceList {
  const out: ResourceList = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (!(k in out) || compareQuantities(quantityOf(v), quantityOf(out[k])) > 0) out[k] = v;
  }
  return out;
}

/** Canonical form of every value. */
export function canonical(list: ResourceList | undefined): ResourceList {
  const out: ResourceList = {};
  for (const [k, v] of Object.entries(list ?? {})) out[k] = formatQuantity(quantityOf(v));
  return out;
}

/** "pods=1,requests.cpu=500m" — sorted by name (the admission error format). */
export function prettyPrint(list: ResourceList): string {
  return Object.keys(list).sort().map((k) => `${k}=${formatQuantity(quantityOf(list[k]))}`).join(',');
}
