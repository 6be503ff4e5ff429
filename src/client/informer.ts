// An informer keeps a local, indexed copy of one resource and tells handlers
// what changed (client-go's reflector + shared informer):
//
//   list (paged) → cache, handlers get adds   ─┐
//   watch from the list's resourceVersion      │ stream ends (timeout): re-watch from the
//     (with bookmarks) → cache, handlers      ─┤   last version seen
//   410 Expired: history compacted            ─┘ relist; handlers get the differences
//                                                (adds, updates, deletes) so they stay correct
//
// Handlers run synchronously, in event order, after the cache was updated, so
// a handler reading the lister sees the state the event describes.

import { ApiError } from '../base/errors.ts';
import { realClock, sleep, type Clock, type Disposable } from '../base/clock.ts';
import { Backoff, type BackoffOptions } from './backoff.ts';
import { deepFreeze, Indexer, objectKey, type IndexFunc, type Lister } from './cache.ts';
import { defaultLogger, type ClientLogger } from './log.ts';
import type { KubeObject, ListWatch, ObjectList } from './resource.ts';
import { isExpired } from './status.ts';
import type { WatchEvent } from './watch.ts';

/**
 * Notifications about one resource. Objects are frozen and shared: never mutate
 * them. A handler must not throw (exceptions are logged and swallowed) and
 * should be quick — typically it only adds a key to a work queue.
 */
export interface ResourceEventHandler<T> {
  add?(obj: T): void;
  /** Also called at each resync with oldObj === newObj. */
  update?(oldObj: T, newObj: T): void;
  /** `obj` is the final state the server reported, or (when found missing on a relist) the last state cached. */
  delete?(obj: T): void;
}

export interface InformerOptions<T = KubeObject> {
  labelSelector?: string;
  fieldSelector?: string;
  /** Objects per list page. Default 500. */
  pageSize?: number;
  /** Every this often, handlers get update(obj, obj) for every cached object. 0 (default) = never. */
  resyncMs?: number;
  /** Server-side end of each watch; default 5–10 min at random (as client-go), so watchers spread out. */
  watchTimeoutSeconds?: number;
  /** Back-off between failed lists/watches. */
  backoff?: BackoffOptions;
  /** Deep-freeze cached objects (default true): a mutation throws instead of corrupting the cache. */
  freeze?: boolean;
  /**
   * Applied to every object before it is cached or handed to handlers (client-go's
   * SetTransform): lets a large cache keep only the fields its users read. Must keep
   * metadata.name, namespace and resourceVersion.
   */
  transform?: (obj: T) => T;
  clock?: Clock;
  logger?: ClientLogger;
  /** For logs, e.g. "pods". */
  name?: string;
}

export interface Informer<T> {
  /** Starts list+watch (once); runs until `signal` aborts or stop(). */
  start(signal?: AbortSignal): void;
  /** Stops and resolves once the list/watch loop has exited. */
  stop(): Promise<void>;
  /** True once the first list is in the cache. */
  hasSynced(): boolean;
  /** Resolves once synced; rejects if `signal` aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Adds handlers. Registered after objects are cached, it gets add() for each of them at once. */
  on(handler: ResourceEventHandler<T>): Disposable;
  /** Read-only cached objects with indexes. */
  lister(): Lister<T>;
  /** Adds a custom index, queried with lister().byIndex(name, value). */
  addIndex(name: string, fn: IndexFunc<T>): void;
  /** The resourceVersion the cache reflects ('' before the first list). */
  lastSyncResourceVersion(): string;
}

export class ResourceInformer<T extends KubeObject> implements Informer<T> {
  private readonly cache = new Indexer<T>();
  private readonly handlers = new Set<ResourceEventHandler<T>>();
  private readonly clock: Clock;
  private readonly logger: ClientLogger;
  private readonly name: string;
  private readonly backoff: Backoff;
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private rv = '';
  private resyncTimer?: Disposable;

  constructor(private readonly lw: ListWatch<T>, private readonly opts: InformerOptions<T> = {}) {
    this.clock = opts.clock ?? realClock;
    this.logger = opts.logger ?? defaultLogger();
    this.name = opts.name ?? 'informer';
    this.backoff = new Backoff(opts.backoff);
  }

  start(signal?: AbortSignal): void {
    if (this.running) return;
    if (signal) {
      if (signal.aborted) this.abort.abort();
      else signal.addEventListener('abort', () => this.abort.abort(), { once: true });
    }
    this.running = this.run(this.abort.signal).finally(() => this.resyncTimer?.dispose());
    this.scheduleResync();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  hasSynced(): boolean { return this.synced; }

  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      if (signal?.aborted) { reject(signal.reason as Error); return; }
      const onAbort = (): void => reject(signal!.reason as Error);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => { signal?.removeEventListener('abort', onAbort); resolve(); });
    });
  }

  on(handler: ResourceEventHandler<T>): Disposable {
    this.handlers.add(handler);
    if (handler.add) for (const [, obj] of this.cache.entries()) this.call(handler, 'add', obj);
    return { dispose: () => { this.handlers.delete(handler); } };
  }

  lister(): Lister<T> { return this.cache; }

  addIndex(name: string, fn: IndexFunc<T>): void { this.cache.addIndex(name, fn); }

  lastSyncResourceVersion(): string { return this.rv; }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.listAndReplace(signal);
      } catch (e) {
        if (signal.aborted) return;
        this.logger.warn({ err: e, informer: this.name }, 'list failed; retrying');
        await sleep(this.clock, this.backoff.next(), signal);
        continue;
      }
      await this.watchUntilRelist(signal);
    }
  }

  private async listAndReplace(signal: AbortSignal): Promise<void> {
    const { labelSelector, fieldSelector } = this.opts;
    let list: ObjectList<T>;
    try {
      list = await this.listPaged(signal, this.opts.pageSize ?? 500);
    } catch (e) {
      // A continue token outlived compaction: one unpaged list is consistent.
      if (!isExpired(e)) throw e;
      list = await this.lw.list({ labelSelector, fieldSelector, signal });
      list.items = list.items.map((o) => this.transformed(o));
    }
    if (signal.aborted) return;
    this.replace(list.items, list.metadata.resourceVersion ?? '');
  }

  private async listPaged(signal: AbortSignal, limit: number): Promise<ObjectList<T>> {
    const { labelSelector, fieldSelector } = this.opts;
    const first = await this.lw.list({ labelSelector, fieldSelector, limit, signal });
    // Transformed page by page: a relist of a large resource never holds every full object at once.
    const items = first.items.map((o) => this.transformed(o));
    let cont = first.metadata.continue;
    while (cont && !signal.aborted) {
      const page = await this.lw.list({ labelSelector, fieldSelector, limit, continue: cont, signal });
      for (const o of page.items) items.push(this.transformed(o));
      cont = page.metadata.continue;
    }
    return { ...first, items };
  }

  /** Makes the cache hold exactly `items`, telling handlers what changed. */
  private replace(items: T[], rv: string): void {
    const fresh = new Map<string, T>();
    for (const item of items) fresh.set(objectKey(item), this.frozen(item));
    for (const key of this.cache.keys()) {
      if (fresh.has(key)) continue;
      const old = this.cache.delete(key)!;
      this.dispatch('delete', old);
    }
    for (const obj of fresh.values()) {
      const old = this.cache.set(obj);
      if (!old) this.dispatch('add', obj);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.dispatch('update', obj, old);
    }
    this.rv = rv;
    if (!this.synced) {
      this.synced = true;
      for (const w of this.syncWaiters.splice(0)) w();
    }
  }

  /** Follows the watch until a relist is needed (410, or an error a re-watch cannot fix) or abort. */
  private async watchUntilRelist(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const timeoutSeconds = this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random()));
      try {
        const events = this.lw.watch({
          resourceVersion: this.rv, allowWatchBookmarks: true, timeoutSeconds,
          labelSelector: this.opts.labelSelector, fieldSelector: this.opts.fieldSelector, signal,
        });
        const started = this.clock.now();
        let seen = 0;
        for await (const ev of events) {
          this.apply(ev);
          this.backoff.reset();
          seen++;
        }
        // The server ended the stream (its timeout): carry on from the last version
        // seen — after a pause if it ended at once, so a broken server is no hot loop.
        if (seen === 0 && this.clock.now() - started < 100) await sleep(this.clock, this.backoff.next(), signal);
      } catch (e) {
        if (signal.aborted) return;
        if (isExpired(e)) {
          this.logger.debug({ informer: this.name, rv: this.rv }, 'watch expired; relisting');
          return;
        }
        // Connection failures (an API server restarting) and throttling: re-watch
        // after a pause. Any other refusal: relist after a pause.
        const rewatch = !(e instanceof ApiError) || e.code === 429;
        this.logger.warn({ err: e, informer: this.name }, rewatch ? 'watch failed; re-watching' : 'watch failed; relisting');
        await sleep(this.clock, this.backoff.next(), signal);
        if (!rewatch) return;
      }
    }
  }

  private apply(ev: WatchEvent<T>): void {
    const rv = ev.object?.metadata?.resourceVersion;
    if (ev.type === 'BOOKMARK') {
      if (rv) this.rv = rv;
      return;
    }
    const obj = this.prepare(ev.object);
    if (ev.type === 'DELETED') {
      const old = this.cache.delete(objectKey(obj));
      // Never seen (e.g. created and deleted while relisting): nothing to undo.
      if (old) this.dispatch('delete', obj);
    } else {
      const old = this.cache.set(obj);
      if (old) this.dispatch('update', obj, old);
      else this.dispatch('add', obj);
    }
    if (rv) this.rv = rv;
  }

  private prepare(raw: T): T {
    return this.frozen(this.transformed(raw));
  }

  private transformed(raw: T): T {
    return this.opts.transform ? this.opts.transform(raw) : raw;
  }

  private frozen(obj: T): T {
    return this.opts.freeze === false ? obj : deepFreeze(obj);
  }

  private dispatch(kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    for (const h of this.handlers) this.call(h, kind, obj, old);
  }

  private call(h: ResourceEventHandler<T>, kind: 'add' | 'update' | 'delete', obj: T, old?: T): void {
    try {
      if (kind === 'add') h.add?.(obj);
      else if (kind === 'update') h.update?.(old!, obj);
      else h.delete?.(obj);
    } catch (e) {
      this.logger.warn({ err: e, informer: this.name, event: kind, key: objectKey(obj) }, 'event handler threw');
    }
  }

  private scheduleResync(): void {
    const ms = this.opts.resyncMs ?? 0;
    if (ms <= 0 || this.abort.signal.aborted) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (this.abort.signal.aborted) return;
      if (this.synced) for (const [, obj] of this.cache.entries()) this.dispatch('update', obj, obj);
      this.scheduleResync();
    }, ms);
  }
}
