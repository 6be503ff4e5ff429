// Per-key exponential back-off on the controller's clock (client-go's
// flowcontrol.Backoff without jitter): the DaemonSet controller uses it so
// that a node whose kubelet keeps failing daemon pods does not get a new pod
// in a hot loop. An entry left alone for twice the cap counts as healed.

import type { Clock } from '../../base/clock.ts';

interface Entry { backoffMs: number; lastUpdate: number }

export class KeyedBackoff {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly clock: Clock, readonly initialMs: number, readonly maxMs: number) {}

  private expired(e: Entry, now: number): boolean {
    return now - e.lastUpdate > 2 * this.maxMs;
  }

  /** The current delay of `id` (0 when none). */
  get(id: string): number {
    return this.entries.get(id)?.backoffMs ?? 0;
  }

  /** Records a failure at `now`: the first (or first after healing) waits initialMs, each next one twice as long, up to maxMs. */
  next(id: string, now = this.clock.now()): void {
    const e = this.entries.get(id);
    const backoffMs = !e || this.expired(e, now) ? this.initialMs : Math.min(e.backoffMs * 2, this.maxMs);
    this.entries.set(id, { backoffMs, lastUpdate: this.clock.now() });
  }

  /** IsInBackOffSinceUpdate: less than the current delay has passed since the last failure. */
  inBackoffSinceUpdate(id: string, now = this.clock.now()): boolean {
    const e = this.entries.get(id);
    if (!e || this.expired(e, now)) return false;
    return now - e.lastUpdate < e.backoffMs;
  }

  /** Forgets healed entries (upstream runs this every minute). */
  gc(now = this.clock.now()): void {
    for (const [id, e] of this.entries) if (this.expired(e, now)) this.entries.delete(id);
  }

  get size(): number { return this.entries.size; }
}
