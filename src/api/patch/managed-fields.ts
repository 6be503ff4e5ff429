// Field ownership for ordinary writes (create, update, non-apply patches): the
// writing manager's Update entry takes the fields the write changed, and every
// other manager loses them. Also how a manager is named when the client names
// none.

import type { SchemaNode } from '../schema/types.ts';
import { isObject, type JsonObject } from './json-value.ts';
import type { Path } from './fieldpath.ts';
import type { FieldSet } from './fieldset.ts';
import {
  capUpdateManagers, decodeManagedFields, defaultResetFields, formatTime, isResetRequest, managerKey, stripMeta,
  withoutManagedFields, writeManagedFields, type ManagerId, type Managers,
} from './managers.ts';
import { compare, type Comparison } from './typed.ts';

const FIELD_MANAGER_MAX_LENGTH = 128;

/**
 * The manager name upstream derives from a User-Agent when a request names none:
 * the part before the first "/", without unprintable characters, at most 128 bytes
 * ("kubectl-edit/v1.32.0 (linux/amd64) kubernetes/…" → "kubectl-edit").
 */
export function defaultManagerFromUserAgent(ua: string | undefined): string {
  if (!ua) return '';
  let out = '';
  let bytes = 0;
  for (const ch of ua.split('/')[0]) {
    if (!/^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

export function filterComparison(c: Comparison, reset: Path[]): Comparison {
  if (reset.length === 0) return c;
  return { added: c.added.withoutPrefixes(reset), removed: c.removed.withoutPrefixes(reset), modified: c.modified.withoutPrefixes(reset) };
}

/** Takes `changed` and `removed` fields away from every manager; drops managers left with nothing. */
export function takeFromManagers(managers: Managers, changed: FieldSet, removed: FieldSet, except?: string): void {
  for (const [k, m] of managers) {
    if (k === except) continue;
    const s = m.set.difference(changed).difference(removed);
    if (s.isEmpty()) managers.delete(k);
    else m.set = s;
  }
}

function decodeOrEmpty(v: unknown): Managers {
  try {
    return decodeManagedFields(v);
  } catch {
    return new Map();
  }
}

/** The managers an update starts from: the request's own managedFields if it set usable ones, else the live object's. */
function managersBefore(old: JsonObject | undefined, updated: JsonObject, subresource: string | undefined): Managers {
  const live = isObject(old?.metadata) ? old.metadata.managedFields : undefined;
  if (subresource) return decodeOrEmpty(live);
  const requested = isObject(updated.metadata) ? updated.metadata.managedFields : undefined;
  if (isResetRequest(requested)) return new Map();
  const fromRequest = decodeOrEmpty(requested);
  return fromRequest.size > 0 ? fromRequest : decodeOrEmpty(live);
}

export interface RecordUpdateArgs {
  /** The object before the write; undefined for a create. */
  old: JsonObject | undefined;
  /** The object about to be stored; its metadata.managedFields is rewritten. */
  updated: JsonObject;
  manager: string;
  now: Date;
  subresource?: string;
  schema: SchemaNode | undefined;
  /** Defaults to updated.apiVersion. */
  apiVersion?: string;
  /** Top-level paths the write cannot own; defaults to status (main resource) or spec (status). */
  resetFields?: Path[];
}

/**
 * Records an ordinary write in updated.metadata.managedFields. Never throws:
 * if the managed fields cannot be worked out they are dropped, as upstream does.
 */
export function recordUpdate(args: RecordUpdateArgs): void {
  const { old, updated, manager, now, subresource, schema } = args;
  if (!isObject(updated)) return;
  try {
    const apiVersion = args.apiVersion ?? String(updated.apiVersion ?? old?.apiVersion ?? '');
    const managers = managersBefore(old, updated, subresource);
    const before = old === undefined ? undefined : withoutManagedFields(old);
    const cmp = filterComparison(
      compare(before, withoutManagedFields(updated), schema, { zeroStructs: before === undefined }),
      args.resetFields ?? defaultResetFields(subresource),
    );
    const changed = cmp.modified.union(cmp.added);
    takeFromManagers(managers, changed, cmp.removed);
    const current = stripMeta(changed);
    if (!current.isEmpty()) {
      const id: ManagerId = { manager, operation: 'Update', apiVersion };
      if (subresource) id.subresource = subresource;
      const key = managerKey(id);
      const prev = managers.get(key);
      managers.set(key, { ...id, set: prev ? prev.set.union(current) : current, time: formatTime(now) });
    }
    capUpdateManagers(managers);
    writeManagedFields(updated, managers);
  } catch {
    if (isObject(updated.metadata)) delete updated.metadata.managedFields;
  }
}
