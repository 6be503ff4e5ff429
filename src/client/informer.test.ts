// Informer logic against a scripted ListWatch and a fake clock: relist diffs,
// resync, paging, indexes, handler isolation. (Against a real server: informer-server.test.ts.)

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../base/errors.ts';
import { FakeClock, settle } from '../base/clock.ts';
import { ResourceInformer } from './informer.ts';
import type { ListOptions, ListWatch, ObjectList, WatchOptions } from './resource.ts';
import type { WatchEvent } from './watch.ts';

const quiet = { debug: () => undefined, warn: () => undefined };

/** A watch stream the test feeds. */
class Stream implements AsyncIterable<WatchEvent<ConfigMap>> {
  private queue: (WatchEvent<ConfigMap> | Error | 'end')[] = [];
  private wake?: () => void;
  constructor(readonly opts: WatchOptions) { opts.signal?.addEventListener('abort', () => this.push('end')); }
  push(item: WatchEvent<ConfigMap> | Error | 'end'): void { this.queue.push(item); this.wake?.(); }
  async *[Symbol.asyncIterator](): AsyncIterator<WatchEvent<ConfigMap>> {
    for (;;) {
      const item = this.queue.shift();
      if (item === undefined) { await new Promise<void>((r) => { this.wake = r; }); continue; }
      if (item === 'end') return;
      if (item instanceof Error) throw item;
      yield item;
    }
  }
}

/** The server side of a ListWatch: objects with versions, paged lists, scripted watches. */
class FakeServer implements ListWatch<ConfigMap> {
  objects = new Map<string, ConfigMap>();
  rv = 10;
  lists: ListOptions[] = [];
  streams: Stream[] = [];

  put(name: string, data: Record<string, string> = {}, labels?: Record<string, string>): ConfigMap {
    const obj: ConfigMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', labels, resourceVersion: String(++this.rv) }, data };
    this.objects.set(name, obj);
    return structuredClone(obj);
  }
  remove(name: string): ConfigMap {
    const obj = this.objects.get(name)!;
    this.objects.delete(name);
    return { ...structuredClone(obj), metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
  }
  async list(opts: ListOptions): Promise<ObjectList<ConfigMap>> {
    this.lists.push(opts);
    const all = [...this.objects.values()].sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
    const start = opts.continue ? Number(opts.continue) : 0;
    const end = opts.limit ? start + opts.limit : all.length;
    return {
      metadata: { resourceVersion: String(this.rv), continue: end < all.length ? String(end) : undefined },
      items: structuredClone(all.slice(start, end)),
    };
  }
  watch(opts: WatchOptions): AsyncIterable<WatchEvent<ConfigMap>> {
    const s = new Stream(opts);
    this.streams.push(s);
    return s;
  }
  get stream(): Stream { return this.streams[this.streams.length - 1]; }
}

function recorder(): { log: string[]; handler: { add(o: ConfigMap): void; update(a: ConfigMap, b: ConfigMap): void; delete(o: ConfigMap): void } } {
  const log: string[] = [];
  return {
    log,
    handler: {
      add: (o) => log.push(`add ${o.metadata?.name}`),
      update: (a, b) => log.push(`update ${b.metadata?.name} ${a.metadata?.resourceVersion}->${b.metadata?.resourceVersion}`),
      delete: (o) => log.push(`delete ${o.metadata?.name}`),
    },
  };
}

async function started(srv: FakeServer, opts: ConstructorParameters<typeof ResourceInformer<ConfigMap>>[1] = {}): Promise<{ inf: ResourceInformer<ConfigMap>; clock: FakeClock; log: string[] }> {
  const clock = new FakeClock();
  const inf = new ResourceInformer<ConfigMap>(srv, { clock, logger: quiet, ...opts });
  const { log, handler } = recorder();
  inf.on(handler);
  inf.start();
  await inf.waitForSync();
  await settle();
  return { inf, clock, log };
}

test('lists in pages, then watches from the list version with bookmarks', async () => {
  const srv = new FakeServer();
  for (const n of ['a', 'b', 'c', 'd', 'e']) srv.put(n);
  const { inf, log } = await started(srv, { pageSize: 2 });
  assert.deepEqual(srv.lists.map((l) => [l.limit, l.continue]), [[2, undefined], [2, '2'], [2, '4']]);
  assert.deepEqual(log, ['add a', 'add b', 'add c', 'add d', 'add e']);
  assert.ok(inf.hasSynced());
  assert.equal(srv.stream.opts.resourceVersion, '15');
  assert.equal(srv.stream.opts.allowWatchBookmarks, true);
  await inf.stop();
});

test('watch events update the cache before handlers run; bookmarks move the version', async () => {
  const srv = new FakeServer();
  srv.put('a');
  const { inf, log } = await started(srv);
  let seenInLister: string | undefined;
  inf.on({ update: (_old, o) => { seenInLister = inf.lister().get('ns', o.metadata!.name!)?.data?.v; } });
  srv.stream.push({ type: 'MODIFIED', object: srv.put('a', { v: '2' }) });
  srv.stream.push({ type: 'ADDED', object: srv.put('b') });
  srv.stream.push({ type: 'DELETED', object: srv.remove('a') });
  srv.stream.push({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '99' } } });
  await settle();
  assert.deepEqual(log, ['add a', 'update a 11->12', 'add b', 'delete a']);
  assert.equal(seenInLister, '2');
  assert.equal(inf.lastSyncResourceVersion(), '99');
  assert.deepEqual(inf.lister().keys(), ['ns/b']);
  // The server ends the stream: re-watch from the last version, no relist.
  srv.stream.push('end');
  await settle();
  assert.equal(srv.streams.length, 2);
  assert.equal(srv.stream.opts.resourceVersion, '99');
  assert.equal(srv.lists.length, 1);
  await inf.stop();
});

test('410 Expired: relist, and handlers get exactly the differences', async () => {
  const srv = new FakeServer();
  srv.put('keep'); srv.put('change'); srv.put('gone');
  const { inf, log } = await started(srv);
  log.length = 0;
  // Meanwhile, unseen by the watch:
  srv.put('change', { v: 'new' });
  srv.remove('gone');
  srv.put('fresh');
  srv.stream.push(new ApiError(410, 'Expired', 'too old resource version'));
  await settle();
  assert.equal(srv.lists.length, 2, 'relisted at once, without back-off');
  assert.deepEqual(log.sort(), ['add fresh', 'delete gone', 'update change 12->14']);
  assert.deepEqual(inf.lister().keys().sort(), ['ns/change', 'ns/fresh', 'ns/keep']);
  assert.equal(srv.stream.opts.resourceVersion, String(srv.rv));
  await inf.stop();
});

test('other watch failures: network errors re-watch after back-off; API refusals relist after back-off', async () => {
  const srv = new FakeServer();
  srv.put('a');
  const { inf, clock } = await started(srv, { backoff: { initialMs: 100, jitter: 0 } });
  srv.stream.push(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  await settle();
  assert.equal(srv.streams.length, 1, 'waits before re-watching');
  await clock.advance(100);
  assert.equal(srv.streams.length, 2);
  assert.equal(srv.lists.length, 1);
  srv.stream.push(new ApiError(403, 'Forbidden', 'no'));
  await clock.advance(200);
  assert.equal(srv.lists.length, 2, 'relisted');
  await inf.stop();
});

test('a failing list is retried with back-off until it succeeds', async () => {
  const srv = new FakeServer();
  srv.put('a');
  const realList = srv.list.bind(srv);
  let failures = 2;
  srv.list = async (opts) => {
    if (failures-- > 0) throw new Error('connection refused');
    return realList(opts);
  };
  const clock = new FakeClock();
  const inf = new ResourceInformer<ConfigMap>(srv, { clock, logger: quiet, backoff: { initialMs: 100, jitter: 0 } });
  inf.start();
  await settle();
  assert.ok(!inf.hasSynced());
  await clock.advance(100);
  assert.ok(!inf.hasSynced());
  await clock.advance(200);
  assert.ok(inf.hasSynced());
  await inf.stop();
});

test('resync delivers update(obj, obj) for every cached object, on the clock', async () => {
  const srv = new FakeServer();
  srv.put('a'); srv.put('b');
  const { inf, clock, log } = await started(srv, { resyncMs: 30_000 });
  log.length = 0;
  await clock.advance(29_999);
  assert.deepEqual(log, []);
  await clock.advance(1);
  assert.deepEqual(log, ['update a 11->11', 'update b 12->12']);
  await clock.advance(30_000);
  assert.equal(log.length, 4);
  await inf.stop();
  assert.equal(clock.pending(), 0, 'no timer left behind');
});

test('lister: get, list by namespace and selector, custom indexes; objects are frozen', async () => {
  const srv = new FakeServer();
  srv.put('web-1', {}, { app: 'web' }); srv.put('web-2', {}, { app: 'web' }); srv.put('db', {}, { app: 'db' });
  const { inf } = await started(srv);
  inf.addIndex('app', (o) => (o.metadata?.labels?.app ? [o.metadata.labels.app] : []));
  const lister = inf.lister();
  assert.equal(lister.get('ns', 'db')?.metadata?.name, 'db');
  assert.equal(lister.get('other', 'db'), undefined);
  assert.equal(lister.list().length, 3);
  assert.equal(lister.list('ns').length, 3);
  assert.equal(lister.list('other').length, 0);
  assert.deepEqual(lister.list('ns', 'app=web').map((o) => o.metadata?.name).sort(), ['web-1', 'web-2']);
  assert.deepEqual(lister.list(undefined, 'app!=web').map((o) => o.metadata?.name), ['db']);
  assert.deepEqual(lister.byIndex('app', 'web').map((o) => o.metadata?.name).sort(), ['web-1', 'web-2']);
  // Indexes follow changes.
  srv.stream.push({ type: 'MODIFIED', object: srv.put('web-2', {}, { app: 'db' }) });
  await settle();
  assert.deepEqual(lister.byIndex('app', 'db').map((o) => o.metadata?.name).sort(), ['db', 'web-2']);
  assert.throws(() => lister.byIndex('nope', 'x'), /does not exist/);
  const obj = lister.get('ns', 'db')!;
  assert.throws(() => { (obj.metadata as { name: string }).name = 'x'; }, TypeError);
  assert.throws(() => { obj.metadata!.labels!.app = 'x'; }, TypeError);
  await inf.stop();
});

test('handlers: late ones get the cache replayed, throwing ones do not break others, dispose unsubscribes', async () => {
  const srv = new FakeServer();
  srv.put('a');
  const { inf, log } = await started(srv);
  const late = recorder();
  const sub = inf.on(late.handler);
  assert.deepEqual(late.log, ['add a']);
  inf.on({ add: () => { throw new Error('boom'); } });
  sub.dispose();
  srv.stream.push({ type: 'ADDED', object: srv.put('b') });
  await settle();
  assert.deepEqual(log, ['add a', 'add b']);
  assert.deepEqual(late.log, ['add a']);
  await inf.stop();
});

test('stop() ends the watch and resolves; start(signal) follows the signal', async () => {
  const srv = new FakeServer();
  const abort = new AbortController();
  const inf = new ResourceInformer<ConfigMap>(srv, { logger: quiet });
  inf.start(abort.signal);
  await inf.waitForSync();
  await settle();
  assert.equal(srv.streams.length, 1);
  abort.abort();
  await inf.stop();
  assert.ok(srv.stream.opts.signal?.aborted);
  await assert.rejects(new ResourceInformer<ConfigMap>(srv, { logger: quiet }).waitForSync(AbortSignal.abort()));
});
