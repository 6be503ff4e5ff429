// Building blocks for validators: field paths, FieldError builders, and a
// printer that renders values the way upstream's Go error messages do
// (`map[string]string{"a":"b"}`, `intstr.IntOrString{...}`), so messages match
// what kubectl users see from a real cluster.

import { fieldErr, type FieldError } from '../../base/errors.ts';

export type { FieldError };
export type Errs = FieldError[];

/** Field paths rendered like upstream's field.Path: a.b[0].c[key]. */
export const child = (path: string, ...names: string[]): string =>
  names.reduce((p, n) => (p ? `${p}.${n}` : n), path);
export const index = (path: string, i: number): string => `${path}[${i}]`;
export const key = (path: string, k: string): string => `${path}[${k}]`;

/** Text printed verbatim after `Invalid value: ` (Go's %v / %#v forms). */
export class GoValue { constructor(readonly text: string) {} }
export const raw = (text: string): GoValue => new GoValue(text);

export const required = (f: string, detail = ''): FieldError => fieldErr.required(f, detail);
export const forbidden = (f: string, detail: string): FieldError => fieldErr.forbidden(f, detail);
export const notFound = (f: string, value: unknown): FieldError => fieldErr.notFound(f, value);
export const tooLong = (f: string, max: number): FieldError => fieldErr.tooLong(f, max);
export const tooMany = (f: string, actual: number, max: number): FieldError => fieldErr.tooMany(f, actual, max);

export function invalid(f: string, value: unknown, detail: string): FieldError {
  if (value instanceof GoValue) {
    return { type: 'FieldValueInvalid', field: f, message: `Invalid value: ${value.text}${detail ? `: ${detail}` : ''}` };
  }
  return fieldErr.invalid(f, value, detail);
}

export function duplicate(f: string, value: unknown): FieldError {
  if (value instanceof GoValue) return { type: 'FieldValueDuplicate', field: f, message: `Duplicate value: ${value.text}` };
  return fieldErr.duplicate(f, value);
}

export function notSupported(f: string, value: unknown, valid: string[]): FieldError {
  if (value instanceof GoValue) {
    return { type: 'FieldValueNotSupported', field: f,
      message: `Unsupported value: ${value.text}${valid.length ? `: supported values: ${valid.map((v) => `"${v}"`).join(', ')}` : ''}` };
  }
  return fieldErr.notSupported(f, value, valid);
}

/** Invalid with no value shown (upstream's field.OmitValueType). */
export function invalidOmit(f: string, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: f, message: `Invalid value: ${detail}` };
}

export const FIELD_IMMUTABLE = 'field is immutable';
export const IS_NEGATIVE = 'must be greater than or equal to 0';

export function nonNegative(value: unknown, f: string): Errs {
  return typeof value === 'number' && value < 0 ? [invalid(f, value, IS_NEGATIVE)] : [];
}

// --- tolerant accessors: validation runs on whatever JSON the client sent ---

export const isObj = (x: unknown): x is Record<string, any> => typeof x === 'object' && x !== null && !Array.isArray(x);
export const arr = (x: unknown): any[] => (Array.isArray(x) ? x : []);
export const str = (x: unknown): string => (typeof x === 'string' ? x : '');
export const obj = (x: unknown): Record<string, any> => (isObj(x) ? x : {});
export const strMap = (x: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(x)) for (const [k, v] of Object.entries(x)) out[k] = typeof v === 'string' ? v : String(v);
  return out;
};

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/**
 * Equality that treats empty/absent the same, as Go's semantic DeepEqual does
 * for nil vs empty maps and slices after a JSON round trip.
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return deepEqual(prune(a), prune(b));
}

function prune(x: unknown): unknown {
  if (Array.isArray(x)) return x.length ? x.map(prune) : undefined;
  if (isObj(x)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      const p = prune(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return x === null ? undefined : x;
}

/** Drop exact duplicates (upstream's aggregate message lists each message once). */
export function dedupe(errs: Errs): Errs {
  const seen = new Set<string>();
  return errs.filter((e) => {
    const k = `${e.type}\u0000${e.field}\u0000${e.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// --- Go-style value printing ---

const q = (s: string): string => JSON.stringify(s);

export function goStringMap(m: unknown): GoValue {
  if (!isObj(m)) return raw('map[string]string(nil)');
  const keys = Object.keys(m).sort();
  return raw(`map[string]string{${keys.map((k) => `${q(k)}:${q(String(m[k]))}`).join(', ')}}`);
}

export function goStringSlice(a: unknown): GoValue {
  if (!Array.isArray(a)) return raw('[]string(nil)');
  return raw(`[]string{${a.map((s) => q(String(s))).join(', ')}}`);
}

export function goIntOrString(v: unknown): string {
  if (typeof v === 'string') return `intstr.IntOrString{Type:1, IntVal:0, StrVal:${q(v)}}`;
  return `intstr.IntOrString{Type:0, IntVal:${typeof v === 'number' ? v : 0}, StrVal:""}`;
}

export function goLabelSelector(sel: unknown): GoValue {
  if (!isObj(sel)) return raw('null');
  const exprs = Array.isArray(sel.matchExpressions)
    ? `[]v1.LabelSelectorRequirement{${sel.matchExpressions.map((e: any) =>
      `v1.LabelSelectorRequirement{Key:${q(str(e?.key))}, Operator:${q(str(e?.operator))}, Values:${goStringSlice(e?.values).text}}`).join(', ')}}`
    : '[]v1.LabelSelectorRequirement(nil)';
  return raw(`v1.LabelSelector{MatchLabels:${goStringMap(sel.matchLabels).text}, MatchExpressions:${exprs}}`);
}

/** Any other structured value: compact JSON is the closest readable stand-in for Go's %#v. */
export function goAny(v: unknown): GoValue {
  if (typeof v === 'string') return raw(q(v));
  if (v === undefined || v === null) return raw('null');
  if (typeof v === 'number' || typeof v === 'boolean') return raw(String(v));
  return raw(JSON.stringify(v));
}
