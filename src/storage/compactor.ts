// Keeps the log from growing without bound: every interval, forget history
// older than the newest `retainRevisions` revisions. Watchers further behind
// than that get Compacted (410 Gone) and relist, as with upstream's compaction.

import type { Store } from './store.ts';
import { StoreError } from './store.ts';

export interface CompactorOptions {
  intervalMs: number;
  retainRevisions: number;
  /** Told of failed compactions (the next tick tries again). Default: a process warning. */
  onError?: (err: unknown) => void;
}

export function startCompactor(store: Store, opts: CompactorOptions): { stop(): void } {
  const onError = opts.onError ?? ((err: unknown) => process.emitWarning(`store compaction failed: ${String(err)}`));
  let running = false;
  let stopped = false;

  const tick = async () => {
    // A slow compaction must not pile up behind itself.
    if (running || stopped) return;
    running = true;
    try {
      const target = (await store.currentRevision()) - opts.retainRevisions;
      if (target > (await store.compactedRevision())) await store.compact(target);
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
