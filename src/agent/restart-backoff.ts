// Upstream's container restart back-off (CrashLoopBackOff) and image pull
// back-off: per key, the first restart is immediate, then each next one waits
// 10 s, 20 s, 40 s … up to 5 min after the container last finished. A key left
// alone for twice the maximum starts over.

import type { Clock } from '../base/clock.ts';

export const INITIAL_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 300_000;

interface Entry { delayMs: number; lastUpdate: number }

export class RestartBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock, private readonly initialMs = INITIAL_BACKOFF_MS, private readonly maxMs = MAX_BACKOFF_MS) {}

  /**
   * The milliseconds still to wait before restarting, counted from `since` (when
   * the container finished); 0 when a restart may happen now.
   */
  remaining(key: string, since: number): number {
    const e = this.fresh(key);
    if (!e) return 0;
    return Math.max(0, since + e.delayMs - this.clock.now());
  }

  /** The milliseconds still to wait, counted from the last next() of `key` (image pulls). */
  remainingSinceLast(key: string): number {
    const e = this.fresh(key);
    return e ? Math.max(0, e.lastUpdate + e.delayMs - this.clock.now()) : 0;
  }

  /** The current delay of `key` (0 if none), for messages such as "back-off 20s". */
  delay(key: string): number {
    return this.fresh(key)?.delayMs ?? 0;
  }

  /** Records a restart: the next one waits longer. */
  next(key: string): void {
    const now = this.clock.now();
    const e = this.fresh(key);
    this.entries.set(key, { delayMs: e ? Math.min(e.delayMs * 2, this.maxMs) : this.initialMs, lastUpdate: now });
  }

  reset(key: string): void { this.entries.delete(key); }

  /** Forgets every key with this prefix (a pod's containers when the pod goes away). */
  resetPrefix(prefix: string): void {
    for (const k of this.entries.keys()) if (k.startsWith(prefix)) this.entries.delete(k);
  }

  private fresh(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.clock.now() - e.lastUpdate > 2 * this.maxMs) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}
