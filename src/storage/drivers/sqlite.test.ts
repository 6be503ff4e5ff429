import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeConformance } from '../conformance.ts';
import { assertRevisions, collect, dec, enc, keyOf, range, rejectsWith, show } from '../conformance/helpers.ts';
import type { KV } from '../store.ts';
import { openSqliteStore, SqliteStore, type SqliteOptions } from './sqlite.ts';
import { openDatabase } from './sqlite-schema.ts';

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

void describe('sqlite group commit', () => {
  const fresh = (opts?: SqliteOptions) => {
    const db = openDatabase(freshPath());
    return { db, s: new SqliteStore(db, opts) };
  };
  const value = (r: PromiseSettledResult<KV>) => (r.status === 'fulfilled' ? show(r.value) : (r.reason as Error).message);

  void it('runs the writes of one turn in one transaction, in arrival order, each with its own compare-and-swap', async () => {
    const { s } = fresh();
    try {
      const creates = await Promise.allSettled([
        s.create('/a', enc('0')), s.create('/a', enc('1')), s.create('/b', enc('b')), s.create('/a', enc('2')), s.create('/c', enc('c')),
      ]);
      assert.deepEqual(creates.map(value), ['/a=0@1/1', 'key /a already exists', '/b=b@2/2', 'key /a already exists', '/c=c@3/3']);
      for (const i of [1, 3]) {
        const err = await rejectsWith(Promise.reject((creates[i] as PromiseRejectedResult).reason), 'KeyExists');
        assert.equal(show(err.current), '/a=0@1/1');
      }
      assert.deepEqual(s.writeStats, { transactions: 1, writes: 5 });

      // Same expected revision: the first to arrive wins; the rest see its write.
      // Later writes in the batch see the state the earlier ones left.
      const writes = await Promise.allSettled([
        s.update('/a', enc('x'), 1), s.update('/a', enc('y'), 1), s.delete('/b', 2), s.update('/b', enc('z'), 2),
        s.create('/b', enc('again')), s.update('/a', enc('w'), 4), s.delete('/c', 1), s.update('/missing', enc('m'), 1),
      ]);
      assert.deepEqual(writes.map(value), [
        '/a=x@4/1', 'key /a is at revision 4, not 1', '/b=b@5/2', 'key /b not found',
        '/b=again@6/6', '/a=w@7/1', 'key /c is at revision 3, not 1', 'key /missing not found',
      ]);
      const conflict = await rejectsWith(Promise.reject((writes[1] as PromiseRejectedResult).reason), 'Conflict');
      assert.equal(show(conflict.current), '/a=x@4/1');
      assert.deepEqual(s.writeStats, { transactions: 2, writes: 13 });
      assert.equal(await s.currentRevision(), 7);
      assert.deepEqual((await s.list('/')).items.map(show), ['/a=w@7/1', '/b=again@6/6', '/c=c@3/3']);
    } finally {
      await s.close();
    }
  });

  void it('gives a batch consecutive revisions in arrival order, and a watcher sees them in that order', async () => {
    const { s } = fresh();
    try {
      await s.create('/w/first', enc('0'));
      const watched = collect(s, '/w/', 1, 20);
      const keys = Array.from({ length: 20 }, (_, i) => `/w/${String(19 - i).padStart(2, '0')}`);
      const kvs = await Promise.all(keys.map((k) => s.create(k, enc(k))));
      assert.deepEqual(kvs.map((kv) => kv.modRevision), range(2, 21));
      assert.deepEqual(s.writeStats, { transactions: 2, writes: 21 });
      const events = await watched;
      assertRevisions(events, range(2, 21));
      assert.deepEqual(events.map(keyOf), keys);
    } finally {
      await s.close();
    }
  });

  void it('lets reads see a write only once it is committed, and always after its promise resolved', async () => {
    const { s } = fresh();
    try {
      const pending = s.create('/r', enc('1'));
      assert.equal(await s.get('/r'), undefined);
      assert.equal(await s.currentRevision(), 0);
      assert.equal((await s.list('/')).items.length, 0);
      const kv = await pending;
      assert.equal(show(await s.get('/r')), '/r=1@1/1');
      assert.equal(await s.currentRevision(), kv.modRevision);
      assert.equal(await s.count('/'), 1);
    } finally {
      await s.close();
    }
  });

  void it('copies the value when the write is submitted, not when it commits', async () => {
    const { s } = fresh();
    try {
      const bytes = enc('before');
      const pending = s.create('/v', bytes);
      bytes.set(enc('after!'));
      assert.equal(dec((await pending).value), 'before');
      assert.equal(dec((await s.get('/v'))!.value), 'before');
    } finally {
      await s.close();
    }
  });

  void it('rejects every write of a batch whose transaction fails, and burns no revision', async () => {
    const { db, s } = fresh();
    try {
      await s.create('/ok', enc('0'));
      db.exec("CREATE TEMP TRIGGER boom BEFORE INSERT ON log WHEN NEW.key = '/boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
      const watched = collect(s, '/', 1, 2);
      const results = await Promise.allSettled([
        s.create('/x', enc('1')), s.update('/ok', enc('1'), 1), s.create('/boom', enc('1')), s.create('/y', enc('1')),
      ]);
      assert.deepEqual(results.map(value), ['boom', 'boom', 'boom', 'boom']);
      for (const r of results) assert.equal((r as PromiseRejectedResult).reason.code, 'SQLITE_CONSTRAINT_TRIGGER');
      assert.equal(await s.currentRevision(), 1);
      assert.equal(await s.get('/x'), undefined);
      assert.equal(show(await s.get('/ok')), '/ok=0@1/1');

      db.exec('DROP TRIGGER boom');
      assert.deepEqual((await Promise.allSettled([s.create('/x', enc('2')), s.update('/ok', enc('2'), 1)])).map(value),
        ['/x=2@2/2', '/ok=2@3/1']);
      assertRevisions(await watched, [2, 3]);
    } finally {
      await s.close();
    }
  });

  void it('splits a long queue into batches of at most maxBatch, keeping arrival order', async () => {
    const { s } = fresh({ maxBatch: 3 });
    try {
      const kvs = await Promise.all(Array.from({ length: 8 }, (_, i) => s.create(`/k/${i}`, enc(String(i)))));
      assert.deepEqual(kvs.map((kv) => `${kv.key}@${kv.modRevision}`), range(1, 8).map((r) => `/k/${r - 1}@${r}`));
      assert.deepEqual(s.writeStats, { transactions: 3, writes: 8 });
    } finally {
      await s.close();
    }
  });

  void it('commits writes submitted before close, and refuses those after', async () => {
    const path = freshPath();
    const s = await openSqliteStore(path);
    const pending = [s.create('/a', enc('1')), s.create('/b', enc('1'))];
    await s.close();
    assert.deepEqual((await Promise.all(pending)).map(show), ['/a=1@1/1', '/b=1@2/2']);
    await rejectsWith(s.create('/c', enc('1')), 'Closed');

    const again = await openSqliteStore(path);
    try {
      assert.equal(await again.currentRevision(), 2);
      assert.equal(show(await again.get('/b')), '/b=1@2/2');
    } finally {
      await again.close();
    }
  });
});
