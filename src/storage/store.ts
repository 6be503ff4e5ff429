// The one storage seam. Only the apiserver talks to a Store.
//
// Every write gets the next value of a single global revision counter; that
// revision is the resourceVersion clients see. Drivers accept only the shapes of
// transaction the apiserver sends (create-if-absent, update-if-revision,
// delete-if-revision), as k3s-io/kine does, so any ordered log can back them.

export type Revision = number;

/** Returned KVs may be shared with the store and other readers: never mutate them. */
export interface KV {
  key: string;
  value: Uint8Array;
  /** Revision of the write that created this key (since its last deletion). */
  createRevision: Revision;
  /** Revision of the last write to this key. */
  modRevision: Revision;
}

/** `prev` is the key's value before the event (absent for a create). */
export type StoreEvent =
  | { type: 'put'; kv: KV; prev?: KV }
  | { type: 'delete'; key: string; revision: Revision; prev: KV };

export interface ListOptions {
  /** At most this many items; `more` tells whether others follow. 0/undefined = all. */
  limit?: number;
  /** Exclusive: list keys strictly greater than this key (a continue token's key). */
  continueAfter?: string;
  /** Read the state as of this revision (must not be compacted). Default: current. */
  atRevision?: Revision;
}

export interface ListResult {
  items: KV[];
  /** The revision the list was read at (atRevision or the current one). */
  revision: Revision;
  /** True when more keys under the prefix follow the last item. */
  more: boolean;
  /** Keys remaining after the returned items (for ListMeta.remainingItemCount). */
  remaining: number;
}

export type StoreErrorCode = 'KeyExists' | 'Conflict' | 'NotFound' | 'Compacted' | 'FutureRevision' | 'Closed';

/** Drivers throw only this; the apiserver maps it to ApiError. */
export class StoreError extends Error {
  constructor(readonly code: StoreErrorCode, message: string, readonly current?: KV) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface Store {
  get(key: string): Promise<KV | undefined>;
  /** Keys in byte order under `prefix`. Throws Compacted if atRevision < compacted revision,
   *  FutureRevision if atRevision > current revision. */
  list(prefix: string, opts?: ListOptions): Promise<ListResult>;
  count(prefix: string): Promise<number>;
  /** Create if absent. Throws KeyExists (with `current`) otherwise. */
  create(key: string, value: Uint8Array): Promise<KV>;
  /** Update only if the key's modRevision equals `expected`. Throws NotFound, or Conflict with `current`. */
  update(key: string, value: Uint8Array, expected: Revision): Promise<KV>;
  /** Delete (only if modRevision equals `expected`, when given). Returns the deleted KV (its
   *  modRevision is the deletion's revision). Throws NotFound or Conflict with `current`. */
  delete(key: string, expected?: Revision): Promise<KV>;
  /**
   * Every change under `prefix` with revision > fromRevision, each once, in revision order,
   * until `signal` aborts (the iterator then ends). Throws Compacted (at first next()) when
   * fromRevision < the compacted revision (events after it can no longer be delivered),
   * and later if compaction overtakes a watcher that has fallen behind; throws Closed
   * when the store closes under it. Events are read from the log on demand, so a slow
   * consumer costs memory for a page of events, never an unbounded buffer.
   */
  watch(prefix: string, fromRevision: Revision, signal: AbortSignal): AsyncIterable<StoreEvent>;
  /** Forget history before `revision` (latest value of each live key is always kept; the
   *  state at `revision` itself stays listable). No-op if already compacted that far;
   *  FutureRevision if beyond the current revision. */
  compact(revision: Revision): Promise<void>;
  /** The revision history starts after; watches from below it get Compacted. */
  compactedRevision(): Promise<Revision>;
  currentRevision(): Promise<Revision>;
  close(): Promise<void>;
}

/** `url` is parsed when the WHATWG parser accepts it; `raw` is always the text given
 *  (etcd's `etcd://h1:2379,h2:2379` lists are not valid URLs). */
export type StoreFactory = (url: URL | undefined, raw: string) => Promise<Store>;
