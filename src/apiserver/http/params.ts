// Query parameters of resource requests, parsed and checked once.

import { ApiError } from '../../base/errors.ts';
import { parseFieldValidation } from '../../api/schema/unknown-fields.ts';
import type { DeleteOptions } from '../registry/strategy.ts';

export function boolParam(q: URLSearchParams, name: string): boolean | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === '' || v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw ApiError.badRequest(`invalid value for ${name}: ${v}`);
}

export function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v)) throw ApiError.badRequest(`invalid value for ${name}: ${v}: strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function dryRunParam(q: URLSearchParams): boolean {
  const vals = q.getAll('dryRun').filter((v) => v !== '');
  for (const v of vals) {
    if (v !== 'All') throw ApiError.invalid('CreateOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'dryRun', message: `Unsupported value: "${v}": supported values: "All"` }]);
  }
  return vals.length > 0;
}

const OPTIONS_KIND: Record<string, string> = { create: 'CreateOptions', update: 'UpdateOptions', patch: 'PatchOptions' };

/** fieldValidation, defaulting to Warn as upstream ≥1.27 does; a bad value is 422 on the verb's options kind. */
export function fieldValidationParam(q: URLSearchParams, verb: string): 'Strict' | 'Warn' | 'Ignore' {
  const r = parseFieldValidation(q.get('fieldValidation'));
  if (r.error) throw ApiError.invalid(OPTIONS_KIND[verb] ?? 'CreateOptions', 'meta.k8s.io', '', [r.error]);
  return r.directive ?? 'Warn';
}

/** DeleteOptions from the body (kubectl sends one) merged over query parameters. */
export function deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
  const opts: DeleteOptions = {};
  const g = intParam(q, 'gracePeriodSeconds');
  if (g !== undefined) opts.gracePeriodSeconds = g;
  const pp = q.get('propagationPolicy');
  if (pp) opts.propagationPolicy = pp as DeleteOptions['propagationPolicy'];
  const od = boolParam(q, 'orphanDependents');
  if (od !== undefined) opts.orphanDependents = od;
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (b.kind !== undefined && b.kind !== 'DeleteOptions') throw ApiError.badRequest(`expected a DeleteOptions body, got kind ${String(b.kind)}`);
    if (typeof b.gracePeriodSeconds === 'number') opts.gracePeriodSeconds = b.gracePeriodSeconds;
    if (typeof b.propagationPolicy === 'string') opts.propagationPolicy = b.propagationPolicy as DeleteOptions['propagationPolicy'];
    if (typeof b.orphanDependents === 'boolean') opts.orphanDependents = b.orphanDependents;
    if (b.preconditions && typeof b.preconditions === 'object') opts.preconditions = b.preconditions as DeleteOptions['preconditions'];
    if (Array.isArray(b.dryRun)) opts.dryRun = b.dryRun as string[];
  }
  if (opts.propagationPolicy && !['Orphan', 'Background', 'Foreground'].includes(opts.propagationPolicy)) {
    throw ApiError.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueNotSupported', field: 'propagationPolicy', message: `Unsupported value: "${opts.propagationPolicy}": supported values: "Foreground", "Background", "Orphan", "nil"` }]);
  }
  if (opts.orphanDependents !== undefined && opts.propagationPolicy) {
    throw ApiError.invalid('DeleteOptions', 'meta.k8s.io', '', [{ type: 'FieldValueInvalid', field: 'propagationPolicy', message: 'Invalid value: "' + opts.propagationPolicy + '": orphanDependents and deletionPropagation cannot be both set' }]);
  }
  return opts;
}
