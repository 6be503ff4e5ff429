// The etcd Store against a real etcd (Debian's etcd-server). Without etcd these
// tests fail, saying how to install it: the driver must not go untested.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EtcdPool, EtcdServer } from '../../../test/helpers/etcd.ts';
import { storeConformance } from '../conformance.ts';
import { collect, dec, enc, rejectsWith, revisionOf, show } from '../conformance/helpers.ts';
import { openStore } from '../open.ts';
import type { Store } from '../store.ts';
import { parseEtcdUrl } from './etcd-rpc.ts';
import { openEtcdStore, type EtcdStore } from './etcd.ts';

// Revisions of a Store count from 0 only on an empty etcd, and compaction is
// etcd-wide: the conformance suite gets a fresh etcd per store (one is always
// started ahead), stopped when the store closes.
const pool = new EtcdPool();
after(() => pool.dispose());

storeConformance('etcd', async () => {
  const etcd = await pool.take();
  let store: EtcdStore;
  try {
    store = await openEtcdStore(etcd.url);
  } catch (err) {
    await pool.release(etcd);
    throw err;
  }
  // Stopping etcd happens in the background (the pool's dispose waits for it), so
  // close() returns as soon as the driver's own close() does.
  return closingAlso(store, () => void pool.release(etcd));
});

/** `store`, whose close() also runs `then` (once). */
function closingAlso(store: Store, then: () => void): Store {
  let done: Promise<void> | undefined;
  return {
    get: (k) => store.get(k),
    list: (p, o) => store.list(p, o),
    count: (p) => store.count(p),
    create: (k, v) => store.create(k, v),
    update: (k, v, e) => store.update(k, v, e),
    delete: (k, e) => store.delete(k, e),
    watch: (p, f, s) => store.watch(p, f, s),
    compact: (r) => store.compact(r),
    compactedRevision: () => store.compactedRevision(),
    currentRevision: () => store.currentRevision(),
    close: () => (done ??= store.close().then(then)),
  };
}

void describe('etcd store', () => {
  let etcd: EtcdServer;
  before(async () => { etcd = await EtcdServer.start(); });
  after(() => etcd?.dispose());
  let n = 0;
  /** A store under a key prefix of its own on the shared etcd. */
  const fresh = (prefix = `/t${++n}`) => openEtcdStore(`${etcd.url}${prefix}`);

  void it('keeps data, revisions and the compacted revision across etcd restarts', async () => {
    const s = await fresh();
    try {
      const a = await s.create('/a', enc('1'));
      await s.update('/a', enc('2'), a.modRevision);
      const b = await s.create('/b', enc('1'));
      const gone = await s.delete('/b');
      await s.compact(gone.modRevision);
      const head = await s.currentRevision();

      for (const hard of [false, true]) {
        await etcd.restart(hard);
        // The same store reconnects by itself, and a new one sees the same state.
        const again = await fresh(`/t${n}`);
        try {
          for (const store of [s, again]) {
            assert.equal(await store.currentRevision(), head);
            assert.equal(await store.compactedRevision(), gone.modRevision);
            assert.equal(show(await store.get('/a')), `/a=2@${a.modRevision + 1}/${a.modRevision}`);
            assert.equal(await store.get('/b'), undefined);
            await rejectsWith(store.list('/', { atRevision: b.modRevision }), 'Compacted');
          }
        } finally {
          await again.close();
        }
      }
      assert.equal((await s.create('/c', enc('1'))).modRevision, head + 1);
    } finally {
      await s.close();
    }
  });

  void it('keeps a watch going through an etcd restart, each event once and in order', async () => {
    const s = await fresh();
    try {
      const start = await s.currentRevision();
      const write = async (from: number, to: number) => {
        for (let i = from; i < to; i++) await s.create(`/k${i}`, enc(String(i)));
      };
      await write(0, 10);
      // etcd is killed only once every write before it is acknowledged: a
      // write in flight during the kill fails (ambiguously), which is not what
      // this test is about — the watch living through the restart is.
      let secondBatch: Promise<void> = Promise.resolve();
      const events = collect(s, '/', start, 30, async (_e, i) => {
        if (i === 19) {
          await secondBatch;
          await etcd.restart(true);
          await write(20, 30);
        }
      }, 20_000);
      secondBatch = write(10, 20);
      await secondBatch;
      const revisions = (await events).map(revisionOf);
      assert.deepEqual(revisions, Array.from({ length: 30 }, (_, i) => start + 1 + i));
    } finally {
      await s.close();
    }
  });

  void it('lets two stores on one etcd see each other\'s writes, through watch and compare-and-swap', async () => {
    const prefix = `/t${++n}`;
    const [one, two] = [await fresh(prefix), await fresh(prefix)];
    try {
      const from = await two.currentRevision();
      const watched = collect(two, '/pods/', from, 3);
      const a = await one.create('/pods/a', enc('1'));
      const a2 = await two.update('/pods/a', enc('2'), a.modRevision);
      await rejectsWith(one.update('/pods/a', enc('stale'), a.modRevision), 'Conflict');
      await one.delete('/pods/a', a2.modRevision);
      const events = await watched;
      assert.deepEqual(events.map((e) => `${e.type}@${revisionOf(e)}`),
        [`put@${a.modRevision}`, `put@${a2.modRevision}`, `delete@${a2.modRevision + 1}`]);

      // Compaction by one is seen by the other, which never saw it happen.
      await one.create('/pods/b', enc('1'));
      const head = await one.currentRevision();
      await one.compact(head - 1);
      assert.equal(await two.compactedRevision(), head - 1);
      await rejectsWith(two.list('/pods/', { atRevision: head - 2 }), 'Compacted');
      const late = two.watch('/pods/', head - 2, new AbortController().signal)[Symbol.asyncIterator]();
      await rejectsWith(late.next(), 'Compacted');
    } finally {
      await one.close();
      await two.close();
    }
  });

  void it('keeps the key prefixes of different URLs apart', async () => {
    const [x, y] = [await fresh('/x'), await fresh('/xy')];
    try {
      const from = await x.currentRevision();
      await x.create('/a', enc('x'));
      await y.create('/a', enc('y'));
      assert.deepEqual((await x.list('')).items.map((kv) => `${kv.key}=${dec(kv.value)}`), ['/a=x']);
      assert.equal(await y.count(''), 1);
      const [event] = await collect(x, '', from, 1);
      assert.equal(event?.type === 'put' && dec(event.kv.value), 'x');
    } finally {
      await x.close();
      await y.close();
    }
  });

  void it('opens through openStore by URL', async () => {
    const s = await openStore(`${etcd.url}/t${++n}`);
    try {
      const kv = await s.create('/a', enc('1'));
      assert.equal(show(await s.get('/a')), show(kv));
    } finally {
      await s.close();
    }
  });

  void it('uses whichever of several endpoints answers', async () => {
    const s = await openEtcdStore(`etcd://127.0.0.1:1,127.0.0.1:${etcd.clientPort}/t${++n}`);
    try {
      assert.equal(dec((await s.create('/a', enc('1'))).value), '1');
    } finally {
      await s.close();
    }
  });

  void it('fails to open, saying where, when etcd does not answer', async () => {
    const dead = new URL(etcd.url);
    dead.port = '1';
    await assert.rejects(openEtcdStore(dead.href, { requestTimeoutMs: 300 }), /cannot reach etcd at 127\.0\.0\.1:1/);
  });
});

void describe('etcd store over TLS', () => {
  let dir: string;
  let etcd: EtcdServer;
  let files: { ca: string; cert: string; key: string };
  before(async () => {
    const { ensurePki } = await import('../../server/pki.ts');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-etcd-tls-'));
    const pki = await ensurePki(dir, { hosts: ['localhost'], ips: ['127.0.0.1'] });
    const file = (name: string, pem: string) => { const p = path.join(dir, name); fs.writeFileSync(p, pem); return p; };
    files = { ca: file('ca.pem', pki.caCertPem), cert: file('client.pem', pki.adminCertPem), key: file('client-key.pem', pki.adminKeyPem) };
    etcd = await EtcdServer.start({
      tls: { certFile: file('server.pem', pki.servingCertPem), keyFile: file('server-key.pem', pki.servingKeyPem), clientCaFile: files.ca },
    });
  });
  after(async () => {
    await etcd?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  void it('connects with a client certificate', async () => {
    const q = new URLSearchParams(files).toString();
    const s = await openEtcdStore(`${etcd.url}?${q}`);
    try {
      assert.equal((await s.create('/a', enc('1'))).modRevision, 1);
    } finally {
      await s.close();
    }
  });

  void it('is refused without one', async () => {
    await assert.rejects(openEtcdStore(`${etcd.url}?ca=${encodeURIComponent(files.ca)}`, { requestTimeoutMs: 500 }),
      /cannot reach etcd at 127\.0\.0\.1:\d+: .*certificate/);
  });
});

void describe('etcd URLs', () => {
  void it('parse endpoints, key prefix and TLS files', () => {
    assert.deepEqual(parseEtcdUrl('etcd://127.0.0.1:2379'), { endpoints: [{ host: '127.0.0.1', port: 2379 }], prefix: '' });
    assert.deepEqual(parseEtcdUrl('etcd://a:1,b,[::1]:3/pilot/'), {
      endpoints: [{ host: 'a', port: 1 }, { host: 'b', port: 2379 }, { host: '::1', port: 3 }], prefix: '/pilot',
    });
    assert.deepEqual(parseEtcdUrl('etcds://h:2379').tls, {});
    assert.deepEqual(parseEtcdUrl('etcd://h:2379?ca=/c.pem&cert=/x.pem&key=/x.key').tls, { ca: '/c.pem', cert: '/x.pem', key: '/x.key' });
    assert.throws(() => parseEtcdUrl('etcd://h:2379?cert=/x.pem'), /cert and key must be given together/);
    assert.throws(() => parseEtcdUrl('etcd://h:2379?timeout=3'), /unknown parameter "timeout"/);
    assert.throws(() => parseEtcdUrl('etcd://h:99999'), /bad port/);
    assert.throws(() => parseEtcdUrl('http://h:2379'), /invalid etcd URL/);
  });
});
