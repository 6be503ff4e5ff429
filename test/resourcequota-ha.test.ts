// ResourceQuota admission across two `pilot server`s on one etcd: creates
// racing through both servers are charged by compare-and-swap on the quota's
// status, so together they never take usage past the limit — and none is
// refused while there is room.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';
import { loadKubeconfig, RestClient } from '../src/client/index.ts';

const TOKEN = 'quota-ha-token-51c2';
const NS = 'quota-ha';
let etcd: EtcdServer;
let a: Pilot;
let b: Pilot;
const clients: RestClient[] = [];

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

before(async () => {
  etcd = await EtcdServer.start();
  a = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN] });
  b = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN] });
  await Promise.all([a.start(), b.start()]);
  for (const p of [a, b]) clients.push(new RestClient(loadKubeconfig(p.kubeconfig), { qps: 0 }));
});

after(async () => {
  for (const c of clients) c.close();
  for (const p of [a, b]) await p?.dispose();
  await etcd?.dispose();
});

test('creates racing through two servers never exceed the quota', async () => {
  await a.k(['create', 'namespace', NS]);
  await a.k(['create', 'quota', 'cms', '-n', NS, '--hard=configmaps=8']);
  const cms = clients.map((c) => c.resource<ConfigMap>('v1', 'ConfigMap').namespace(NS));
  // The root CA publisher's ConfigMap is counted first, so only this test's creates race.
  await until('kube-root-ca.crt counted', async () => {
    const q = await b.json<ResourceQuota>(['get', 'quota', 'cms', '-n', NS]);
    return q.status?.used?.configmaps === '1';
  });
  const results = await Promise.allSettled(Array.from({ length: 24 }, (_, i) =>
    cms[i % 2].create({ metadata: { name: `cm-${i}` } })));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  for (const r of results) {
    if (r.status === 'rejected') assert.match(String((r.reason as Error).message), /exceeded quota: cms, requested: configmaps=1, used: configmaps=8, limited: configmaps=8/);
  }
  assert.equal(ok, 7);
  assert.equal((await cms[0].list()).items.length, 8);
  const q = await a.json<ResourceQuota>(['get', 'quota', 'cms', '-n', NS]);
  assert.equal(q.status?.used?.configmaps, '8');
});
