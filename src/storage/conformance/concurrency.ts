// Many writers racing on one key: compare-and-swap must lose no update.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { StoreError } from '../store.ts';
import { dec, enc, withStore, type StoreFactoryFn } from './helpers.ts';

export function concurrencyTests(factory: StoreFactoryFn): void {
  void it('loses no update among concurrent read-modify-write loops', () => withStore(factory, async (s) => {
    await s.create('/counter', enc('0'));
    const writers = 8;
    const incrementsEach = 25;
    let conflicts = 0;
    const writer = async () => {
      for (let done = 0; done < incrementsEach;) {
        const cur = (await s.get('/counter'))!;
        try {
          await s.update('/counter', enc(String(Number(dec(cur.value)) + 1)), cur.modRevision);
          done++;
        } catch (err) {
          if (!(err instanceof StoreError && err.code === 'Conflict')) throw err;
          conflicts++;
        }
      }
    };
    await Promise.all(Array.from({ length: writers }, writer));
    const final = (await s.get('/counter'))!;
    assert.equal(dec(final.value), String(writers * incrementsEach));
    // One revision per successful write; conflicts took none.
    assert.equal(final.modRevision, 1 + writers * incrementsEach);
    assert.ok(conflicts >= 0);
  }));

  void it('lets exactly one of many concurrent creates of a key win', () => withStore(factory, async (s) => {
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => s.create('/once', enc(String(i)))));
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    for (const r of results) {
      if (r.status === 'rejected') assert.equal((r.reason as StoreError).code, 'KeyExists');
    }
  }));
}
