// What a controller is still waiting to see (upstream's
// UIDTrackingControllerExpectations): after creating N pods or deleting some,
// a sync does nothing more until the informer has shown those changes, so a
// lagging cache never makes it create or delete twice. Expectations expire
// after 5 minutes, in case a watch event was lost.

import type { Clock } from '../../base/clock.ts';

export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Record {
  add: number;
  del: number;
  at: number;
  /** Keys (namespace/name) of pods whose deletion is awaited. */
  deleting: Set<string>;
}

export class ControllerExpectations {
  private readonly records = new Map<string, Record>();

  constructor(private readonly clock: Clock, private readonly ttlMs = EXPECTATIONS_TTL_MS) {}

  /** True when the controller may act: nothing awaited, expectations expired, or none recorded. */
  satisfied(key: string): boolean {
    const r = this.records.get(key);
    if (!r) return true;
    if (r.add <= 0 && r.del <= 0) return true;
    return this.clock.now() - r.at > this.ttlMs;
  }

  expectCreations(key: string, n: number): void {
    this.records.set(key, { add: n, del: 0, at: this.clock.now(), deleting: new Set() });
  }

  expectDeletions(key: string, podKeys: readonly string[]): void {
    this.records.set(key, { add: 0, del: podKeys.length, at: this.clock.now(), deleting: new Set(podKeys) });
  }

  creationObserved(key: string): void {
    const r = this.records.get(key);
    if (r) r.add--;
  }

  /** Counts only pods this controller deleted (or meant to). */
  deletionObserved(key: string, podKey: string): void {
    const r = this.records.get(key);
    if (r?.deleting.delete(podKey)) r.del--;
  }

  /** For creations that were never attempted or failed: nothing will be observed for them. */
  lowerExpectations(key: string, adds: number, dels: number): void {
    const r = this.records.get(key);
    if (!r) return;
    r.add -= adds;
    r.del -= dels;
  }

  /** The owner is gone (a re-created one with the same name starts clean). */
  delete(key: string): void {
    this.records.delete(key);
  }

  /** For tests and logs. */
  get(key: string): { add: number; del: number } | undefined {
    const r = this.records.get(key);
    return r && { add: r.add, del: r.del };
  }
}
