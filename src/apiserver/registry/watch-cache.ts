// One store watch per resource, fanned out to every client watch of it.
//
// The cache follows the store from a list at revision R: it keeps the decoded
// current objects and a ring of recent events. A client watch from revision N
// replays the ring's events after N and then follows live ones, so a thousand
// watchers cost one store watch. A watch from before the ring (or while the
// cache is not ready) is served by the store directly, as before.

import { StoreError, type Revision, type Store, type StoreEvent } from '../../storage/store.ts';
import { withResourceVersion, type Obj } from './codec.ts';
import type { KV } from '../../storage/store.ts';

/** A store event, decoded once for every watcher. Objects are shared: never mutate them. */
export interface DecodedEvent {
  revision: Revision;
  key: string;
  /** The object after the change; for a delete, the last state with the deletion's revision. */
  obj: Obj;
  /** The object before the change, when there was one. */
  prev?: Obj;
  deleted: boolean;
  created: boolean;
}

export function decodeStoreEvent(ev: StoreEvent, decode: (kv: KV) => Obj): DecodedEvent {
  if (ev.type === 'delete') {
    const prev = decode(ev.prev);
    return { revision: ev.revision, key: ev.key, obj: withResourceVersion(decode(ev.prev), ev.revision), prev, deleted: true, created: false };
  }
  return {
    revision: ev.kv.modRevision, key: ev.kv.key, obj: decode(ev.kv), prev: ev.prev ? decode(ev.prev) : undefined,
    deleted: false, created: ev.kv.createRevision === ev.kv.modRevision,
  };
}

interface Subscriber {
  prefix: string;
  after: Revision;
  queue: DecodedEvent[];
  wake?: () => void;
  closed: boolean;
}

export interface WatchCacheOptions {
  /** Events kept for replay. */
  capacity: number;
  /** A watcher this far behind is closed (its client re-watches), as upstream ends slow watchers. */
  maxBacklog: number;
}

export class WatchCache {
  private readonly ring: DecodedEvent[] = [];
  /** Every event after this revision is in the ring (or still to come). */
  private ringStart: Revision = 0;
  private revision: Revision = 0;
  private readonly subscribers = new Set<Subscriber>();
  private readonly abort = new AbortController();
  private readyPromise?: Promise<void>;
  private ready = false;

  constructor(private readonly store: Store, private readonly prefix: string, private readonly decode: (kv: KV) => Obj,
    private readonly opts: WatchCacheOptions = { capacity: 2000, maxBacklog: 10_000 }) {}

  /** Starts following the store (once); resolves when the cache can serve. */
  start(): Promise<void> {
    this.readyPromise ??= this.follow();
    return this.readyPromise;
  }

  get isReady(): boolean { return this.ready; }

  stop(): void {
    this.abort.abort();
    for (const s of this.subscribers) this.close(s);
  }

  private async follow(): Promise<void> {
    const current = await this.store.currentRevision();
    this.revision = current;
    this.ringStart = current;
    let resolveReady!: () => void;
    const readyP = new Promise<void>((r) => { resolveReady = r; });
    void this.loop(current, resolveReady);
    return readyP;
  }

  private async loop(from: Revision, onReady: () => void): Promise<void> {
    let start = from;
    for (;;) {
      if (this.abort.signal.aborted) return;
      try {
        this.ready = true;
        onReady();
        for await (const ev of this.store.watch(this.prefix, start, this.abort.signal)) {
          this.apply(decodeStoreEvent(ev, this.decode));
        }
        return; // aborted or store closed
      } catch (e) {
        if (this.abort.signal.aborted) return;
        // Fell behind a compaction (or the store failed): watchers cannot be
        // continued without a gap, so they end and re-watch; start again.
        this.ready = false;
        for (const s of this.subscribers) this.close(s);
        if (!(e instanceof StoreError) || e.code === 'Closed') return;
        start = await this.store.currentRevision().catch(() => start);
        this.ring.length = 0;
        this.ringStart = start;
        this.revision = start;
      }
    }
  }

  private apply(ev: DecodedEvent): void {
    this.revision = ev.revision;
    this.ring.push(ev);
    if (this.ring.length > this.opts.capacity) {
      const dropped = this.ring.splice(0, this.ring.length - this.opts.capacity);
      this.ringStart = dropped[dropped.length - 1].revision;
    }
    for (const s of this.subscribers) {
      if (ev.revision <= s.after || !ev.key.startsWith(s.prefix)) continue;
      s.queue.push(ev);
      if (s.queue.length > this.opts.maxBacklog) { this.close(s); continue; }
      s.wake?.();
    }
  }

  private close(s: Subscriber): void {
    s.closed = true;
    this.subscribers.delete(s);
    s.wake?.();
  }

  /**
   * Events under `prefix` after revision `after`, or undefined when the cache
   * cannot serve that (not ready, or `after` is older than the ring). The
   * iterator ends when `signal` aborts, or when the watcher fell too far behind.
   */
  subscribe(prefix: string, after: Revision, signal: AbortSignal): AsyncIterable<DecodedEvent> | undefined {
    if (!this.ready || after < this.ringStart) return undefined;
    const sub: Subscriber = { prefix, after, queue: [], closed: false };
    for (const ev of this.ring) if (ev.revision > after && ev.key.startsWith(prefix)) sub.queue.push(ev);
    this.subscribers.add(sub);
    const onAbort = (): void => this.close(sub);
    signal.addEventListener('abort', onAbort, { once: true });
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        try {
          for (;;) {
            while (sub.queue.length) {
              const ev = sub.queue.shift()!;
              sub.after = ev.revision;
              yield ev;
            }
            if (sub.closed || signal.aborted) return;
            await new Promise<void>((r) => { sub.wake = r; });
            sub.wake = undefined;
          }
        } finally {
          signal.removeEventListener('abort', onAbort);
          self.subscribers.delete(sub);
        }
      },
    };
  }

  /** For metrics and tests. */
  stats(): { watchers: number; revision: Revision; ringStart: Revision; buffered: number } {
    return { watchers: this.subscribers.size, revision: this.revision, ringStart: this.ringStart, buffered: this.ring.length };
  }
}
