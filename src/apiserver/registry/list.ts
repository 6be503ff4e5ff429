// Lists and watches over one resource: resourceVersion semantics, selectors,
// and limit/continue paging that stays consistent at one revision.

import { ApiError } from '../../base/errors.ts';
import type { LabelMatcher } from '../../api/selectors/labels.ts';
import type { FieldMatcher } from '../../api/selectors/fields.ts';
import { StoreError, type Revision, type StoreEvent } from '../../storage/store.ts';
import { decodeStoreEvent, type DecodedEvent } from './watch-cache.ts';
import { withResourceVersion, type Obj } from './codec.ts';
import type { ResourceREST } from './rest.ts';
import { mapStoreError } from './store-errors.ts';

export interface Selection { label?: LabelMatcher; field?: FieldMatcher }

export interface ListParams extends Selection {
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface ListOutput {
  items: Obj[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

interface ContinueToken { v: 'meta.k8s.io/v1'; rv: number; start: string }

export function matches(sel: Selection, obj: Obj): boolean {
  if (sel.label && !sel.label.matches(obj.metadata?.labels)) return false;
  if (sel.field && !sel.field.matches(obj)) return false;
  return true;
}

function nsPrefix(rest: ResourceREST, ns: string): string {
  return rest.info.namespaced && ns ? `${rest.prefix}${ns}/` : rest.prefix;
}

export async function listObjects(rest: ResourceREST, ns: string, p: ListParams): Promise<ListOutput> {
  const prefix = nsPrefix(rest, ns);
  const { revision: atRevision, after } = await resolveListStart(rest, prefix, p);
  const limit = p.limit && p.limit > 0 ? p.limit : 0;
  const filtered = !!(p.label && !p.label.empty) || !!(p.field && !p.field.empty);
  const items: Obj[] = [];
  let cursor = after;
  let revision: Revision | undefined = atRevision;
  let more = false;
  let remaining = 0;
  try {
    for (;;) {
      // With selectors, read in chunks until `limit` matching items are found.
      const chunk = limit ? Math.max(limit - items.length, filtered ? 100 : 0) : 0;
      const page = await rest.store.list(prefix, { limit: chunk || undefined, continueAfter: cursor, atRevision: revision });
      revision = page.revision;
      for (let i = 0; i < page.items.length; i++) {
        const kv = page.items[i];
        cursor = kv.key;
        const obj = rest.decode(kv);
        if (!matches(p, obj)) continue;
        items.push(obj);
        if (limit && items.length >= limit) {
          more = page.more || i < page.items.length - 1;
          remaining = page.remaining + (page.items.length - 1 - i);
          break;
        }
      }
      if (limit && items.length >= limit) break;
      if (!page.more) { more = false; break; }
    }
  } catch (e) {
    if (e instanceof StoreError && e.code === 'Compacted' && p.continue) {
      throw new ApiError(410, 'Expired', 'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.');
    }
    throw mapStoreError(e, rest.info, '');
  }
  const out: ListOutput = { items, resourceVersion: String(revision) };
  if (more && cursor !== undefined) {
    const token: ContinueToken = { v: 'meta.k8s.io/v1', rv: Number(revision), start: `${cursor.slice(prefix.length)}\u0000` };
    out.continue = Buffer.from(JSON.stringify(token)).toString('base64');
    if (!filtered) out.remainingItemCount = remaining;
  }
  return out;
}

async function resolveListStart(rest: ResourceREST, prefix: string, p: ListParams): Promise<{ revision?: Revision; after?: string }> {
  const rv = p.resourceVersion ?? '';
  const match = p.resourceVersionMatch ?? '';
  if (match && !['Exact', 'NotOlderThan'].includes(match)) {
    throw ApiError.badRequest(`resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`);
  }
  if (p.continue) {
    if (rv && rv !== '0') throw ApiError.badRequest('specifying resource version is not allowed when using continue');
    let tok: ContinueToken;
    try {
      tok = JSON.parse(Buffer.from(p.continue, 'base64').toString('utf8')) as ContinueToken;
    } catch {
      throw ApiError.badRequest('continue key is not valid: illegal base64 data');
    }
    if (tok?.v !== 'meta.k8s.io/v1' || typeof tok.rv !== 'number' || typeof tok.start !== 'string') {
      throw ApiError.badRequest('continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
    }
    const start = tok.start.endsWith('\u0000') ? tok.start.slice(0, -1) : tok.start;
    return { revision: tok.rv, after: prefix + start };
  }
  if (match && !rv) throw ApiError.badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  if (rv === '' || rv === '0') {
    if (match === 'Exact' && rv === '0') throw ApiError.badRequest('resourceVersionMatch "Exact" is forbidden for resourceVersion "0"');
    return {};
  }
  const n = parseRevision(rv);
  if (match === 'Exact') return { revision: n };
  const current = await rest.store.currentRevision();
  if (n > current) {
    throw new ApiError(504, 'Timeout', `Too large resource version: ${n}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
  }
  return {};
}

export function parseRevision(rv: string): number {
  if (!/^\d+$/.test(rv)) throw ApiError.badRequest(`invalid resource version: ${rv}`);
  return Number(rv);
}

// ---- watch ------------------------------------------------------------------

export interface WatchEvent { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: Obj }

export interface WatchParams extends Selection {
  resourceVersion?: string;
  sendInitialEvents?: boolean;
  allowWatchBookmarks?: boolean;
}

/**
 * Events for one client watch. Without a resourceVersion (or with "0") the
 * current objects come first as ADDED events, as upstream does; with one, every
 * change after it. Selector matches are judged on both the old and new object,
 * so an object leaving the selection is a DELETED event to this watcher.
 */
export async function* watchObjects(rest: ResourceREST, ns: string, p: WatchParams, signal: AbortSignal): AsyncGenerator<WatchEvent> {
  const prefix = nsPrefix(rest, ns);
  const rv = p.resourceVersion ?? '';
  let from: Revision;
  const initial = rv === '' || rv === '0' ? p.sendInitialEvents !== false : !!p.sendInitialEvents;
  if (initial) {
    const list = await listObjects(rest, ns, { label: p.label, field: p.field, resourceVersion: rv === '' ? undefined : rv });
    for (const obj of list.items) yield { type: 'ADDED', object: obj };
    from = Number(list.resourceVersion);
    if (p.sendInitialEvents && p.allowWatchBookmarks) {
      yield { type: 'BOOKMARK', object: bookmarkObject(rest, list.resourceVersion, true) };
    }
  } else {
    from = parseRevision(rv);
    const current = await rest.store.currentRevision();
    if (from > current) {
      throw new ApiError(504, 'Timeout', `Too large resource version: ${from}, current: ${current}`, { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }], retryAfterSeconds: 1 });
    }
  }
  // Served from the resource's watch cache when it holds the history after
  // `from`; otherwise straight from the store.
  const cache = rest.watchCache();
  await cache.start();
  // History the store has compacted away is gone for every watcher, even if
  // the cache still remembers it: the store's compaction point is the contract.
  const compacted = await rest.store.compactedRevision();
  if (from < compacted) throw ApiError.expired(`too old resource version: ${from} (${compacted})`);
  const events = cache.subscribe(prefix, from, signal) ?? storeEvents(rest, prefix, from, signal);
  for await (const ev of events) {
    if (ev.deleted) {
      if (matches(p, ev.prev!)) yield { type: 'DELETED', object: ev.obj };
      continue;
    }
    const now = matches(p, ev.obj);
    // Without the previous value, an update is judged as if it matched before.
    const before = ev.created ? false : ev.prev ? matches(p, ev.prev) : now;
    if (now && before) yield { type: 'MODIFIED', object: ev.obj };
    else if (now) yield { type: 'ADDED', object: ev.obj };
    else if (before) yield { type: 'DELETED', object: ev.obj };
  }
}

async function* storeEvents(rest: ResourceREST, prefix: string, from: Revision, signal: AbortSignal): AsyncGenerator<DecodedEvent> {
  const iter = rest.store.watch(prefix, from, signal)[Symbol.asyncIterator]();
  for (;;) {
    let r: IteratorResult<StoreEvent>;
    try {
      r = await iter.next();
    } catch (e) {
      if (e instanceof StoreError && e.code === 'Compacted') {
        // Upstream's wording: "too old resource version: <asked> (<oldest available - 1>)".
        const compacted = await rest.store.compactedRevision().catch(() => undefined);
        throw ApiError.expired(`too old resource version: ${from} (${compacted ?? e.message})`);
      }
      throw mapStoreError(e, rest.info, '');
    }
    if (r.done) return;
    yield decodeStoreEvent(r.value, (kv) => rest.decode(kv));
  }
}

export function bookmarkObject(rest: ResourceREST, resourceVersion: string, initialEventsEnd = false): Obj {
  const metadata: Obj = { resourceVersion };
  if (initialEventsEnd) metadata.annotations = { 'k8s.io/initial-events-end': 'true' };
  return { kind: rest.info.kind, apiVersion: rest.apiVersion, metadata };
}
