import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance } from '../conformance.ts';
import { dec, enc, show } from '../conformance/helpers.ts';
import { openSqliteStore } from './sqlite.ts';

const dir = mkdtempSync(join(tmpdir(), 'pilot-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `s${++n}`, 'state.db');

storeConformance('sqlite', () => openSqliteStore(freshPath()));

void describe('sqlite store file', () => {
  void it('keeps data, revisions and the compacted revision across reopening', async () => {
    const path = freshPath();
    let s = await openSqliteStore(path);
    const a = await s.create('/a', enc('1'));
    await s.update('/a', enc('2'), a.modRevision);
    await s.create('/b', enc('1'));
    await s.delete('/b');
    await s.compact(4);
    await s.close();

    s = await openSqliteStore(path);
    try {
      assert.equal(await s.currentRevision(), 4);
      assert.equal(await s.compactedRevision(), 4);
      assert.equal(show(await s.get('/a')), '/a=2@2/1');
      assert.equal(await s.get('/b'), undefined);
      assert.equal((await s.create('/c', enc('1'))).modRevision, 5);
    } finally {
      await s.close();
    }
  });

  void it('refuses a second opener of the same file', async () => {
    const path = freshPath();
    const s = await openSqliteStore(path);
    try {
      await s.create('/a', enc('1'));
      await assert.rejects(openSqliteStore(path), /in use by another process/);
      assert.equal(dec((await s.get('/a'))!.value), '1');
    } finally {
      await s.close();
    }
  });

  void it('compacts a long history in chunks without losing the latest values', async () => {
    const s = await openSqliteStore(freshPath(), { compactChunk: 7 });
    try {
      const keys = Array.from({ length: 10 }, (_, i) => `/k/${i}`);
      const kvs = new Map<string, number>();
      for (const k of keys) kvs.set(k, (await s.create(k, enc('0'))).modRevision);
      for (let i = 1; i <= 25; i++) {
        for (const k of keys) kvs.set(k, (await s.update(k, enc(String(i)), kvs.get(k)!)).modRevision);
      }
      const head = await s.currentRevision();
      await s.compact(head - 5);
      assert.equal(await s.compactedRevision(), head - 5);
      const res = await s.list('/k/');
      assert.equal(res.items.length, 10);
      assert.ok(res.items.every((kv) => dec(kv.value) === '25'));
      const old = await s.list('/k/', { atRevision: head - 5 });
      assert.equal(old.items.filter((kv) => dec(kv.value) === '24').length, 5);
    } finally {
      await s.close();
    }
  });
});
