// Informers against a real API server: sync, events, a server-side watch
// timeout, and recovery from 410 after the server compacted past the informer.

import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../base/errors.ts';
import { ResourceInformer } from './informer.ts';
import { SharedInformerFactory } from './informer-factory.ts';
import type { ListOptions, ListWatch, ObjectList, WatchOptions } from './resource.ts';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';
import type { WatchEvent } from './watch.ts';

const quiet = { debug: () => undefined, warn: () => undefined };
const servers: TestServer[] = [];
after(async () => { for (const s of servers) await s.close(); });
let shared: TestServer | undefined;
async function memoryServer(): Promise<TestServer> {
  if (!shared) servers.push((shared = await startTestServer()));
  return shared;
}

/** Wraps a ListWatch: counts calls, records watch errors, and can hold watches (a "paused" informer). */
class Gate<T> implements ListWatch<T> {
  lists = 0;
  watches = 0;
  errors: unknown[] = [];
  blocked = false;
  private open = true;
  private cut = new AbortController();
  private wake: (() => void)[] = [];

  constructor(private readonly inner: ListWatch<T>) {}

  list(opts: ListOptions): Promise<ObjectList<T>> { this.lists++; return this.inner.list(opts); }

  async *watch(opts: WatchOptions): AsyncGenerator<WatchEvent<T>> {
    while (!this.open && !opts.signal?.aborted) {
      this.blocked = true;
      await new Promise<void>((r) => { this.wake.push(r); opts.signal?.addEventListener('abort', () => r(), { once: true }); });
    }
    this.blocked = false;
    if (opts.signal?.aborted) return;
    this.watches++;
    try {
      yield* this.inner.watch({ ...opts, signal: AbortSignal.any([opts.signal ?? new AbortController().signal, this.cut.signal]) });
    } catch (e) {
      this.errors.push(e);
      throw e;
    }
  }

  /** Ends the current watch and holds the next one until resume(). */
  pause(): void { this.open = false; this.cut.abort(); this.cut = new AbortController(); }
  resume(): void { this.open = true; for (const w of this.wake.splice(0)) w(); }
}

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function logOf(inf: ResourceInformer<ConfigMap>, prefix = ''): string[] {
  const log: string[] = [];
  const mine = (o: ConfigMap): boolean => o.metadata!.name!.startsWith(prefix);
  inf.on({
    add: (o) => { if (mine(o)) log.push(`add ${o.metadata?.name}`); },
    update: (_a, b) => { if (mine(b)) log.push(`update ${b.metadata?.name}`); },
    delete: (o) => { if (mine(o)) log.push(`delete ${o.metadata?.name}`); },
  });
  return log;
}

test('an informer syncs, sees add/update/delete, and re-watches after the server ends the watch', async () => {
  const ts = await memoryServer();
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  await cms.create({ metadata: { name: 'pre' }, data: { v: '1' } });
  const gate = new Gate(cms);
  const inf = new ResourceInformer<ConfigMap>(gate, { watchTimeoutSeconds: 1, logger: quiet, pageSize: 1 });
  const log = logOf(inf);
  inf.start();
  await inf.waitForSync();
  assert.deepEqual(log, ['add pre']);
  assert.equal(inf.lister().get('default', 'pre')?.data?.v, '1');

  const c = await cms.create({ metadata: { name: 'live' } });
  await cms.update({ ...c, data: { v: '2' } });
  await cms.delete('pre');
  await until('events', () => log.length === 4);
  assert.deepEqual(log, ['add pre', 'add live', 'update live', 'delete pre']);

  // The server ends each watch after 1 s; the informer carries on from where it was.
  await until('a second watch', () => gate.watches >= 2);
  await cms.create({ metadata: { name: 'after-timeout' } });
  await until('event after re-watch', () => log.length === 5);
  assert.equal(log[4], 'add after-timeout');
  assert.equal(gate.lists, 1, 'no relist for a timed-out watch');
  assert.deepEqual(inf.lister().list('default').map((o) => o.metadata?.name).filter((n) => n !== 'kube-root-ca.crt').sort(), ['after-timeout', 'live']);
  await inf.stop();
});

test('after the server compacted past it (410), the informer relists and reports what it missed', async () => {
  // sqlite so the data survives a restart; tiny history so it is compacted away.
  const ts = await startTestServer({ datastore: undefined, compactionRetainRevisions: 2, compactionIntervalMs: 20 });
  servers.push(ts);
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  for (const n of ['r-keep', 'r-change', 'r-gone']) await cms.create({ metadata: { name: n } });
  const gate = new Gate(cms);
  const inf = new ResourceInformer<ConfigMap>(gate, { logger: quiet, backoff: { initialMs: 20, maxMs: 100 } });
  const log = logOf(inf, 'r-');
  inf.start();
  await inf.waitForSync();
  await until('the watch', () => gate.watches === 1);

  gate.pause();
  await until('the informer to wait at the gate', () => gate.blocked);
  const seenRV = Number(inf.lastSyncResourceVersion());
  const change = await cms.get('r-change');
  await cms.update({ ...change, data: { v: 'new' } });
  await cms.delete('r-gone');
  await cms.create({ metadata: { name: 'r-fresh' } });
  // A restarted server's watch cache starts empty: an old version must come from the store.
  await ts.restart();
  await until('compaction past the informer', async () => (await ts.server.store.compactedRevision()) > seenRV);

  log.length = 0;
  gate.resume();
  await until('the relist diff', () => log.length === 3);
  assert.ok(gate.errors.some((e) => e instanceof ApiError && e.code === 410), 'the watch was answered 410');
  assert.equal(gate.lists, 2);
  assert.deepEqual(log.sort(), ['add r-fresh', 'delete r-gone', 'update r-change']);
  assert.deepEqual(inf.lister().list('default').map((o) => o.metadata?.name).filter((n) => n?.startsWith('r-')).sort(), ['r-change', 'r-fresh', 'r-keep']);
  assert.equal(inf.lister().get('default', 'r-change')?.data?.v, 'new');

  // And it follows live changes again.
  await cms.create({ metadata: { name: 'r-later' } });
  await until('a live event', () => log.includes('add r-later'));
  await inf.stop();
});

test('SharedInformerFactory hands out one informer per resource and starts late ones', async () => {
  const ts = await memoryServer();
  const factory = new SharedInformerFactory(ts.client, { logger: quiet });
  const a = factory.informerFor<ConfigMap>('v1', 'ConfigMap');
  assert.equal(factory.informerFor('v1', 'ConfigMap'), a);
  const abort = new AbortController();
  factory.start(abort.signal);
  const ns = factory.informerFor('v1', 'Namespace');
  await factory.waitForCacheSync();
  assert.ok(a.hasSynced() && ns.hasSynced());
  assert.ok(ns.lister().get(undefined, 'kube-system'));
  abort.abort();
  await factory.stop();
});
