// RestClient and ResourceClient against a real in-process API server.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Namespace, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { ApiError } from '../base/errors.ts';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';
import type { WatchEvent } from './watch.ts';

let ts: TestServer;
before(async () => {
  // Small history so a watch from an old version is compacted away (410).
  ts = await startTestServer({ compactionRetainRevisions: 5, compactionIntervalMs: 20 });
});
after(async () => { await ts.close(); });

const cm = (name: string, data: Record<string, string> = {}): ConfigMap => ({ metadata: { name }, data });

test('request() returns parsed JSON and throws ApiError from Status bodies', async () => {
  const version = await ts.client.request<{ major: string }>('GET', '/version');
  assert.equal(typeof version.major, 'string');
  await assert.rejects(ts.client.request('GET', '/api/v1/namespaces/default/configmaps/nope'),
    (e: unknown) => e instanceof ApiError && e.code === 404 && e.reason === 'NotFound' && /configmaps "nope" not found/.test(e.message));
});

test('CRUD of a namespaced resource, with 409s as ApiError', async () => {
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  const created = await cms.create(cm('crud', { a: '1' }));
  assert.equal(created.metadata?.namespace, 'default');
  assert.ok(created.metadata?.uid);

  await assert.rejects(cms.create(cm('crud')), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'AlreadyExists');

  const got = await cms.get('crud');
  assert.deepEqual(got.data, { a: '1' });

  const updated = await cms.update({ ...got, data: { a: '2' } });
  assert.notEqual(updated.metadata?.resourceVersion, got.metadata?.resourceVersion);
  // The old resourceVersion is stale now: compare-and-swap fails.
  await assert.rejects(cms.update({ ...got, data: { a: '3' } }), (e: unknown) => e instanceof ApiError && e.code === 409 && e.reason === 'Conflict');

  const merged = await cms.patch('crud', 'merge', { data: { b: 'x' } });
  assert.deepEqual(merged.data, { a: '2', b: 'x' });
  const strategic = await cms.patch('crud', 'strategic', { metadata: { labels: { tier: 'web' } } });
  assert.equal(strategic.metadata?.labels?.tier, 'web');
  const jsonPatched = await cms.patch('crud', 'json', [{ op: 'remove', path: '/data/b' }]);
  assert.deepEqual(jsonPatched.data, { a: '2' });
  const applied = await cms.patch('crud', 'apply', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'crud' }, data: { c: 'applied' } }, { fieldManager: 'test', force: true });
  assert.equal(applied.data?.c, 'applied');

  const dry = await cms.create(cm('dry'), { dryRun: true });
  assert.equal(dry.metadata?.name, 'dry');
  await assert.rejects(cms.get('dry'), (e: unknown) => e instanceof ApiError && e.code === 404);

  await cms.delete('crud');
  await assert.rejects(cms.get('crud'), (e: unknown) => e instanceof ApiError && e.code === 404);
  await assert.rejects(cms.delete('crud'), (e: unknown) => e instanceof ApiError && e.code === 404);
});

test('namespace comes from the scope or the object; namespaced calls without one fail early', async () => {
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap');
  const created = await cms.create({ metadata: { name: 'from-obj', namespace: 'kube-public' } });
  assert.equal(created.metadata?.namespace, 'kube-public');
  assert.throws(() => cms.get('from-obj'), /namespaced/);
  const all = await cms.list();
  assert.ok(all.items.some((i) => i.metadata?.name === 'from-obj' && i.metadata.namespace === 'kube-public'));
  await cms.namespace('kube-public').delete('from-obj');
});

test('cluster-scoped resources and the status subresource', async () => {
  const nss = ts.client.resource<Namespace>('v1', 'Namespace');
  const ns = await nss.create({ metadata: { name: 'client-test' } });
  assert.equal(ns.metadata?.name, 'client-test');
  assert.equal((await nss.get('client-test')).status?.phase, 'Active');

  const quotas = ts.client.resourceFor<ResourceQuota>('', 'v1', 'resourcequotas').namespace('client-test');
  const q = await quotas.create({ metadata: { name: 'q' }, spec: { hard: { pods: '10' } } });
  const withStatus = await quotas.updateStatus({ ...q, spec: { hard: { pods: '99' } }, status: { hard: { pods: '10' }, used: { pods: '1' } } });
  assert.deepEqual(withStatus.status?.used, { pods: '1' });
  assert.deepEqual(withStatus.spec?.hard, { pods: '10' }, 'spec is not changed through status');
});

test('list pages with limit/continue; listAll follows them; items carry apiVersion and kind', async () => {
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('client-test');
  for (let i = 0; i < 5; i++) await cms.create(cm(`page-${i}`), {});
  const first = await cms.list({ limit: 2 });
  assert.equal(first.items.length, 2);
  assert.ok(first.metadata.continue);
  assert.equal(first.items[0].kind, 'ConfigMap');
  assert.equal(first.items[0].apiVersion, 'v1');
  const all = await cms.listAll({ limit: 2 });
  assert.deepEqual(all.items.map((i) => i.metadata?.name).filter((n) => n?.startsWith('page-')), ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  assert.match(all.metadata.resourceVersion ?? '', /^\d+$/);
  assert.equal(all.metadata.continue, undefined);
  const selected = await cms.list({ fieldSelector: 'metadata.name=page-3' });
  assert.deepEqual(selected.items.map((i) => i.metadata?.name), ['page-3']);
});

test('watch delivers events in order, ends on abort', async () => {
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  const list = await cms.list();
  const abort = new AbortController();
  const seen: WatchEvent<ConfigMap>[] = [];
  const done = (async () => {
    for await (const ev of cms.watch({ resourceVersion: list.metadata.resourceVersion, signal: abort.signal })) {
      seen.push(ev);
      if (seen.length === 3) abort.abort();
    }
  })();
  const c = await cms.create(cm('w1'));
  await cms.update({ ...c, data: { k: 'v' } });
  await cms.delete('w1');
  await done;
  assert.deepEqual(seen.map((e) => `${e.type} ${e.object.metadata?.name}`), ['ADDED w1', 'MODIFIED w1', 'DELETED w1']);
});

test('watch ends when the server ends the stream (timeoutSeconds)', async () => {
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  const list = await cms.list();
  const started = Date.now();
  let n = 0;
  for await (const ev of cms.watch({ resourceVersion: list.metadata.resourceVersion, timeoutSeconds: 1, allowWatchBookmarks: true })) {
    if (ev.type !== 'BOOKMARK') n++;
  }
  assert.equal(n, 0);
  assert.ok(Date.now() - started >= 900);
});

test('a watch from a compacted resourceVersion throws ApiError 410', async () => {
  // Push the store well past revision 2, let the compactor run.
  const cms = ts.client.resource<ConfigMap>('v1', 'ConfigMap').namespace('default');
  for (let i = 0; i < 10; i++) await cms.create(cm(`bump-${i}`));
  const deadline = Date.now() + 5000;
  while ((await ts.server.store.compactedRevision()) < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  // Pod templates have no watch cache yet, so the store answers for the old revision.
  const templates = ts.client.resource('v1', 'PodTemplate').namespace('default');
  await assert.rejects(async () => {
    for await (const ev of templates.watch({ resourceVersion: '2' })) assert.fail(`unexpected ${ev.type}`);
  }, (e: unknown) => e instanceof ApiError && e.code === 410 && e.reason === 'Expired');
});

test('a rate-limited client spaces requests out', async () => {
  const slow = ts.newClient({ qps: 20, burst: 1 });
  const started = Date.now();
  for (let i = 0; i < 5; i++) await slow.request('GET', '/version');
  // 1 at once, then 4 at 20/s ≈ 200 ms.
  assert.ok(Date.now() - started >= 150, `took ${Date.now() - started} ms`);
});
