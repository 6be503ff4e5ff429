// What this controller wrote and has not yet seen in its cache (upstream's
// EndpointSliceTracker): a sync that would work from a cache older than its
// own last writes could create duplicate slices or undo an update, so such a
// sync waits until the informer has caught up. Versions are compared as the
// store's revisions (resourceVersion is the decimal revision on Pilot).

import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

const DELETED = 'deleted';

function rv(s: EndpointSlice): bigint | undefined {
  const v = s.metadata?.resourceVersion;
  return v && /^\d+$/.test(v) ? BigInt(v) : undefined;
}

export class EndpointSliceTracker {
  /** service key → slice name → last written resourceVersion, or DELETED. */
  private readonly written = new Map<string, Map<string, bigint | typeof DELETED>>();

  private forService(key: string): Map<string, bigint | typeof DELETED> {
    let m = this.written.get(key);
    if (!m) this.written.set(key, (m = new Map()));
    return m;
  }

  /** After a create or update that returned `slice`. */
  wrote(serviceKey: string, slice: EndpointSlice): void {
    const v = rv(slice);
    if (v !== undefined) this.forService(serviceKey).set(slice.metadata!.name!, v);
  }

  deleted(serviceKey: string, name: string): void {
    this.forService(serviceKey).set(name, DELETED);
  }

  /** True when `cached` (the Service's slices in the cache) does not yet show every write. */
  stale(serviceKey: string, cached: readonly EndpointSlice[]): boolean {
    const m = this.written.get(serviceKey);
    if (!m) return false;
    const byName = new Map(cached.map((s) => [s.metadata?.name ?? '', s]));
    for (const [name, want] of m) {
      const s = byName.get(name);
      if (want === DELETED) {
        if (s && !s.metadata?.deletionTimestamp) return true;
        m.delete(name);
        continue;
      }
      const have = s ? rv(s) : undefined;
      if (have === undefined || have < want) return true;
      m.delete(name); // seen: nothing more to wait for
    }
    return false;
  }

  /** The informer saw `name` deleted (by us or anyone): nothing more to wait for about it. */
  observedDeletion(serviceKey: string, name: string): void {
    this.written.get(serviceKey)?.delete(name);
  }

  deleteService(serviceKey: string): void {
    this.written.delete(serviceKey);
  }
}
