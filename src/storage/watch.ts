// The one watch loop every log-backed driver shares: read the log from the last
// revision seen, deliver, and sleep on the ChangeFeed only when caught up.
// Catch-up and live delivery are the same code path, so writes that race with
// catch-up cannot be lost or repeated.

import type { ChangeFeed } from './feed.ts';
import type { Revision, StoreEvent } from './store.ts';

export interface LogPage {
  /** Matching events, oldest first. */
  events: StoreEvent[];
  /** The revision this read covers up to: the next read continues after it. */
  through: Revision;
  /** True when `through` is the head of the log (nothing newer was written yet). */
  caughtUp: boolean;
}

export interface EventLog {
  /**
   * Up to `limit` events under `prefix` with revision > `after`. Must be
   * synchronous with respect to writes (no write can commit mid-read), and must
   * throw StoreError('Compacted') when after < the compacted revision — events
   * the caller has not seen are gone — and StoreError('Closed') once closed.
   */
  readEvents(prefix: string, after: Revision, limit: number): LogPage;
}

/** How many events a watcher holds at a time; a slow consumer costs no more. */
const PAGE = 256;

export async function* followLog(
  log: EventLog,
  feed: ChangeFeed,
  prefix: string,
  fromRevision: Revision,
  signal: AbortSignal,
): AsyncGenerator<StoreEvent, void, undefined> {
  if (!Number.isSafeInteger(fromRevision) || fromRevision < 0) throw new RangeError(`invalid revision ${fromRevision}`);
  let after = fromRevision;
  while (!signal.aborted) {
    const page = log.readEvents(prefix, after, PAGE);
    for (const event of page.events) {
      yield event;
      if (signal.aborted) return;
    }
    after = Math.max(after, page.through);
    if (page.caughtUp) await feed.waitBeyond(after, signal, prefix);
  }
}
