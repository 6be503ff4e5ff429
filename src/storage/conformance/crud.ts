// Single-key writes: the three compare-and-swap shapes and their errors.

import { it } from 'node:test';
import assert from 'node:assert/strict';
import { dec, enc, rejectsWith, show, withStore, type StoreFactoryFn } from './helpers.ts';

export function crudTests(factory: StoreFactoryFn): void {
  void it('creates, gets, and refuses to create twice', () => withStore(factory, async (s) => {
    assert.equal(await s.get('/a'), undefined);
    const kv = await s.create('/a', enc('one'));
    assert.deepEqual({ ...kv, value: dec(kv.value) }, { key: '/a', value: 'one', createRevision: 1, modRevision: 1 });
    assert.equal(show(await s.get('/a')), '/a=one@1/1');
    const err = await rejectsWith(s.create('/a', enc('two')), 'KeyExists');
    assert.equal(show(err.current), '/a=one@1/1');
  }));

  void it('stores empty and binary values byte for byte', () => withStore(factory, async (s) => {
    await s.create('/empty', new Uint8Array(0));
    assert.equal((await s.get('/empty'))!.value.length, 0);
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    await s.create('/bin', bytes);
    assert.deepEqual([...(await s.get('/bin'))!.value], [...bytes]);
  }));

  void it('updates only at the expected revision', () => withStore(factory, async (s) => {
    const a = await s.create('/a', enc('1'));
    const b = await s.update('/a', enc('2'), a.modRevision);
    assert.equal(show(b), '/a=2@2/1');
    const conflict = await rejectsWith(s.update('/a', enc('3'), a.modRevision), 'Conflict');
    assert.equal(show(conflict.current), '/a=2@2/1');
    await rejectsWith(s.update('/missing', enc('x'), 1), 'NotFound');
    assert.equal(show(await s.get('/a')), '/a=2@2/1');
  }));

  void it('deletes, conditionally or not, returning the last value at the delete revision', () => withStore(factory, async (s) => {
    const a = await s.create('/a', enc('1'));
    await s.create('/b', enc('1'));
    const conflict = await rejectsWith(s.delete('/a', a.modRevision + 5), 'Conflict');
    assert.equal(show(conflict.current), '/a=1@1/1');
    assert.equal(show(await s.delete('/a', a.modRevision)), '/a=1@3/1');
    assert.equal(await s.get('/a'), undefined);
    assert.equal(show(await s.delete('/b')), '/b=1@4/2');
    await rejectsWith(s.delete('/a'), 'NotFound');
    await rejectsWith(s.delete('/a', 3), 'NotFound');
  }));

  void it('creates a deleted key again with a new createRevision', () => withStore(factory, async (s) => {
    await s.create('/a', enc('1'));
    await s.delete('/a');
    assert.equal(show(await s.create('/a', enc('2'))), '/a=2@3/3');
    await rejectsWith(s.update('/a', enc('x'), 1), 'Conflict');
  }));

  void it('keeps one strictly increasing revision across keys; failed writes take none', () => withStore(factory, async (s) => {
    assert.equal(await s.currentRevision(), 0);
    const seen: number[] = [];
    for (const key of ['/x', '/y', '/z']) seen.push((await s.create(key, enc('v'))).modRevision);
    await rejectsWith(s.create('/x', enc('again')), 'KeyExists');
    await rejectsWith(s.update('/y', enc('v'), 99), 'Conflict');
    seen.push((await s.update('/y', enc('w'), seen[1]!)).modRevision);
    seen.push((await s.delete('/x')).modRevision);
    assert.deepEqual(seen, [1, 2, 3, 4, 5]);
    assert.equal(await s.currentRevision(), 5);
  }));

  void it('refuses everything once closed', async () => {
    const s = await factory();
    await s.create('/a', enc('1'));
    await s.close();
    await rejectsWith(s.get('/a'), 'Closed');
    await rejectsWith(s.create('/b', enc('1')), 'Closed');
    await rejectsWith(s.list('/'), 'Closed');
    await s.close();
  });
}
