// The loop every controller runs (client-go's sample-controller): wait for the
// caches, then workers take keys from the queue and call an idempotent sync;
// success forgets the key's back-off, failure requeues it rate-limited.

import type { Logger } from 'pino';
import type { Informer, WorkQueue } from '../client/index.ts';

/**
 * Thrown by a sync that is not done yet but did nothing wrong (e.g. content
 * still being deleted): the key is requeued and logged at debug, not as an
 * error. By default with the queue's per-key back-off; `afterMs` fixes the
 * delay instead; `maxMs` caps the back-off (e.g. when something is known to
 * be done by then).
 */
export class RetryLater extends Error {
  readonly afterMs?: number;
  readonly maxMs?: number;

  constructor(message: string, opts: { afterMs?: number; maxMs?: number } = {}) {
    super(message);
    this.name = 'RetryLater';
    this.afterMs = opts.afterMs;
    this.maxMs = opts.maxMs;
  }
}

/** Resolves true once every informer has synced; false if `signal` aborts first. */
export async function waitForSync(signal: AbortSignal, ...informers: Informer<unknown>[]): Promise<boolean> {
  try {
    await Promise.all(informers.map((i) => i.waitForSync(signal)));
    return true;
  } catch {
    return false;
  }
}

export interface RunWorkersOptions {
  signal: AbortSignal;
  logger: Logger;
  /** Concurrent workers (never two on one key: the queue guarantees it). Default 1. */
  workers?: number;
}

/**
 * Processes `queue` until `signal` aborts, then shuts it down and resolves once
 * every worker has finished its current key. Keys still queued are dropped.
 */
export async function runWorkers<K>(queue: WorkQueue<K>, sync: (key: K) => Promise<void>, opts: RunWorkersOptions): Promise<void> {
  const { signal, logger } = opts;
  const onAbort = (): void => queue.shutDown();
  if (signal.aborted) queue.shutDown();
  else signal.addEventListener('abort', onAbort, { once: true });
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      if (signal.aborted) { queue.done(key); continue; }
      try {
        await sync(key);
        queue.forget(key);
      } catch (err) {
        if (signal.aborted) {
          // Failures while stopping are expected (requests aborted): nothing to retry.
        } else if (err instanceof RetryLater) {
          logger.debug({ key, reason: err.message }, 'not done yet; requeued');
          if (err.afterMs !== undefined) {
            queue.addAfter(key, err.afterMs);
          } else {
            queue.addRateLimited(key);
            // Delayed adds keep the earliest due time: this caps the back-off.
            if (err.maxMs !== undefined) queue.addAfter(key, err.maxMs);
          }
        } else {
          logger.warn({ err, key, requeues: queue.numRequeues(key) }, 'sync failed; requeued with back-off');
          queue.addRateLimited(key);
        }
      } finally {
        queue.done(key);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, opts.workers ?? 1) }, worker));
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}
