// Helpers for the validation tests: build a valid object, break one thing,
// and look for the error upstream would report.

import assert from 'node:assert/strict';
import { applyDefaults, jobSelectorDefaults } from '../defaults/index.ts';
import { findByKind, type ResourceInfo } from '../resources.ts';
import type { FieldError } from '../../base/errors.ts';
import { validateCreate, validateUpdate } from './index.ts';

export function resource(apiVersion: string, kind: string): ResourceInfo {
  const r = findByKind(apiVersion, kind);
  if (!r) throw new Error(`no resource ${apiVersion} ${kind}`);
  return r;
}

/** Defaults then validates a new object, as the registry does. */
export function create(obj: any): FieldError[] {
  const res = resource(obj.apiVersion, obj.kind);
  applyDefaults(res, obj);
  if (obj.kind === 'Job' && obj.apiVersion === 'batch/v1' && obj.metadata?.uid) {
    jobSelectorDefaults(obj, obj.metadata.uid);
    applyDefaults(res, obj);
  }
  return validateCreate(res, obj);
}

export function update(obj: any, old: any): FieldError[] {
  const res = resource(obj.apiVersion, obj.kind);
  applyDefaults(res, obj);
  return validateUpdate(res, obj, old);
}

export interface Case { name: string; mutate: (o: any) => void; field: string; message: string }

export function expectError(errs: FieldError[], field: string, message: string): void {
  const hit = errs.some((e) => e.field === field && e.message === message);
  assert.ok(hit, `expected ${field}: ${message}\n got: ${JSON.stringify(errs, null, 1)}`);
}

export function expectValid(errs: FieldError[]): void {
  assert.deepEqual(errs, [], JSON.stringify(errs, null, 1));
}

/** Defaulted copy of a base object (what the store would hold). */
export function stored(base: () => any): any {
  const o = base();
  create(o);
  return o;
}
