// The ReplicaSet controller against a real in-process API server, run by the
// test itself (no controller manager), with the fake kubelet making pods
// Running/Ready: scale 3 → 10 → 0, the time to reach 100 ready pods, adoption
// and release by label, replacement of deleted pods, and events.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Pod, Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { startTestServer, type TestServer } from './helpers/testserver.ts';
import type { ResourceClient } from '../src/client/index.ts';
import { replicaSetController } from '../src/controllers/replicaset/index.ts';
import { FakeKubelet, runControllers, type RunningControllers } from './helpers/fake-kubelet.ts';

let ts: TestServer;
let controllers: RunningControllers;
let kubelet: FakeKubelet;
let rss: ResourceClient<ReplicaSet>;
let pods: ResourceClient<Pod>;

before(async () => {
  ts = await startTestServer({ controllers: [] });
  // No serviceaccount controller here: pods need their account to exist (ServiceAccount admission), as upstream.
  await ts.client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } });
  rss = ts.client.resource<ReplicaSet>('apps/v1', 'ReplicaSet').namespace('default');
  pods = ts.client.resource<Pod>('v1', 'Pod').namespace('default');
  controllers = runControllers(ts.client, [replicaSetController()]);
  // Its own client: the kubelet's requests do not eat into the controller's rate limit.
  kubelet = await new FakeKubelet(ts.newClient({ qps: 0 })).start();
});

after(async () => {
  await kubelet?.stop();
  await controllers?.stop();
  await ts?.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function replicaSet(name: string, replicas: number, labels: Record<string, string> = { app: name }): ReplicaSet {
  return {
    metadata: { name },
    spec: {
      replicas, selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
    },
  };
}

const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

async function podsOf(selector: string): Promise<Pod[]> {
  return (await pods.list({ labelSelector: selector })).items.filter((p) => !p.metadata?.deletionTimestamp);
}

/** Waits until the ReplicaSet reports `n` ready and available replicas for its latest generation and exactly n pods exist. */
async function settled(name: string, n: number, ms = 15_000): Promise<ReplicaSet> {
  return until(`${name} at ${n} ready replicas`, async () => {
    const rs = await rss.get(name);
    const s: NonNullable<ReplicaSet['status']> = rs.status ?? { replicas: 0 };
    const live = await podsOf(`app=${name}`);
    return s.observedGeneration === rs.metadata?.generation && (s.replicas ?? 0) === n && (s.readyReplicas ?? 0) === n
      && (s.availableReplicas ?? 0) === n && (s.fullyLabeledReplicas ?? 0) === n && live.length === n && rs;
  }, ms);
}

test('scale 3 → 10 → 0: pods follow, named <rs>-<5 chars>, owned, and status follows', async () => {
  const created = await rss.create(replicaSet('web', 3));
  await settled('web', 3);
  const list = await podsOf('app=web');
  for (const p of list) {
    assert.match(p.metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: created.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.spec?.nodeName, 'fake-node');
    assert.ok(isReady(p));
  }
  await rss.patch('web', 'merge', { spec: { replicas: 10 } });
  await settled('web', 10);
  await rss.patch('web', 'merge', { spec: { replicas: 0 } });
  const rs = await settled('web', 0);
  assert.deepEqual(rs.status, { replicas: 0, observedGeneration: 3 });
  // Events like upstream's.
  const events = await until('events', async () => {
    const evs = (await ts.client.resource<CoreEvent>('v1', 'Event').namespace('default').list({ fieldSelector: 'involvedObject.name=web' })).items;
    return evs.filter((e) => e.reason === 'SuccessfulDelete').reduce((n, e) => n + (e.count ?? 1), 0) === 10 && evs;
  });
  const creates = events.filter((e) => e.reason === 'SuccessfulCreate');
  assert.equal(creates.reduce((n, e) => n + (e.count ?? 1), 0), 10);
  assert.match(creates[0].message!, /^Created pod: web-\w{5}$/);
  assert.equal(creates[0].source?.component, 'replicaset-controller');
  assert.equal(creates[0].involvedObject.kind, 'ReplicaSet');
});

test('0 → 100 ready pods (figure printed)', async () => {
  const start = Date.now();
  await rss.create(replicaSet('hundred', 100));
  await settled('hundred', 100, 25_000);
  const ms = Date.now() - start;
  process.stdout.write(`# replicaset: 0 → 100 ready pods (fake kubelet) in ${ms} ms\n`);
  const down = Date.now();
  await rss.patch('hundred', 'merge', { spec: { replicas: 0 } });
  await settled('hundred', 0, 25_000);
  process.stdout.write(`# replicaset: 100 → 0 pods in ${Date.now() - down} ms\n`);
});

test('deleted pods are replaced; orphans are adopted; pods relabelled out are released', async () => {
  const rs = await rss.create(replicaSet('adopt', 3));
  await settled('adopt', 3);
  const [victim] = await podsOf('app=adopt');
  await pods.delete(victim.metadata!.name!);
  await until('a replacement', async () => {
    const live = await podsOf('app=adopt');
    return live.length === 3 && !live.some((p) => p.metadata?.name === victim.metadata?.name);
  });
  await settled('adopt', 3);

  // An orphan with matching labels is adopted, so one of the controller's own goes.
  await pods.create({ metadata: { name: 'stray', labels: { app: 'adopt' } }, spec: { containers: [{ name: 'c', image: 'x' }] } });
  const stray = await until('adoption', async () => {
    const p = await pods.get('stray').catch(() => undefined);
    return p?.metadata?.ownerReferences?.[0]?.uid === rs.metadata?.uid && p;
  });
  assert.deepEqual(stray.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'adopt', uid: rs.metadata!.uid, controller: true, blockOwnerDeletion: true }]);
  await settled('adopt', 3);

  // Relabelled out of the selector: released (no owner), and replaced.
  const [leaver] = await podsOf('app=adopt');
  await pods.patch(leaver.metadata!.name!, 'merge', { metadata: { labels: { app: 'gone' } } });
  const released = await until('release', async () => {
    const p = await pods.get(leaver.metadata!.name!);
    return !p.metadata?.ownerReferences?.length && p;
  });
  assert.equal(released.metadata?.labels?.app, 'gone');
  await settled('adopt', 3);
});

test('minReadySeconds: ready pods count as available only after it', async () => {
  await rss.create({ ...replicaSet('slow', 2), spec: { ...replicaSet('slow', 2).spec!, minReadySeconds: 3 } });
  const early = await until('ready but not yet available', async () => {
    const s = (await rss.get('slow')).status;
    return s?.readyReplicas === 2 && s;
  });
  assert.equal(early.availableReplicas ?? 0, 0);
  await settled('slow', 2, 10_000);
});
