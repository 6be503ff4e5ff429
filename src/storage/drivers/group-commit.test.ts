import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GroupCommit } from './group-commit.ts';

void describe('GroupCommit', () => {
  void it('hands one turn of submissions to one commit, settling each with its own outcome', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, string>((ops) => {
      batches.push([...ops]);
      return ops.map((n) => (n % 2 ? new Error(`odd ${n}`) : `even ${n}`));
    });
    const results = await Promise.allSettled([1, 2, 3, 4].map((n) => gc.submit(n)));
    assert.deepEqual(batches, [[1, 2, 3, 4]]);
    assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)),
      ['odd 1', 'even 2', 'odd 3', 'even 4']);
    assert.equal(await gc.submit(6), 'even 6');
    assert.deepEqual(batches, [[1, 2, 3, 4], [6]]);
  });

  void it('rejects the whole batch when commit throws or miscounts, and carries on after', async () => {
    let fail: 'throw' | 'short' | undefined = 'throw';
    const gc = new GroupCommit<number, number>((ops) => {
      if (fail === 'throw') throw new Error('disk on fire');
      if (fail === 'short') return ops.slice(1);
      return [...ops];
    });
    const thrown = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
    assert.deepEqual(thrown.map((r) => r.status === 'rejected' && (r.reason as Error).message), ['disk on fire', 'disk on fire']);
    fail = 'short';
    await assert.rejects(gc.submit(1), /0 outcomes for 1 operations/);
    fail = undefined;
    assert.equal(await gc.submit(3), 3);
  });

  void it('flushes synchronously and caps batches at maxBatch', async () => {
    const batches: number[][] = [];
    const gc = new GroupCommit<number, number>((ops) => { batches.push([...ops]); return [...ops]; }, 2);
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => gc.submit(n)));
    assert.equal(gc.pending, 5);
    gc.flush();
    assert.equal(gc.pending, 0);
    assert.deepEqual(batches, [[1, 2], [3, 4], [5]]);
    assert.deepEqual(await all, [1, 2, 3, 4, 5]);
    assert.throws(() => new GroupCommit(() => [], 0), RangeError);
  });
});
