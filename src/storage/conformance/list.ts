// Listing: byte order, prefix ranges, paging at one revision, past revisions.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../store.ts';
import { enc, rejectsWith, show, withStore, type StoreFactoryFn } from './helpers.ts';

const pod = (i: number) => `/registry/pods/default/p${String(i).padStart(2, '0')}`;

async function createPods(s: Store, n: number): Promise<void> {
  // Shuffled, so the store (not insertion order) has to produce key order.
  const order = Array.from({ length: n }, (_, i) => (i * 7) % n);
  for (const i of order) await s.create(pod(i), enc(`v${i}`));
}

export function listTests(factory: StoreFactoryFn): void {
  void it('lists keys in byte order at the current revision', () => withStore(factory, async (s) => {
    await createPods(s, 10);
    const res = await s.list('/registry/pods/');
    assert.deepEqual(res.items.map((kv) => kv.key), Array.from({ length: 10 }, (_, i) => pod(i)));
    assert.equal(res.revision, await s.currentRevision());
    assert.equal(res.more, false);
    assert.equal(res.remaining, 0);
  }));

  void it('keeps prefixes apart', () => withStore(factory, async (s) => {
    for (const key of ['/registry/pods/a', '/registry/pods/b/c', '/registry/podsx/a', '/registry/pods',
      '/registry/pod/a', '/registry/pods0', '/registry/services/a']) await s.create(key, enc('v'));
    const keys = (await s.list('/registry/pods/')).items.map((kv) => kv.key);
    assert.deepEqual(keys, ['/registry/pods/a', '/registry/pods/b/c']);
    assert.equal(await s.count('/registry/pods/'), 2);
    assert.equal(await s.count('/registry/'), 7);
    assert.equal(await s.count(''), 7);
    assert.equal((await s.list('')).items.length, 7);
    assert.equal(await s.count('/nothing/'), 0);
  }));

  void it('pages with limit and continueAfter consistently at one revision while writes happen', () => withStore(factory, async (s) => {
    await createPods(s, 25);
    const snapshot = (await s.list('/registry/pods/')).items.map(show);

    const first = await s.list('/registry/pods/', { limit: 10 });
    assert.equal(first.items.length, 10);
    assert.deepEqual([first.more, first.remaining], [true, 15]);
    const at = first.revision;

    // Writes between pages, on keys both before and after the page boundary.
    await s.delete(pod(12));
    await s.update(pod(15), enc('changed'), (await s.get(pod(15)))!.modRevision);
    await s.create(pod(30), enc('new'));
    await s.delete(pod(3));
    await s.create('/registry/pods/default/p10a', enc('new'));

    const second = await s.list('/registry/pods/', { limit: 10, atRevision: at, continueAfter: first.items.at(-1)!.key });
    assert.equal(second.revision, at);
    assert.deepEqual([second.more, second.remaining], [true, 5]);
    const third = await s.list('/registry/pods/', { limit: 10, atRevision: at, continueAfter: second.items.at(-1)!.key });
    assert.deepEqual([third.items.length, third.more, third.remaining], [5, false, 0]);
    assert.deepEqual([...first.items, ...second.items, ...third.items].map(show), snapshot);

    // The same paging at the current revision sees the writes.
    const now = await s.list('/registry/pods/', { limit: 10, continueAfter: first.items.at(-1)!.key });
    assert.deepEqual([now.items.length, now.remaining], [10, 6]);
    assert.equal(await s.count('/registry/pods/'), 25);
  }));

  void it('lists the state as of a past revision', () => withStore(factory, async (s) => {
    const a = await s.create('/k/a', enc('a1'));
    const b = await s.create('/k/b', enc('b1'));
    const before = await s.currentRevision();
    await s.update('/k/a', enc('a2'), a.modRevision);
    await s.delete('/k/b', b.modRevision);
    await s.create('/k/c', enc('c1'));
    await s.create('/k/b', enc('b2'));

    assert.deepEqual((await s.list('/k/', { atRevision: before })).items.map(show), ['/k/a=a1@1/1', '/k/b=b1@2/2']);
    assert.deepEqual((await s.list('/k/', { atRevision: 4 })).items.map(show), ['/k/a=a2@3/1']);
    assert.deepEqual((await s.list('/k/', { atRevision: 0 })).items, []);
    assert.deepEqual((await s.list('/k/')).items.map(show), ['/k/a=a2@3/1', '/k/b=b2@6/6', '/k/c=c1@5/5']);
    const paged = await s.list('/k/', { atRevision: before, limit: 1 });
    assert.deepEqual([paged.items.map(show), paged.more, paged.remaining], [['/k/a=a1@1/1'], true, 1]);
  }));

  void it('refuses revisions from the future', () => withStore(factory, async (s) => {
    await s.create('/a', enc('1'));
    await rejectsWith(s.list('/', { atRevision: 2 }), 'FutureRevision');
  }));

  void it('treats a limit beyond the end, and a continue key before the prefix, sensibly', () => withStore(factory, async (s) => {
    await createPods(s, 3);
    const all = await s.list('/registry/pods/', { limit: 100 });
    assert.deepEqual([all.items.length, all.more, all.remaining], [3, false, 0]);
    const exact = await s.list('/registry/pods/', { limit: 3 });
    assert.deepEqual([exact.items.length, exact.more, exact.remaining], [3, false, 0]);
    const early = await s.list('/registry/pods/', { continueAfter: '/a' });
    assert.equal(early.items.length, 3);
    const late = await s.list('/registry/pods/', { continueAfter: '/z' });
    assert.equal(late.items.length, 0);
  }));
}
