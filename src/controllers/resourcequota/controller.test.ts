// The ResourceQuota controller without a server: fake informers (indexers
// whose handlers the test calls), a recording API, a FakeClock for resync.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock, type Disposable } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, WorkQueue, type Informer, type KubeObject, type ResourceEventHandler } from '../../client/index.ts';
import { RetryLater } from '../worker.ts';
import { ResourceQuotaController } from './controller.ts';

const silent = pino({ level: 'silent' });

class FakeInformer<T extends KubeObject> {
  readonly store = new Indexer<T>();
  readonly handlers: ResourceEventHandler<T>[] = [];
  synced = true;
  start(): void {}
  async stop(): Promise<void> {}
  hasSynced(): boolean { return this.synced; }
  async waitForSync(): Promise<void> {}
  on(h: ResourceEventHandler<T>): Disposable { this.handlers.push(h); return { dispose: () => undefined }; }
  lister(): Indexer<T> { return this.store; }
  addIndex(): void {}
  lastSyncResourceVersion(): string { return '1'; }
  update(old: T, cur: T): void { this.store.set(cur); for (const h of this.handlers) h.update?.(old, cur); }
  remove(obj: T): void { this.store.delete(`${obj.metadata?.namespace}/${obj.metadata?.name}`); for (const h of this.handlers) h.delete?.(obj); }
}

class Fixture {
  clock = new FakeClock();
  quotas = new Indexer<ResourceQuota>();
  informers = new Map<string, FakeInformer<KubeObject>>();
  requested: string[] = [];
  writes: ResourceQuota[] = [];
  queue = new WorkQueue<string>({ clock: this.clock });
  conflict = false;
  c: ResourceQuotaController;

  constructor() {
    this.c = new ResourceQuotaController({
      quotas: this.quotas, clock: this.clock, logger: silent, queue: this.queue, resyncMs: 60_000,
      informers: {
        informerFor: <T extends KubeObject>(apiVersion: string, kind: string): Informer<T> => {
          const key = `${apiVersion}/${kind}`;
          this.requested.push(key);
          if (!this.informers.has(key)) this.informers.set(key, new FakeInformer());
          return this.informers.get(key) as unknown as Informer<T>;
        },
      },
      api: {
        updateStatus: async (rq) => {
          if (this.conflict) throw ApiError.conflict('resourcequotas', rq.metadata!.name!, 'modified');
          this.writes.push(structuredClone(rq));
          this.quotas.set(rq);
          return rq;
        },
      },
    });
  }

  inf(key: string): FakeInformer<KubeObject> {
    if (!this.informers.has(key)) this.informers.set(key, new FakeInformer());
    return this.informers.get(key)!;
  }
  quota(name: string, hard: Record<string, string>, extra: Partial<NonNullable<ResourceQuota['spec']>> = {}): ResourceQuota {
    const rq: ResourceQuota = { metadata: { name, namespace: 'ns', resourceVersion: '1' }, spec: { hard, ...extra } };
    this.quotas.set(rq);
    return rq;
  }
  async drain(): Promise<string[]> {
    const keys: string[] = [];
    while (this.queue.len()) { const k = (await this.queue.get())!; keys.push(k); this.queue.done(k); }
    return keys;
  }
}

function pod(name: string, cpu?: string, phase = 'Running'): Pod {
  return {
    metadata: { name, namespace: 'ns', resourceVersion: '1' },
    spec: { containers: [{ name: 'c', image: 'x', ...(cpu ? { resources: { requests: { cpu }, limits: { cpu } } } : {}) }] },
    status: { phase },
  };
}

test('sync sets status.hard from spec and status.used from the namespace\'s objects', async () => {
  const f = new Fixture();
  const pods = f.inf('v1/Pod');
  pods.store.set(pod('a', '100m'));
  pods.store.set(pod('b', '250m'));
  pods.store.set(pod('done', '1', 'Succeeded'));
  pods.store.set({ ...pod('elsewhere', '1'), metadata: { name: 'elsewhere', namespace: 'other' } });
  f.inf('v1/ConfigMap').store.set({ metadata: { name: 'cm', namespace: 'ns' } });
  f.quota('q', { pods: '10', 'requests.cpu': '2', 'limits.cpu': '4', configmaps: '5', 'count/deployments.apps': '2', 'count/widgets.example.com': '1' });
  await f.c.sync('ns/q');
  assert.equal(f.writes.length, 1);
  assert.deepEqual(f.writes[0].status, {
    hard: { pods: '10', 'requests.cpu': '2', 'limits.cpu': '4', configmaps: '5', 'count/deployments.apps': '2', 'count/widgets.example.com': '1' },
    used: { pods: '2', 'requests.cpu': '350m', 'limits.cpu': '350m', configmaps: '1', 'count/deployments.apps': '0' },
  });
  assert.ok(f.requested.includes('apps/v1/Deployment'), 'count/deployments.apps is watched from now on');
  // Unchanged: no write.
  await f.c.sync('ns/q');
  assert.equal(f.writes.length, 1);
});

test('a counted resource whose informer has not synced yet makes the sync wait', async () => {
  const f = new Fixture();
  f.inf('v1/Secret').synced = false;
  f.quota('q', { secrets: '3' });
  await assert.rejects(f.c.sync('ns/q'), RetryLater);
  assert.equal(f.writes.length, 0);
});

test('replenishment: deletions and usage-changing updates requeue the quotas counting that resource; creations do not', async () => {
  const f = new Fixture();
  const pods = f.inf('v1/Pod') as unknown as FakeInformer<Pod>;
  f.c.monitor.monitor('', 'pods');
  f.quota('q-pods', { pods: '3' });
  f.quota('q-cms', { configmaps: '3' });
  const a = pod('a', '100m');
  pods.store.set(a);
  for (const h of pods.handlers) h.add?.(a);
  assert.deepEqual(await f.drain(), [], 'admission charged the creation already');
  pods.update(a, { ...a, metadata: { ...a.metadata, resourceVersion: '2', labels: { x: 'y' } } });
  assert.deepEqual(await f.drain(), [], 'a label change does not change usage');
  pods.update(a, { ...a, metadata: { ...a.metadata, resourceVersion: '3' }, status: { phase: 'Succeeded' } });
  assert.deepEqual(await f.drain(), ['ns/q-pods'], 'a finished pod stops charging');
  pods.remove(a);
  assert.deepEqual(await f.drain(), ['ns/q-pods']);
});

test('quota events: a new quota or a change of spec.hard is synced; status changes are not', async () => {
  const f = new Fixture();
  const h = f.c.quotaHandler();
  const rq = f.quota('q', { pods: '1' });
  h.add!(rq);
  assert.deepEqual(await f.drain(), ['ns/q']);
  h.update!(rq, { ...rq, status: { hard: { pods: '1' }, used: { pods: '1' } } });
  assert.deepEqual(await f.drain(), []);
  h.update!(rq, { ...rq, spec: { hard: { pods: '2' } } });
  assert.deepEqual(await f.drain(), ['ns/q']);
});

test('every quota is recounted each resync period', async () => {
  const f = new Fixture();
  f.quota('a', { pods: '1' });
  f.quota('b', { pods: '1' });
  const resync = f.c.startResync();
  await f.clock.advance(59_000);
  assert.equal(f.queue.len(), 0);
  await f.clock.advance(1_000);
  assert.deepEqual((await f.drain()).sort(), ['ns/a', 'ns/b']);
  await f.clock.advance(60_000);
  assert.equal(f.queue.len(), 2);
  resync.dispose();
  await f.drain();
  await f.clock.advance(120_000);
  assert.equal(f.queue.len(), 0, 'disposed: no more resyncs');
});

test('a conflicting status write is retried (thrown); a deleted quota is ignored', async () => {
  const f = new Fixture();
  f.inf('v1/Pod');
  f.quota('q', { pods: '1' });
  f.conflict = true;
  await assert.rejects(f.c.sync('ns/q'), /modified/);
  await f.c.sync('ns/gone');
});
