// Wakes watchers when the store's revision moves.
//
// Watchers never receive events through the feed: they only learn that the log
// grew, then read the log themselves from their own position. That keeps a slow
// watcher from making anyone buffer for it, and makes gaps impossible: whatever
// a watcher missed while busy is still in the log.

import type { Revision } from './store.ts';

export class ChangeFeed {
  #revision: Revision;
  #closed = false;
  readonly #waiters = new Set<() => void>();

  constructor(revision: Revision) {
    this.#revision = revision;
  }

  /** Call after each committed write, synchronously with the commit. */
  publish(revision: Revision): void {
    if (revision <= this.#revision) return;
    this.#revision = revision;
    this.#wakeAll();
  }

  /** Wakes every waiter for good; the store is closing and reads will say so. */
  close(): void {
    this.#closed = true;
    this.#wakeAll();
  }

  /**
   * Resolves once the revision exceeds `after`, the feed closes or `signal` aborts,
   * whichever comes first. Checking the revision first means a write that landed
   * while the watcher was busy elsewhere is never slept through.
   */
  waitBeyond(after: Revision, signal: AbortSignal): Promise<void> {
    if (this.#revision > after || this.#closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** Watchers currently asleep (for tests that check nothing is left behind). */
  get waiting(): number {
    return this.#waiters.size;
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters]) wake();
  }
}
