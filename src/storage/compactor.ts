// Keeps the log from growing without bound: every interval, forget history
// older than both the newest `retainRevisions` revisions and the last interval. Watchers further behind
// than that get Compacted (410 Gone) and relist, as with upstream's compaction.

import type { Revision, Store } from './store.ts';
import { StoreError } from './store.ts';

export interface CompactorOptions {
  intervalMs: number;
  retainRevisions: number;
  /**
   * With several servers on one store: a key they all bump before compacting,
   * as upstream's apiservers share etcd's `compact_rev_key`. A server compacts
   * only when nobody else bumped the key since its own previous tick, so one
   * compaction happens per interval however many servers run. Unset: this
   * process compacts on every tick (one server per store).
   */
  lockKey?: string;
  /** Told of failed compactions (the next tick tries again). Default: a process warning. */
  onError?: (err: unknown) => void;
}

export function startCompactor(store: Store, opts: CompactorOptions): { stop(): void } {
  const onError = opts.onError ?? ((err: unknown) => process.emitWarning(`store compaction failed: ${String(err)}`));
  let running = false;
  let stopped = false;
  // The revision at the previous tick: history since then is kept.
  let seenLastTick: Revision | undefined;
  // The lock key's modRevision as this process last saw it (0: absent).
  let lastSeen: Revision | undefined;

  /** True when this process won the interval (the key is bumped), false when another did. */
  const claim = async (key: string): Promise<boolean> => {
    const kv = await store.get(key);
    const seen = kv?.modRevision ?? 0;
    if (lastSeen === undefined || seen !== lastSeen) {
      // Someone else compacted since our last look (or this is our first): wait a whole interval.
      lastSeen = seen;
      return false;
    }
    try {
      const now = Date.now().toString();
      const written = kv ? await store.update(key, Buffer.from(now), seen) : await store.create(key, Buffer.from(now));
      lastSeen = written.modRevision;
      return true;
    } catch (err) {
      if (err instanceof StoreError && (err.code === 'Conflict' || err.code === 'KeyExists' || err.code === 'NotFound')) {
        lastSeen = err.current?.modRevision ?? 0;
        return false;
      }
      throw err;
    }
  };

  const tick = async () => {
    // A slow compaction must not pile up behind itself.
    if (running || stopped) return;
    running = true;
    try {
      // The target comes first: our own bump of the lock key must not count as history to keep.
      // At least one interval of history stays too (upstream compacts to the revision it saw
      // an interval ago): on a busy cluster a fixed count alone can be only seconds of history.
      const current = await store.currentRevision();
      const intervalAgo = seenLastTick;
      seenLastTick = current;
      if (intervalAgo === undefined) return;
      const target = Math.min(current - opts.retainRevisions, intervalAgo);
      if (target <= (await store.compactedRevision())) return;
      if (opts.lockKey !== undefined && !(await claim(opts.lockKey))) return;
      await store.compact(target);
    } catch (err) {
      // A store closed under a running compactor is shutdown, not a failure.
      if (!(stopped || (err instanceof StoreError && err.code === 'Closed'))) onError(err);
    } finally {
      running = false;
    }
  };

  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
