import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemoryStore } from '../../storage/drivers/memory.ts';
import type { Store } from '../../storage/store.ts';
import { WatchCache, type DecodedEvent } from './watch-cache.ts';
import { decodeKV, encodeObject } from './codec.ts';

const enc = (name: string, v: number): Uint8Array => encodeObject({ metadata: { name }, data: { v: String(v) } });

/** Counts the store watches the cache opens. */
function counting(store: Store): { store: Store; watches: () => number } {
  let n = 0;
  const wrapped = new Proxy(store, {
    get(target, prop) {
      if (prop === 'watch') return (prefix: string, from: number, signal: AbortSignal) => { n++; return target.watch(prefix, from, signal); };
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { store: wrapped, watches: () => n };
}

async function take(it: AsyncIterable<DecodedEvent>, n: number): Promise<DecodedEvent[]> {
  const out: DecodedEvent[] = [];
  for await (const ev of it) { out.push(ev); if (out.length === n) break; }
  return out;
}

test('many watchers share one store watch and each sees every event in order', async () => {
  const base = await openMemoryStore();
  const { store, watches } = counting(base);
  const cache = new WatchCache(store, '/registry/configmaps/', decodeKV);
  await cache.start();
  const start = await store.currentRevision();
  const ac = new AbortController();
  const subs = Array.from({ length: 200 }, () => take(cache.subscribe('/registry/configmaps/', start, ac.signal)!, 30));
  for (let i = 0; i < 30; i++) await store.create(`/registry/configmaps/ns/cm-${i}`, enc(`cm-${i}`, i));
  const results = await Promise.all(subs);
  for (const r of results) {
    assert.deepEqual(r.map((e) => e.obj.metadata.name), Array.from({ length: 30 }, (_, i) => `cm-${i}`));
    assert.ok(r.every((e, i) => i === 0 || e.revision > r[i - 1].revision));
  }
  assert.equal(watches(), 1, '200 watchers, one store watch');
  assert.equal(cache.stats().watchers, 0, 'finished watchers unsubscribe');
  ac.abort();
  cache.stop();
  await base.close();
});

test('replays recent history, filters by prefix, and refuses history it no longer has', async () => {
  const store = await openMemoryStore();
  const cache = new WatchCache(store, '/registry/configmaps/', decodeKV, { capacity: 5, maxBacklog: 100 });
  await cache.start();
  const r0 = await store.currentRevision();
  for (let i = 0; i < 8; i++) await store.create(`/registry/configmaps/${i % 2 ? 'a' : 'b'}/cm-${i}`, enc(`cm-${i}`, i));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(cache.subscribe('/registry/configmaps/', r0, new AbortController().signal), undefined, 'older than the ring');
  const cur = await store.currentRevision();
  const ac = new AbortController();
  const it = cache.subscribe('/registry/configmaps/a/', cur - 3, ac.signal)!;
  const got = take(it, 3);
  await store.update('/registry/configmaps/a/cm-1', enc('cm-1', 100), (await store.get('/registry/configmaps/a/cm-1'))!.modRevision);
  const evs = await got;
  // The last three revisions hold cm-5 (a), cm-6 (b, filtered out), cm-7 (a); then the update.
  assert.deepEqual(evs.map((e) => e.obj.metadata.name), ['cm-5', 'cm-7', 'cm-1']);
  assert.equal(evs[2].prev?.data.v, '1');
  assert.equal(evs[2].created, false);
  ac.abort();
  cache.stop();
  await store.close();
});

test('a watcher that falls too far behind is closed rather than buffered without bound', async () => {
  const store = await openMemoryStore();
  const cache = new WatchCache(store, '/registry/configmaps/', decodeKV, { capacity: 1000, maxBacklog: 10 });
  await cache.start();
  const it = cache.subscribe('/registry/configmaps/', await store.currentRevision(), new AbortController().signal)!;
  for (let i = 0; i < 20; i++) await store.create(`/registry/configmaps/x/cm-${i}`, enc(`cm-${i}`, i));
  await new Promise((r) => setTimeout(r, 20));
  const seen: DecodedEvent[] = [];
  for await (const ev of it) seen.push(ev);
  assert.ok(seen.length <= 11, `closed after its backlog overflowed (saw ${seen.length})`);
  cache.stop();
  await store.close();
});
