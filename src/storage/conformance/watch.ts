// Watch: every change after a revision, once, in order, through catch-up and
// live writes alike; and it ends when asked.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store.ts';
import {
  assertRevisions, collect, dec, enc, keyOf, range, rejectsWith, revisionOf, show, until, withStore,
  type StoreFactoryFn,
} from './helpers.ts';

/** Writes `n` updates spread over a few keys under `prefix`, in order. */
async function churn(s: Store, prefix: string, n: number): Promise<void> {
  const keys = ['a', 'b', 'c', 'd', 'e'].map((k) => prefix + k);
  for (let i = 0; i < n; i++) {
    const key = keys[i % keys.length]!;
    const cur = await s.get(key);
    if (cur) await s.update(key, enc(String(i)), cur.modRevision);
    else await s.create(key, enc(String(i)));
  }
}

export function watchTests(factory: StoreFactoryFn): void {
  void it('delivers puts and deletes with their previous values', () => withStore(factory, async (s) => {
    const a = await s.create('/w/a', enc('1'));
    const a2 = await s.update('/w/a', enc('2'), a.modRevision);
    await s.delete('/w/a', a2.modRevision);
    const [created, updated, deleted] = await collect(s, '/w/', 0, 3);
    assert.ok(created?.type === 'put' && updated?.type === 'put' && deleted?.type === 'delete');
    assert.equal(show(created.kv), '/w/a=1@1/1');
    assert.equal(created.prev, undefined);
    assert.equal(show(updated.kv), '/w/a=2@2/1');
    assert.equal(show(updated.prev), '/w/a=1@1/1');
    assert.deepEqual([deleted.key, deleted.revision, show(deleted.prev)], ['/w/a', 3, '/w/a=2@2/1']);
  }));

  void it('delivers history and live writes once, in order, even when writes land during catch-up', () =>
    withStore(factory, async (s) => {
      // More history than a watcher reads at once, so catch-up spans several reads.
      await churn(s, '/w/', 600);
      const events = await collect(s, '/w/', 0, 700, async (_e, i) => {
        if (i === 5 || i === 300 || i === 599) await churn(s, '/w/x', 25);
        if (i === 650) await churn(s, '/w/y', 25);
      });
      assertRevisions(events, range(1, 700));
      assert.equal(await s.currentRevision(), 700);
    }));

  void it('filters by prefix without losing its place among other writes', () => withStore(factory, async (s) => {
    await churn(s, '/registry/podsx/', 300);
    await s.create('/registry/pods/a', enc('1'));
    await churn(s, '/registry/services/', 300);
    await s.create('/registry/pods/b', enc('1'));
    const events = await collect(s, '/registry/pods/', 0, 3, async (_e, i) => {
      if (i === 1) {
        await churn(s, '/registry/podsx/', 300);
        await s.create('/registry/pods/c', enc('1'));
      }
    });
    assert.deepEqual(events.map(keyOf), ['/registry/pods/a', '/registry/pods/b', '/registry/pods/c']);
  }));

  void it('resumes from a revision in the middle', () => withStore(factory, async (s) => {
    await churn(s, '/w/', 40);
    const events = await collect(s, '/w/', 17, 23);
    assertRevisions(events, range(18, 40));
    assert.equal(dec((events[0]!.type === 'put' && events[0].kv.value) || enc('')), '17');
  }));

  void it('waits for writes when started at the head', () => withStore(factory, async (s) => {
    await churn(s, '/w/', 5);
    const pending = collect(s, '/w/', 5, 3);
    await sleep(20);
    await churn(s, '/w/', 3);
    assertRevisions(await pending, [6, 7, 8]);
  }));

  void it('feeds two concurrent watchers the same sequence', () => withStore(factory, async (s) => {
    await churn(s, '/w/', 10);
    const one = collect(s, '/w/', 0, 60);
    const two = collect(s, '/w/', 4, 56);
    await churn(s, '/w/', 50);
    assertRevisions(await one, range(1, 60));
    assertRevisions(await two, range(5, 60));
  }));

  void it('ends when the signal aborts, leaving no listeners behind', () => withStore(factory, async (s) => {
    const ac = new AbortController();
    const seen: number[] = [];
    const done = (async () => {
      for await (const e of s.watch('/w/', 0, ac.signal)) seen.push(revisionOf(e));
    })();
    await churn(s, '/w/', 2);
    await until(() => seen.length === 2, 'both events arrive');
    await sleep(10); // now asleep waiting for a third event
    ac.abort();
    await done;
    assert.deepEqual(seen, [1, 2]);

    const early = new AbortController();
    early.abort();
    for await (const e of s.watch('/w/', 0, early.signal)) assert.fail(`aborted watch delivered ${revisionOf(e)}`);

    // Leaving a for-await early must release the watch too.
    const shared = new AbortController();
    for await (const e of s.watch('/w/', 0, shared.signal)) if (revisionOf(e) === 2) break;
    const idle = (async () => { for await (const e of s.watch('/w/', 2, shared.signal)) void e; })();
    await sleep(20);
    assert.ok(getEventListeners(shared.signal, 'abort').length <= 1, 'a finished watch left a listener on its signal');
    shared.abort();
    await idle;
    assert.equal(getEventListeners(shared.signal, 'abort').length, 0);
  }));

  void it('fails a watcher that compaction overtakes with Compacted, never with a gap', () => withStore(factory, async (s) => {
    await churn(s, '/w/', 1000);
    const seen: number[] = [];
    let error: unknown;
    try {
      for await (const e of s.watch('/w/', 0, AbortSignal.timeout(5000))) {
        seen.push(revisionOf(e));
        if (seen.length === 1) await s.compact(1000);
        if (seen.length === 1000) break;
      }
    } catch (err) {
      error = err;
    }
    assert.deepEqual(seen, range(1, seen.length), 'events skipped or repeated');
    if (seen.length < 1000) await rejectsWith(Promise.reject(error), 'Compacted');
  }));

  void it('keeps a caught-up watcher of a quiet prefix through compaction of writes elsewhere', () => withStore(factory, async (s) => {
    await s.create('/quiet/a', enc('1'));
    const seen: number[] = [];
    let error: unknown;
    const watching = (async () => {
      try {
        for await (const e of s.watch('/quiet/', 1, AbortSignal.timeout(5000))) {
          seen.push(revisionOf(e));
          break;
        }
      } catch (err) {
        error = err;
      }
    })();
    await sleep(20); // caught up, and waiting
    await churn(s, '/busy/', 50);
    // Past the revision the watch started from: it has missed nothing, so it goes on.
    await s.compact(await s.currentRevision());
    const b = await s.create('/quiet/b', enc('1'));
    await watching;
    assert.equal(error, undefined, `the watch failed: ${String(error)}`);
    assert.deepEqual(seen, [b.modRevision]);
  }));

  void it('fails a waiting watch with Closed when the store closes', async () => {
    const s = await factory();
    const ac = new AbortController();
    const pending = (async () => { for await (const e of s.watch('/w/', 0, ac.signal)) void e; })();
    await sleep(20);
    await s.close();
    await rejectsWith(pending, 'Closed');
    ac.abort();
  });
}
