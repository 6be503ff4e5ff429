// The StoreErrors every driver throws, worded once so that messages (which reach
// users through the apiserver) are the same whatever the backend.

import { StoreError, type KV, type Revision } from './store.ts';

export const keyExists = (current: KV): StoreError =>
  new StoreError('KeyExists', `key ${current.key} already exists`, current);

export const conflict = (expected: Revision, current: KV): StoreError =>
  new StoreError('Conflict',
    `key ${current.key} is at revision ${current.modRevision}, not ${expected}`, current);

export const notFound = (key: string): StoreError => new StoreError('NotFound', `key ${key} not found`);

export const compacted = (revision: Revision, compactedRevision: Revision): StoreError =>
  new StoreError('Compacted',
    `revision ${revision} has been compacted (history starts after ${compactedRevision})`);

export const futureRevision = (revision: Revision, current: Revision): StoreError =>
  new StoreError('FutureRevision', `revision ${revision} is newer than the current revision ${current}`);

export const closed = (): StoreError => new StoreError('Closed', 'store is closed');

/** The checks every read at a chosen revision makes, in the order etcd makes them. */
export function checkReadRevision(at: Revision, compactedRevision: Revision, current: Revision): void {
  if (!Number.isSafeInteger(at) || at < 0) throw new RangeError(`invalid revision ${at}`);
  if (at > current) throw futureRevision(at, current);
  if (at < compactedRevision) throw compacted(at, compactedRevision);
}
