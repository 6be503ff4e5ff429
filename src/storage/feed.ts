// Wakes watchers when the store's revision moves.
//
// Watchers never receive events through the feed: they only learn that the log
// grew, then read the log themselves from their own position. That keeps a slow
// watcher from making anyone buffer for it, and makes gaps impossible: whatever
// a watcher missed while busy is still in the log.
//
// A waiter may name the key prefix it watches, and a publisher the keys it
// wrote: the waiter then sleeps through writes elsewhere. The apiserver keeps
// one store watch per resource type (a few dozen), so waking all of them to
// read the log after every write cost more than the write itself. Such a waiter
// may then sit at an old revision although it has missed nothing, so a driver
// calls settle() before compacting: every waiter reads once, which moves it up
// to the head, and compaction of history it has no interest in never overtakes it.

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Revision } from './store.ts';

export class ChangeFeed {
  #revision: Revision;
  #closed = false;
  /** Each sleeping waiter, with the prefix it cares about ('' = every key). */
  readonly #waiters = new Map<() => void, string>();

  constructor(revision: Revision) {
    this.#revision = revision;
  }

  /**
   * Call after each committed write, synchronously with the commit. `keys`, the
   * keys the writes up to `revision` touched, lets waiters on other prefixes sleep
   * on; without it every waiter wakes.
   */
  publish(revision: Revision, keys?: readonly string[]): void {
    if (revision <= this.#revision) return;
    this.#revision = revision;
    if (!keys) { this.#wakeAll(); return; }
    for (const [wake, prefix] of [...this.#waiters]) {
      if (prefix === '' || keys.some((k) => k.startsWith(prefix))) wake();
    }
  }

  /**
   * Wakes every waiter and resolves after a turn of the event loop, by which time
   * each has read the log (a read is synchronous) and is waiting at the head again.
   * Call before compacting.
   */
  async settle(): Promise<void> {
    this.#wakeAll();
    await nextTurn();
  }

  /** Wakes every waiter for good; the store is closing and reads will say so. */
  close(): void {
    this.#closed = true;
    this.#wakeAll();
  }

  /**
   * Resolves once the revision exceeds `after` (by a write under `prefix`, when the
   * publisher says which keys it wrote), the feed closes or `signal` aborts,
   * whichever comes first. Checking the revision first means a write that landed
   * while the watcher was busy elsewhere is never slept through: a revision past
   * `after` resolves at once, whatever keys it wrote.
   */
  waitBeyond(after: Revision, signal: AbortSignal, prefix = ''): Promise<void> {
    if (this.#revision > after || this.#closed || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        signal.removeEventListener('abort', wake);
        resolve();
      };
      this.#waiters.set(wake, prefix);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  /** Watchers currently asleep (for tests that check nothing is left behind). */
  get waiting(): number {
    return this.#waiters.size;
  }

  #wakeAll(): void {
    for (const wake of [...this.#waiters.keys()]) wake();
  }
}
