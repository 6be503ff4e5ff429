// What a DaemonSet is still waiting to see (upstream's counting
// ControllerExpectations): after a sync creates N pods and deletes M, the
// next syncs only refresh status until the pod informer has shown N adds and
// M deletes, so a lagging cache never makes it create or delete twice.
// Records expire after 5 minutes in case an event was lost.

import type { Clock } from '../../base/clock.ts';

export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record { add: number; del: number; at: number }

export class DaemonSetExpectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly clock: Clock, private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  /** SatisfiedExpectations: nothing awaited, expired, or never set. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > this.ttlMs;
  }

  /** SetExpectations: replaces what was awaited (set before the first create/delete is sent). */
  set(key: string, add: number, del: number): void {
    this.records.set(key, { add, del, at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  deletionObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.del--;
  }

  /** For creates never attempted: nothing will be observed for them. */
  lower(key: string, add: number, del: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= add;
    r.del -= del;
  }

  delete(key: string): void {
    this.records.delete(key);
  }

  get(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
