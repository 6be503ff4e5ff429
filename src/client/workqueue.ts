// The controller work queue, with client-go's guarantees:
//  - a key is queued at most once however often it is added (dirty set);
//  - a key is never handed to two workers at once: added while being processed,
//    it is queued again only when done() is called;
//  - delayed adds (addAfter) keep the earliest due time per key;
//  - addRateLimited backs off per key until forget() says it succeeded.
// Time comes from a Clock, so back-off is testable without sleeping.

import { realClock, type Clock, type Disposable } from '../base/clock.ts';

/** How long to wait before retrying a key. `when` counts a failure; `forget` resets it. */
export interface RateLimiter<K> {
  when(key: K): number;
  forget(key: K): void;
  numRequeues(key: K): number;
}

/** client-go's default item limiter: base·2^failures, capped (5 ms doubling to 1000 s). */
export class ExponentialRateLimiter<K> implements RateLimiter<K> {
  private readonly failures = new Map<K, number>();

  constructor(private readonly baseMs = 5, private readonly maxMs = 1_000_000) {}

  when(key: K): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // 2^n overflows to Infinity long before it matters; the cap handles it.
    return Math.min(this.baseMs * 2 ** n, this.maxMs);
  }

  forget(key: K): void { this.failures.delete(key); }
  numRequeues(key: K): number { return this.failures.get(key) ?? 0; }
}

export interface WorkQueueOptions<K> {
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
  /** For logs and metrics. */
  name?: string;
}

export class WorkQueue<K = string> {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly queue: K[] = [];
  /** Keys that need processing: queued, or re-added while processing. */
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly delayed = new Map<K, { at: number; timer: Disposable }>();
  private readonly waiters: (() => void)[] = [];
  private shutting = false;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.name = opts.name ?? 'queue';
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? new ExponentialRateLimiter<K>();
  }

  /** Queues `key` unless it is already queued; ignored after shutDown. */
  add(key: K): void {
    if (this.shutting || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.processing.has(key)) return; // done() queues it
    this.queue.push(key);
    this.waiters.shift()?.();
  }

  /** Adds `key` after `ms`; an earlier pending due time for the key wins. */
  addAfter(key: K, ms: number): void {
    if (this.shutting) return;
    if (ms <= 0) { this.add(key); return; }
    const at = this.clock.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    existing?.timer.dispose();
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after its per-key back-off (which grows with each call until forget). */
  addRateLimited(key: K): void {
    this.addAfter(key, this.limiter.when(key));
  }

  /** Ends back-off tracking for `key` (call after it was processed successfully). */
  forget(key: K): void { this.limiter.forget(key); }

  /** How many times `key` was rate-limited since the last forget. */
  numRequeues(key: K): number { return this.limiter.numRequeues(key); }

  /**
   * The next key to process, waiting for one. The caller must call done(key)
   * when finished. Undefined once the queue is shut down and drained.
   */
  async get(): Promise<K | undefined> {
    for (;;) {
      const key = this.queue.shift();
      if (key !== undefined) {
        this.processing.add(key);
        this.dirty.delete(key);
        return key;
      }
      if (this.shutting) return undefined;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Marks `key` processed; if it was added meanwhile, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.dirty.has(key)) {
      this.queue.push(key);
      this.waiters.shift()?.();
    }
  }

  /** Keys waiting to be handed out (not counting delayed or in-process ones). */
  len(): number { return this.queue.length; }

  /** Stops accepting keys and cancels delayed ones; get() hands out what is queued, then undefined. */
  shutDown(): void {
    if (this.shutting) return;
    this.shutting = true;
    for (const d of this.delayed.values()) d.timer.dispose();
    this.delayed.clear();
    for (const w of this.waiters.splice(0)) w();
  }

  shuttingDown(): boolean { return this.shutting; }
}
