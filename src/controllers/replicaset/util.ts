// Small helpers the ReplicaSet and Deployment controllers share (upstream's
// pkg/controller helpers): times as the API writes them, JSON equality,
// controller references and the errors both treat specially.

import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { ApiError } from '../../base/errors.ts';
import type { KubeObject } from '../../client/index.ts';

/** metav1.Time as serialized: RFC 3339, whole seconds, UTC. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds of an RFC 3339 time; undefined when absent or unparsable (Go's zero time). */
export function parseTime(s: string | undefined | null): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

/** Deep equality of JSON values; a property set to undefined equals a missing one. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!jsonEqual(ao[k], bo[k])) return false;
  return true;
}

function isEmptyish(v: unknown): boolean {
  if (v === undefined || v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === 'object' && Object.keys(v).length === 0;
}

/**
 * apimachinery's Semantic.DeepEqual on decoded JSON: like jsonEqual, but a nil
 * map or list equals an empty one (absent, null, [] and {} all compare equal).
 */
export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isEmptyish(a) && isEmptyish(b)) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => semanticEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
  for (const k of keys) if (!semanticEqual(ao[k], bo[k])) return false;
  return true;
}

/** metav1.GetControllerOf: the owner reference with controller=true. */
export function controllerOf(obj: KubeObject | undefined): OwnerReference | undefined {
  return obj?.metadata?.ownerReferences?.find((r) => r.controller === true);
}

/** metav1.NewControllerRef. */
export function newControllerRef(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion, kind, name: owner.metadata?.name ?? '', uid: owner.metadata?.uid ?? '',
    controller: true, blockOwnerDeletion: true,
  };
}

/** The 403 a create gets in a namespace being deleted (cause NamespaceTerminating): nothing to retry. */
export function isNamespaceTerminating(e: unknown): boolean {
  return e instanceof ApiError && !!e.details?.causes?.some((c) => c.reason === 'NamespaceTerminating');
}

export function isInvalid(e: unknown): boolean {
  return e instanceof ApiError && e.code === 422;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Several errors as one, like utilerrors.NewAggregate (undefined when there are none). */
export function aggregate(errors: unknown[]): Error | undefined {
  if (errors.length === 0) return undefined;
  if (errors.length === 1) return errors[0] instanceof Error ? errors[0] : new Error(String(errors[0]));
  return new Error(`[${errors.map(errorMessage).join(', ')}]`);
}
