// Server-side apply (application/apply-patch+yaml): the applied configuration is
// merged into the live object per the schema, the applier comes to own exactly
// the fields its configuration sets, fields it applied before and no longer does
// are removed unless someone else owns them, and changing a field another
// manager owns is a conflict unless forced (then the other manager loses it).

import { parse as parseYaml } from 'yaml';
import { ApiError } from '../../base/errors.ts';
import { findByKind, qualifiedName } from '../resources.ts';
import type { SchemaNode } from '../schema/types.ts';
import { deepCopy, deepEqual, goJsonType, isObject, type JsonObject } from './json-value.ts';
import type { Path } from './fieldpath.ts';
import { conflictError, type ManagerConflict } from './conflicts.ts';
import { fieldsFromLastApplied, LAST_APPLIED_MANAGER, syncLastApplied } from './last-applied.ts';
import { filterComparison, takeFromManagers } from './managed-fields.ts';
import {
  capUpdateManagers, decodeManagedFields, defaultResetFields, formatTime, managerKey, stripMeta, withoutManagedFields,
  writeManagedFields, type ManagerEntry, type ManagerId, type Managers,
} from './managers.ts';
import { plainServerError } from './patch-errors.ts';
import { prune } from './prune.ts';
import { compare, merge, toFieldSet, validateApplied } from './typed.ts';

export interface ServerSideApplyArgs {
  /** The stored object, or undefined when the apply creates it. */
  live: JsonObject | undefined;
  /** The applied configuration (the request body, decoded). */
  applied: JsonObject;
  manager: string;
  force: boolean;
  schema: SchemaNode | undefined;
  now: Date;
  subresource?: string;
  /** The version the request addresses; defaults to the live object's. */
  apiVersion?: string;
  /** Top-level paths the apply cannot own; defaults to status (main resource) or spec (status). */
  resetFields?: Path[];
}

/** Decodes an apply-patch+yaml body (JSON is YAML too). */
export function parseApplyPatch(body: string): JsonObject {
  let v: unknown;
  try {
    v = parseYaml(body);
  } catch (e) {
    throw ApiError.badRequest(`error decoding YAML: ${(e as Error).message}`);
  }
  if (!isObject(v)) {
    throw ApiError.badRequest(`error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal ${goJsonType(v)} into Go value of type map[string]interface {}`);
  }
  return v;
}

/** Returns the object to store, with metadata.managedFields set. Throws ApiError (409 on conflicts). */
export function serverSideApply(args: ServerSideApplyArgs): JsonObject {
  const { live, applied, manager, schema } = args;
  if (!isObject(applied)) throw ApiError.badRequest('the body of the request was not a valid apply configuration');
  checkRequest(args);
  const errs = validateApplied(applied, schema);
  if (errs.length > 0) {
    const text = errs.length === 1 ? errs[0] : ['errors:', ...errs.map((e) => `  ${e}`)].join('\n');
    throw plainServerError(`failed to create typed patch object (${describeObject(applied)}): ${text}`);
  }
  const liveObj = live ? withoutManagedFields(deepCopy(live)) : {};
  const apiVersion = args.apiVersion ?? String(live?.apiVersion ?? applied.apiVersion ?? '');
  const managers = live ? liveManagers(liveObj, live, schema, apiVersion) : new Map();
  const id: ManagerId = { manager, operation: 'Apply', apiVersion };
  if (args.subresource) id.subresource = args.subresource;
  const step: Step = { liveObj, isCreate: !live, applied, schema, managers, id, reset: args.resetFields ?? defaultResetFields(args.subresource), now: args.now };

  let outcome = applyOnce(step, args.force);
  if ('conflicts' in outcome) {
    const allowed = manager === LAST_APPLIED_MANAGER && live ? fieldsFromLastApplied(liveObj, schema) : undefined;
    const remaining = allowed
      ? outcome.conflicts.map((c) => ({ ...c, fields: c.fields.difference(allowed) })).filter((c) => !c.fields.isEmpty())
      : outcome.conflicts;
    if (remaining.length > 0) throw conflictError(remaining);
    outcome = applyOnce(step, true);
    if ('conflicts' in outcome) throw conflictError(outcome.conflicts);
  }
  const result = outcome.object;
  if (manager === LAST_APPLIED_MANAGER) syncLastApplied(result, applied);
  capUpdateManagers(outcome.managers);
  writeManagedFields(result, outcome.managers);
  return result;
}

function checkRequest(args: ServerSideApplyArgs): void {
  const { live, applied } = args;
  const meta = isObject(applied.metadata) ? applied.metadata : {};
  if (meta.managedFields !== undefined && meta.managedFields !== null) throw ApiError.badRequest('metadata.managedFields must be nil');
  const wantVersion = args.apiVersion ?? live?.apiVersion;
  const wantKind = live?.kind;
  if ((wantVersion !== undefined && applied.apiVersion !== wantVersion) || (wantKind !== undefined && applied.kind !== wantKind)) {
    throw ApiError.badRequest(`invalid object type: ${gvkString(applied)}`);
  }
  if (!live) return;
  const liveMeta = isObject(live.metadata) ? live.metadata : {};
  const conflict = (why: string): ApiError => {
    const info = findByKind(String(live.apiVersion ?? ''), String(live.kind ?? ''));
    const qualified = info ? qualifiedName(info) : String(live.kind ?? '').toLowerCase();
    return ApiError.conflict(qualified, String(liveMeta.name ?? ''), why, info?.group ?? '');
  };
  if (typeof meta.uid === 'string' && meta.uid !== '' && meta.uid !== liveMeta.uid) {
    throw conflict(`Precondition failed: UID in precondition: ${meta.uid}, UID in object meta: ${String(liveMeta.uid ?? '')}`);
  }
  if (typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' && meta.resourceVersion !== liveMeta.resourceVersion) {
    throw conflict('the object has been modified; please apply your changes to the latest version and try again');
  }
}

/** Go's GroupVersionKind.String(): "apps/v1, Kind=Deployment", "/v1, Kind=Pod". */
function gvkString(obj: JsonObject): string {
  const av = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const i = av.indexOf('/');
  const gv = i < 0 ? `/${av}` : av;
  return `${gv}, Kind=${typeof obj.kind === 'string' ? obj.kind : ''}`;
}

function describeObject(obj: JsonObject): string {
  const meta = isObject(obj.metadata) ? obj.metadata : {};
  return `${String(meta.namespace ?? '')}/${String(meta.name ?? '')}; ${gvkString(obj)}`;
}

/** The live object's managers; an object that has none is owned wholesale by "before-first-apply". */
function liveManagers(liveObj: JsonObject, live: JsonObject, schema: SchemaNode | undefined, apiVersion: string): Managers {
  let managers: Managers;
  try {
    managers = decodeManagedFields(isObject(live.metadata) ? live.metadata.managedFields : undefined);
  } catch (e) {
    throw plainServerError(`failed to decode managed fields: ${(e as Error).message}`);
  }
  if (managers.size === 0) {
    const set = stripMeta(toFieldSet(liveObj, schema));
    const id: ManagerId = { manager: 'before-first-apply', operation: 'Update', apiVersion };
    if (!set.isEmpty()) managers.set(managerKey(id), { ...id, set });
  }
  return managers;
}

interface Step {
  liveObj: JsonObject;
  isCreate: boolean;
  applied: JsonObject;
  schema: SchemaNode | undefined;
  managers: Managers;
  id: ManagerId;
  reset: Path[];
  now: Date;
}

type Outcome = { object: JsonObject; managers: Managers } | { conflicts: ManagerConflict[] };

/** Metadata the server maintains; an applied configuration cannot change it. */
const SYSTEM_META = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink', 'deletionTimestamp', 'deletionGracePeriodSeconds'];

function keepSystemMeta(merged: JsonObject, liveObj: JsonObject): void {
  const lm = isObject(liveObj.metadata) ? liveObj.metadata : {};
  if (!isObject(merged.metadata)) merged.metadata = {};
  const mm = merged.metadata as JsonObject;
  for (const k of SYSTEM_META) {
    if (lm[k] === undefined) delete mm[k];
    else mm[k] = deepCopy(lm[k]);
  }
}

function applyOnce(s: Step, force: boolean): Outcome {
  const managers: Managers = new Map([...s.managers].map(([k, m]) => [k, { ...m }]));
  const key = managerKey(s.id);
  const previous = managers.get(key);
  const configFields = toFieldSet(s.applied, s.schema).withoutPrefixes(s.reset);
  const mine: ManagerEntry = { ...s.id, set: configFields };
  if (previous?.time) mine.time = previous.time;
  managers.set(key, mine);

  let merged = (merge(s.liveObj, s.applied, s.schema) ?? {}) as JsonObject;
  if (!s.isCreate) keepSystemMeta(merged, s.liveObj);
  merged = (prune(merged, managers, previous?.set, s.schema) ?? {}) as JsonObject;

  const diff = filterComparison(compare(s.liveObj, merged, s.schema), s.reset);
  const changed = diff.modified.union(diff.added);
  const conflicts: ManagerConflict[] = [];
  for (const [k, m] of managers) {
    if (k === key) continue;
    const fields = m.set.intersection(changed);
    if (!fields.isEmpty()) conflicts.push({ key: k, manager: m, fields });
  }
  if (conflicts.length > 0 && !force) return { conflicts };
  takeFromManagers(managers, changed, diff.removed, key);

  const own = stripMeta(mine.set);
  if (own.isEmpty()) managers.delete(key);
  else mine.set = own;
  const unchanged = deepEqual(s.liveObj, merged);
  if (!unchanged) mine.time = formatTime(s.now);
  return { object: unchanged ? deepCopy(s.liveObj) : merged, managers };
}
