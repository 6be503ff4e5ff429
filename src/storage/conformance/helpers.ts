// Small tools the conformance suite shares.

import assert from 'node:assert/strict';
import { StoreError, type KV, type Store, type StoreErrorCode, type StoreEvent } from '../store.ts';

export type StoreFactoryFn = () => Promise<Store>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const enc = (s: string): Uint8Array => encoder.encode(s);
export const dec = (v: Uint8Array): string => decoder.decode(v);

/** Runs `fn` against a fresh store, closing it however `fn` ends. */
export async function withStore(factory: StoreFactoryFn, fn: (store: Store) => Promise<void>): Promise<void> {
  const store = await factory();
  try {
    await fn(store);
  } finally {
    await store.close();
  }
}

/** Asserts that `promise` rejects with a StoreError of `code`, and returns it. */
export async function rejectsWith(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected StoreError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected StoreError ${code}, but it resolved`);
}

/** key=value@modRevision, a compact form for comparing KVs. */
export const show = (kv: KV | undefined): string =>
  kv ? `${kv.key}=${dec(kv.value)}@${kv.modRevision}/${kv.createRevision}` : 'none';

/** An event's revision and key, whatever its type. */
export const revisionOf = (e: StoreEvent): number => (e.type === 'put' ? e.kv.modRevision : e.revision);
export const keyOf = (e: StoreEvent): string => (e.type === 'put' ? e.kv.key : e.key);

/**
 * Collects `count` events from a watch, calling `onEvent` after each (it may write).
 * Gives up after `timeoutMs` so a missing event fails the test instead of hanging it.
 */
export async function collect(
  store: Store, prefix: string, from: number, count: number,
  onEvent?: (e: StoreEvent, index: number) => Promise<void>, timeoutMs = 5000,
): Promise<StoreEvent[]> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  const events: StoreEvent[] = [];
  try {
    for await (const e of store.watch(prefix, from, ac.signal)) {
      events.push(e);
      await onEvent?.(e, events.length - 1);
      if (events.length === count) break;
    }
  } finally {
    clearTimeout(timer);
    ac.abort();
  }
  assert.equal(events.length, count, `watch delivered ${events.length} of ${count} events within ${timeoutMs} ms`);
  return events;
}

/** Asserts events are exactly the given revisions, in order. */
export function assertRevisions(events: StoreEvent[], revisions: number[]): void {
  assert.deepEqual(events.map(revisionOf), revisions);
}

export const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Polls until `check` holds; fails (rather than hangs) after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
