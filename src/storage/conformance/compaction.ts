// Compaction: history before a revision goes, the latest state stays, and
// readers of forgotten history are told so instead of getting partial answers.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { assertRevisions, collect, enc, rejectsWith, show, withStore, type StoreFactoryFn } from './helpers.ts';

export function compactionTests(factory: StoreFactoryFn): void {
  void it('forgets history but keeps the latest values', () => withStore(factory, async (s) => {
    await s.create('/c/a', enc('a1'));                       // 1
    await s.update('/c/a', enc('a2'), 1);                    // 2
    await s.create('/c/b', enc('b1'));                       // 3
    await s.delete('/c/b', 3);                               // 4
    await s.create('/c/c', enc('c1'));                       // 5
    await s.update('/c/a', enc('a3'), 2);                    // 6
    await s.delete('/c/c', 5);                               // 7
    assert.equal(await s.compactedRevision(), 0);
    await s.compact(5);
    assert.equal(await s.compactedRevision(), 5);

    await rejectsWith(s.list('/c/', { atRevision: 4 }), 'Compacted');
    assert.deepEqual((await s.list('/c/', { atRevision: 5 })).items.map(show), ['/c/a=a2@2/1', '/c/c=c1@5/5']);
    assert.deepEqual((await s.list('/c/')).items.map(show), ['/c/a=a3@6/1']);
    assert.equal(show(await s.get('/c/a')), '/c/a=a3@6/1');
    assert.equal(await s.count('/c/'), 1);

    const watcher = s.watch('/c/', 4, new AbortController().signal)[Symbol.asyncIterator]();
    await rejectsWith(watcher.next(), 'Compacted');
    // Events after the compacted revision keep their previous values.
    const [update, del] = await collect(s, '/c/', 5, 2);
    assert.ok(update?.type === 'put' && del?.type === 'delete');
    assert.equal(show(update.prev), '/c/a=a2@2/1');
    assert.equal(show(del.prev), '/c/c=c1@5/5');

    await s.compact(3); // older than what is already compacted: nothing to do
    assert.equal(await s.compactedRevision(), 5);
    await rejectsWith(s.compact(8), 'FutureRevision');
    assert.equal(show(await s.create('/c/b', enc('b2'))), '/c/b=b2@8/8');
  }));

  void it('never reuses a revision, even when compaction removes the newest write', () => withStore(factory, async (s) => {
    await s.create('/c/a', enc('1'));
    await s.delete('/c/a');
    await s.compact(2);
    assert.equal(await s.currentRevision(), 2);
    assert.equal((await s.create('/c/b', enc('1'))).modRevision, 3);
    assertRevisions(await collect(s, '/c/', 2, 1), [3]);
    assert.deepEqual((await s.list('/c/', { atRevision: 2 })).items, []);
  }));

  void it('compacts repeatedly as history grows', () => withStore(factory, async (s) => {
    let kv = await s.create('/c/n', enc('0'));
    for (let round = 1; round <= 3; round++) {
      for (let i = 0; i < 50; i++) kv = await s.update('/c/n', enc(String(kv.modRevision)), kv.modRevision);
      await s.compact(kv.modRevision - 10);
      const atOldest = await s.list('/c/', { atRevision: kv.modRevision - 10 });
      assert.equal(show(atOldest.items[0]), `/c/n=${kv.modRevision - 11}@${kv.modRevision - 10}/1`);
      assertRevisions(await collect(s, '/c/', kv.modRevision - 10, 10), Array.from({ length: 10 }, (_, i) => kv.modRevision - 9 + i));
    }
  }));
}
