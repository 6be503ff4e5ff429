// In-memory Store for unit tests: the same semantics as the durable drivers,
// including revisions, paging at a past revision, watch and compaction.
//
// State is the current key → KV map plus the event log since the compacted
// revision. A list at a past revision rewinds the current map through the log,
// which is cheap for the recent revisions that paging asks for.

import { ChangeFeed } from '../feed.ts';
import { checkReadRevision, closed, compacted, conflict, futureRevision, keyExists, notFound } from '../errors.ts';
import { compareKeys, listStart } from '../keys.ts';
import type { KV, ListOptions, ListResult, Revision, Store, StoreEvent } from '../store.ts';
import { followLog, type EventLog, type LogPage } from '../watch.ts';

const revisionOf = (e: StoreEvent): Revision => (e.type === 'put' ? e.kv.modRevision : e.revision);

export class MemoryStore implements Store, EventLog {
  readonly #current = new Map<string, KV>();
  /** Every event after #compacted, in revision order. */
  #log: StoreEvent[] = [];
  #revision = 0;
  #compacted = 0;
  #closed = false;
  readonly #feed = new ChangeFeed(0);

  async get(key: string): Promise<KV | undefined> {
    this.#open();
    return this.#current.get(key);
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListResult> {
    this.#open();
    const at = opts.atRevision ?? this.#revision;
    checkReadRevision(at, this.#compacted, this.#revision);
    const state = at === this.#revision ? this.#current : this.#rewind(at);
    const start = listStart(prefix, opts.continueAfter);
    const matching = [...state.values()]
      .filter((kv) => kv.key.startsWith(prefix) && (start.inclusive
        ? compareKeys(kv.key, start.key) >= 0 : compareKeys(kv.key, start.key) > 0))
      .sort((a, b) => compareKeys(a.key, b.key));
    const limit = opts.limit && opts.limit > 0 ? opts.limit : matching.length;
    const items = matching.slice(0, limit);
    const remaining = matching.length - items.length;
    return { items, revision: at, more: remaining > 0, remaining };
  }

  async count(prefix: string): Promise<number> {
    this.#open();
    let n = 0;
    for (const key of this.#current.keys()) if (key.startsWith(prefix)) n++;
    return n;
  }

  async create(key: string, value: Uint8Array): Promise<KV> {
    this.#open();
    const current = this.#current.get(key);
    if (current) throw keyExists(current);
    const revision = this.#revision + 1;
    const kv: KV = { key, value: Uint8Array.from(value), createRevision: revision, modRevision: revision };
    this.#commit({ type: 'put', kv });
    return kv;
  }

  async update(key: string, value: Uint8Array, expected: Revision): Promise<KV> {
    this.#open();
    const prev = this.#current.get(key);
    if (!prev) throw notFound(key);
    if (prev.modRevision !== expected) throw conflict(expected, prev);
    const kv: KV = { key, value: Uint8Array.from(value), createRevision: prev.createRevision, modRevision: this.#revision + 1 };
    this.#commit({ type: 'put', kv, prev });
    return kv;
  }

  async delete(key: string, expected?: Revision): Promise<KV> {
    this.#open();
    const prev = this.#current.get(key);
    if (!prev) throw notFound(key);
    if (expected !== undefined && prev.modRevision !== expected) throw conflict(expected, prev);
    const revision = this.#revision + 1;
    this.#commit({ type: 'delete', key, revision, prev });
    return { ...prev, modRevision: revision };
  }

  watch(prefix: string, fromRevision: Revision, signal: AbortSignal): AsyncIterable<StoreEvent> {
    return followLog(this, this.#feed, prefix, fromRevision, signal);
  }

  readEvents(prefix: string, after: Revision, limit: number): LogPage {
    this.#open();
    if (after < this.#compacted) throw compacted(after, this.#compacted);
    const events: StoreEvent[] = [];
    for (let i = this.#firstAfter(after); i < this.#log.length; i++) {
      const e = this.#log[i]!;
      const key = e.type === 'put' ? e.kv.key : e.key;
      if (!key.startsWith(prefix)) continue;
      events.push(e);
      if (events.length === limit) return { events, through: revisionOf(e), caughtUp: false };
    }
    return { events, through: this.#revision, caughtUp: true };
  }

  async compact(revision: Revision): Promise<void> {
    this.#open();
    if (revision > this.#revision) throw futureRevision(revision, this.#revision);
    if (revision <= this.#compacted) return;
    // Watchers asleep on quiet prefixes move up to the head first (see ChangeFeed).
    await this.#feed.settle();
    this.#open();
    if (revision <= this.#compacted) return;
    this.#log = this.#log.slice(this.#firstAfter(revision));
    this.#compacted = revision;
  }

  async compactedRevision(): Promise<Revision> {
    this.#open();
    return this.#compacted;
  }

  async currentRevision(): Promise<Revision> {
    this.#open();
    return this.#revision;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#feed.close();
  }

  #commit(event: StoreEvent): void {
    if (event.type === 'put') this.#current.set(event.kv.key, event.kv);
    else this.#current.delete(event.key);
    this.#log.push(event);
    this.#revision = revisionOf(event);
    this.#feed.publish(this.#revision, [event.type === 'put' ? event.kv.key : event.key]);
  }

  /** The state as of `at`: undo, newest first, every event after it. */
  #rewind(at: Revision): Map<string, KV> {
    const state = new Map(this.#current);
    for (let i = this.#log.length - 1; i >= 0 && revisionOf(this.#log[i]!) > at; i--) {
      const e = this.#log[i]!;
      if (e.type === 'delete') state.set(e.key, e.prev);
      else if (e.prev) state.set(e.kv.key, e.prev);
      else state.delete(e.kv.key);
    }
    return state;
  }

  /** Index of the first logged event with revision > `revision` (binary search). */
  #firstAfter(revision: Revision): number {
    let lo = 0;
    let hi = this.#log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (revisionOf(this.#log[mid]!) <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  #open(): void {
    if (this.#closed) throw closed();
  }
}

export async function openMemoryStore(): Promise<Store> {
  return new MemoryStore();
}
