// The managedFields of an object, decoded: one entry per manager identity
// (name + operation + subresource, and apiVersion for Update), each owning a set
// of fields. Encoding sorts entries and writes fieldsV1 as upstream does.

import { isObject, type JsonObject } from './json-value.ts';
import { field, type Path } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';

export type Operation = 'Apply' | 'Update';

export interface ManagerId {
  manager: string;
  operation: Operation;
  apiVersion: string;
  subresource?: string;
}

export interface ManagerEntry extends ManagerId {
  /** RFC 3339, seconds precision; absent when never set. */
  time?: string;
  set: FieldSet;
}

/** Entries by identity (see managerKey). */
export type Managers = Map<string, ManagerEntry>;

/** Upstream's manager identifier: the entry's JSON without time and fields, and without apiVersion for appliers. */
export function managerKey(id: ManagerId): string {
  const o: Record<string, string> = {};
  if (id.manager) o.manager = id.manager;
  o.operation = id.operation;
  if (id.operation === 'Update' && id.apiVersion) o.apiVersion = id.apiVersion;
  if (id.subresource) o.subresource = id.subresource;
  return JSON.stringify(o);
}

/** How conflicts name a manager: `"kubectl"`, `"kube-controller-manager" using apps/v1`. */
export function describeManager(id: ManagerId): string {
  let s = JSON.stringify(id.manager);
  if (id.subresource) s += ` with subresource ${JSON.stringify(id.subresource)}`;
  if (id.operation === 'Update') s += ` using ${id.apiVersion}`;
  return s;
}

export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `managedFields: []` or `[{}]` in a request clears the object's managed fields. */
export function isResetRequest(v: unknown): boolean {
  if (!Array.isArray(v)) return false;
  return v.length === 0 || (v.length === 1 && isObject(v[0]) && Object.keys(v[0]).length === 0);
}

export function decodeManagedFields(v: unknown): Managers {
  const out: Managers = new Map();
  if (v === undefined || v === null) return out;
  if (!Array.isArray(v)) throw new Error('managedFields must be a list');
  v.forEach((e, i) => {
    if (!isObject(e)) throw new Error(`managed fields entry ${i} is not an object`);
    if (e.operation !== 'Apply' && e.operation !== 'Update') throw new Error('operation must be `Apply` or `Update`');
    if (typeof e.apiVersion !== 'string' || e.apiVersion === '') throw new Error('apiVersion must not be empty');
    if (e.fieldsType === undefined || e.fieldsType === '') throw new Error(`missing fieldsType in managed fields entry ${i}`);
    if (e.fieldsType !== 'FieldsV1') throw new Error(`invalid fieldsType ${JSON.stringify(e.fieldsType)} in managed fields entry ${i}`);
    const entry: ManagerEntry = {
      manager: typeof e.manager === 'string' ? e.manager : '',
      operation: e.operation,
      apiVersion: e.apiVersion,
      set: e.fieldsV1 === undefined || e.fieldsV1 === null ? new FieldSet() : FieldSet.fromFieldsV1(e.fieldsV1),
    };
    if (typeof e.subresource === 'string' && e.subresource) entry.subresource = e.subresource;
    if (typeof e.time === 'string' && e.time) entry.time = e.time;
    out.set(managerKey(entry), entry);
  });
  return out;
}

function seconds(t: string | undefined): number {
  if (!t) return 0;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? 0 : Math.floor(ms / 1000);
}

const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Entries in upstream's order: appliers first, then by time, manager, apiVersion, subresource. */
export function encodeManagedFields(managers: Managers): JsonObject[] {
  const list = [...managers.values()].filter((m) => !m.set.isEmpty());
  list.sort((p, q) => cmpStr(p.operation, q.operation) || seconds(p.time) - seconds(q.time)
    || cmpStr(p.manager, q.manager) || cmpStr(p.apiVersion, q.apiVersion) || cmpStr(p.subresource ?? '', q.subresource ?? ''));
  return list.map((m) => {
    const e: JsonObject = {};
    if (m.manager) e.manager = m.manager;
    e.operation = m.operation;
    e.apiVersion = m.apiVersion;
    if (m.time) e.time = m.time;
    e.fieldsType = 'FieldsV1';
    e.fieldsV1 = m.set.toFieldsV1();
    if (m.subresource) e.subresource = m.subresource;
    return e;
  });
}

/** Sets obj.metadata.managedFields from `managers`, or removes it when nothing is owned. */
export function writeManagedFields(obj: JsonObject, managers: Managers): void {
  const list = encodeManagedFields(managers);
  if (list.length === 0) {
    if (isObject(obj.metadata)) delete obj.metadata.managedFields;
    return;
  }
  if (!isObject(obj.metadata)) obj.metadata = {};
  (obj.metadata as JsonObject).managedFields = list;
}

/** A shallow copy of an object without metadata.managedFields. */
export function withoutManagedFields(obj: JsonObject): JsonObject {
  if (!isObject(obj.metadata) || !('managedFields' in obj.metadata)) return obj;
  const { managedFields: _dropped, ...meta } = obj.metadata;
  void _dropped;
  return { ...obj, metadata: meta };
}

/** Fields no manager ever owns: identity and system-maintained metadata. */
const STRIPPED: Path[] = [
  [field('apiVersion')], [field('kind')], [field('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion']
    .map((n) => [field('metadata'), field(n)]),
];

export function stripMeta(set: FieldSet): FieldSet {
  return set.withoutPaths(STRIPPED);
}

/** The fields a write to `subresource` does not own (the strategy resets them). */
export function defaultResetFields(subresource: string | undefined): Path[] {
  if (!subresource) return [[field('status')]];
  if (subresource === 'status') return [[field('spec')]];
  return [];
}

const MAX_UPDATE_MANAGERS = 10;
const ANCIENT = 'ancient-changes';

/** Folds the oldest Update entries into an "ancient-changes" entry per apiVersion, keeping at most 10. */
export function capUpdateManagers(managers: Managers, max = MAX_UPDATE_MANAGERS): void {
  const updaters = [...managers.entries()].filter(([, m]) => m.operation === 'Update')
    .sort(([ka, a], [kb, b]) => seconds(a.time) - seconds(b.time) || cmpStr(ka, kb))
    .map(([k]) => k);
  let count = updaters.length;
  const firstOfVersion = new Map<string, string>();
  for (let i = 0; i < updaters.length && count > max; i++) {
    const key = updaters[i];
    const m = managers.get(key);
    if (!m) continue;
    const bucketId: ManagerId = { manager: ANCIENT, operation: 'Update', apiVersion: m.apiVersion };
    const bucketKey = managerKey(bucketId);
    const first = firstOfVersion.get(m.apiVersion);
    if (first === undefined) {
      firstOfVersion.set(m.apiVersion, key);
      continue;
    }
    if (!managers.has(bucketKey)) {
      const f = managers.get(first) as ManagerEntry;
      managers.delete(first);
      managers.set(bucketKey, { ...f, ...bucketId, subresource: undefined });
    }
    const bucket = managers.get(bucketKey) as ManagerEntry;
    managers.set(bucketKey, { ...bucket, set: m.set.union(bucket.set), time: m.time });
    managers.delete(key);
    count--;
  }
}
