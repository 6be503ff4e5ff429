import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { startCompactor } from './compactor.ts';
import { enc } from './conformance/helpers.ts';
import { MemoryStore, openMemoryStore } from './drivers/memory.ts';

/** Polls until `check` holds, so a loaded machine's late timers do not fail the test. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail('condition not reached in time');
    await sleep(5);
  }
}

void describe('startCompactor', () => {
  void it('compacts to the current revision minus the retained revisions, until stopped', async () => {
    const store = await openMemoryStore();
    let kv = await store.create('/a', enc('0'));
    for (let i = 0; i < 19; i++) kv = await store.update('/a', enc(String(i)), kv.modRevision);
    const errors: unknown[] = [];
    const compactor = startCompactor(store, { intervalMs: 5, retainRevisions: 5, onError: (e) => errors.push(e) });
    try {
      await eventually(async () => (await store.compactedRevision()) === 15);
      kv = await store.update('/a', enc('x'), kv.modRevision);
      await eventually(async () => (await store.compactedRevision()) === 16);
    } finally {
      compactor.stop();
    }
    await store.update('/a', enc('y'), kv.modRevision);
    await sleep(30);
    assert.equal(await store.compactedRevision(), 16);
    assert.deepEqual(errors, []);
    await store.close();
  });

  void it('leaves young stores alone and reports failures', async () => {
    const store = await openMemoryStore();
    await store.create('/a', enc('0'));
    const errors: unknown[] = [];
    const failing = new (class extends MemoryStore {
      override async currentRevision(): Promise<number> { throw new Error('disk gone'); }
    })();
    const young = startCompactor(store, { intervalMs: 5, retainRevisions: 5, onError: (e) => errors.push(e) });
    const broken = startCompactor(failing, { intervalMs: 5, retainRevisions: 5, onError: (e) => errors.push(e) });
    await eventually(async () => errors.length > 0);
    young.stop();
    broken.stop();
    assert.equal(await store.compactedRevision(), 0);
    assert.ok(errors.length > 0 && errors.every((e) => (e as Error).message === 'disk gone'));
    await store.close();
  });

  void it('with a lock key, one of several servers compacts and the others stand by', async () => {
    const store = await openMemoryStore();
    const calls = [0, 0];
    // Two "servers" on one store, each counting its own compactions.
    const views = calls.map((_, i) => new Proxy(store, {
      get(target, prop) {
        if (prop === 'compact') return async (rev: number) => { calls[i]++; await target.compact(rev); };
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }));
    const errors: unknown[] = [];
    const compactors = views.map((v) => startCompactor(v, { intervalMs: 5, retainRevisions: 5, lockKey: '/pilot/compact_rev_key', onError: (e) => errors.push(e) }));
    try {
      let kv = await store.create('/a', enc('0'));
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 10; i++) kv = await store.update('/a', enc(String(i)), kv.modRevision);
        const before = await store.compactedRevision();
        await eventually(async () => (await store.compactedRevision()) > before);
      }
    } finally {
      for (const c of compactors) c.stop();
    }
    assert.deepEqual(errors, []);
    assert.ok(calls[0] + calls[1] >= 5, `compactions: ${calls.join(', ')}`);
    assert.ok(calls[0] === 0 || calls[1] === 0, `both servers compacted: ${calls.join(', ')}`);
    assert.ok(await store.get('/pilot/compact_rev_key'), 'the lock key is kept in the store');
    await store.close();
  });
});
