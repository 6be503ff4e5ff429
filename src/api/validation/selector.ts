// Label maps and label selectors: validation with upstream's messages, and the
// matching needed to check that a selector selects its own pod template.

import { type Errs, child, index, invalid, required, forbidden, isObj, arr, str } from './field.ts';
import { labelValueErrors, qualifiedNameErrors } from './names.ts';

/** Label maps report every problem at the map's own path (e.g. metadata.labels). */
export function validateLabels(labels: unknown, path: string): Errs {
  const errs: Errs = [];
  if (!isObj(labels)) return errs;
  for (const [k, v] of Object.entries(labels)) {
    errs.push(...validateLabelName(k, path));
    const val = typeof v === 'string' ? v : String(v);
    for (const m of labelValueErrors(val)) errs.push(invalid(path, val, m));
  }
  return errs;
}

export function validateLabelName(name: string, path: string): Errs {
  return qualifiedNameErrors(name).map((m) => invalid(path, name, m));
}

export function validateQualifiedName(name: string, path: string): Errs {
  return qualifiedNameErrors(name).map((m) => invalid(path, name, m));
}

/** metav1.LabelSelector validation (matchLabels + matchExpressions). */
export function validateLabelSelector(sel: unknown, path: string, allowInvalidValues = false): Errs {
  const errs: Errs = [];
  if (!isObj(sel)) return errs;
  errs.push(...validateLabels(sel.matchLabels, child(path, 'matchLabels')));
  arr(sel.matchExpressions).forEach((e, i) => {
    errs.push(...validateRequirement(e, index(child(path, 'matchExpressions'), i), allowInvalidValues));
  });
  return errs;
}

function validateRequirement(e: any, path: string, allowInvalidValues: boolean): Errs {
  const errs: Errs = [];
  const op = str(e?.operator);
  const values = arr(e?.values);
  switch (op) {
    case 'In': case 'NotIn':
      if (values.length === 0) errs.push(required(child(path, 'values'), "must be specified when `operator` is 'In' or 'NotIn'"));
      break;
    case 'Exists': case 'DoesNotExist':
      if (values.length > 0) errs.push(forbidden(child(path, 'values'), "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
      break;
    default:
      errs.push(invalid(child(path, 'operator'), op, 'not a valid selector operator'));
  }
  errs.push(...validateLabelName(str(e?.key), child(path, 'key')));
  if (!allowInvalidValues) {
    values.forEach((v, i) => {
      const s = String(v);
      for (const m of labelValueErrors(s)) errs.push(invalid(index(child(path, 'values'), i), s, m));
    });
  }
  return errs;
}

/** A converted selector; `nothing` selects no object (a nil selector), `everything` is `{}`. */
export type Selector = { kind: 'nothing' } | { kind: 'everything' } | { kind: 'match'; test: (labels: Record<string, string>) => boolean };

/**
 * Converts like metav1.LabelSelectorAsSelector: undefined for a selector that
 * cannot be converted (upstream's error case), Nothing for nil.
 */
export function labelSelectorAsSelector(sel: unknown): Selector | undefined {
  if (sel === undefined || sel === null) return { kind: 'nothing' };
  if (!isObj(sel)) return undefined;
  const ml = isObj(sel.matchLabels) ? sel.matchLabels : {};
  const exprs = arr(sel.matchExpressions);
  if (Object.keys(ml).length === 0 && exprs.length === 0) return { kind: 'everything' };
  const tests: ((l: Record<string, string>) => boolean)[] = [];
  for (const [k, v] of Object.entries(ml)) {
    const val = String(v);
    if (qualifiedNameErrors(k).length || labelValueErrors(val).length) return undefined;
    tests.push((l) => l[k] === val);
  }
  for (const e of exprs) {
    const k = str(e?.key);
    const values = arr(e?.values).map(String);
    if (qualifiedNameErrors(k).length) return undefined;
    switch (e?.operator) {
      case 'In':
        if (!values.length || values.some((v) => labelValueErrors(v).length)) return undefined;
        tests.push((l) => k in l && values.includes(l[k]));
        break;
      case 'NotIn':
        if (!values.length || values.some((v) => labelValueErrors(v).length)) return undefined;
        tests.push((l) => !(k in l) || !values.includes(l[k]));
        break;
      case 'Exists':
        if (values.length) return undefined;
        tests.push((l) => k in l);
        break;
      case 'DoesNotExist':
        if (values.length) return undefined;
        tests.push((l) => !(k in l));
        break;
      default:
        return undefined;
    }
  }
  return { kind: 'match', test: (l) => tests.every((t) => t(l)) };
}

export function selectorMatches(s: Selector, labels: unknown): boolean {
  if (s.kind === 'nothing') return false;
  if (s.kind === 'everything') return true;
  const l: Record<string, string> = {};
  if (isObj(labels)) for (const [k, v] of Object.entries(labels)) l[k] = String(v);
  return s.test(l);
}

/** Upstream's Selector.Empty(): true only for the select-everything selector. */
export const selectorEmpty = (s: Selector): boolean => s.kind === 'everything';
