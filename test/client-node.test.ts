// The official JavaScript client (@kubernetes/client-node 1.x) against Pilot:
// typed CRUD of a ConfigMap, a Deployment, a Watch and an Informer.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as k8s from '@kubernetes/client-node';
import { Pilot } from './helpers/pilot.ts';

const NS = 'default';

function until(pred: () => boolean, what: string, ms = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = (): void => {
      if (pred()) { resolve(); return; }
      if (Date.now() - start > ms) { reject(new Error(`timed out waiting for ${what}`)); return; }
      setTimeout(tick, 20);
    };
    tick();
  });
}

describe('@kubernetes/client-node', () => {
  const pilot = new Pilot({ datastore: 'memory://' });
  let kc: k8s.KubeConfig;
  let core: k8s.CoreV1Api;
  let apps: k8s.AppsV1Api;
  const cleanups: (() => Promise<void> | void)[] = [];

  before(async () => {
    await pilot.start();
    kc = new k8s.KubeConfig();
    kc.loadFromFile(pilot.kubeconfig);
    core = kc.makeApiClient(k8s.CoreV1Api);
    apps = kc.makeApiClient(k8s.AppsV1Api);
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await pilot.dispose();
  });

  test('CoreV1Api: create, read, list, replace, patch, delete a ConfigMap', async () => {
    const created = await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'cn1', labels: { app: 'cn' } }, data: { a: '1' } } });
    assert.equal(created.metadata?.name, 'cn1');
    assert.match(created.metadata?.uid ?? '', /^[0-9a-f-]{36}$/);
    assert.ok(created.metadata?.creationTimestamp instanceof Date, 'timestamps are parsed into Dates');

    const read = await core.readNamespacedConfigMap({ name: 'cn1', namespace: NS });
    assert.deepEqual(read.data, { a: '1' });
    assert.equal(read.metadata?.resourceVersion, created.metadata?.resourceVersion);

    const list = await core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'app=cn' });
    assert.deepEqual(list.items.map((i) => i.metadata?.name), ['cn1']);
    assert.ok(Number(list.metadata?.resourceVersion) >= Number(created.metadata?.resourceVersion));

    read.data = { a: '2', b: '3' };
    const replaced = await core.replaceNamespacedConfigMap({ name: 'cn1', namespace: NS, body: read });
    assert.deepEqual(replaced.data, { a: '2', b: '3' });
    assert.ok(Number(replaced.metadata?.resourceVersion) > Number(read.metadata?.resourceVersion));

    // Replacing from the old resourceVersion again is a 409.
    await assert.rejects(core.replaceNamespacedConfigMap({ name: 'cn1', namespace: NS, body: read }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException, String(e));
      assert.equal(e.code, 409);
      assert.match(String(e.body), /"reason":"Conflict"/);
      return true;
    });

    const merged = await core.patchNamespacedConfigMap({ name: 'cn1', namespace: NS, body: { data: { c: '4' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    assert.deepEqual(merged.data, { a: '2', b: '3', c: '4' });
    const jsonPatched = await core.patchNamespacedConfigMap({ name: 'cn1', namespace: NS, body: [{ op: 'remove', path: '/data/a' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
    assert.deepEqual(jsonPatched.data, { b: '3', c: '4' });
    // The client's default patch type for this call is JSON patch too.
    const dflt = await core.patchNamespacedConfigMap({ name: 'cn1', namespace: NS, body: [{ op: 'add', path: '/data/d', value: '5' }] });
    assert.deepEqual(dflt.data, { b: '3', c: '4', d: '5' });

    const status = await core.deleteNamespacedConfigMap({ name: 'cn1', namespace: NS });
    // Deleted at once: upstream answers a Status, not the object.
    assert.equal(status.kind, 'Status');
    assert.equal(status.status, 'Success');
    assert.equal(status.details?.name, 'cn1');
    assert.equal(status.details?.uid, created.metadata?.uid);
    await assert.rejects(core.readNamespacedConfigMap({ name: 'cn1', namespace: NS }), (e: unknown) => {
      assert.ok(e instanceof k8s.ApiException);
      assert.equal(e.code, 404);
      return true;
    });
  });

  test('AppsV1Api: create and read a Deployment', async () => {
    const body: k8s.V1Deployment = {
      metadata: { name: 'web' },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.27', ports: [{ containerPort: 80 }] }] } },
      },
    };
    const created = await apps.createNamespacedDeployment({ namespace: NS, body });
    assert.equal(created.metadata?.name, 'web');
    assert.equal(created.metadata?.generation, 1);
    const read = await apps.readNamespacedDeployment({ name: 'web', namespace: NS });
    assert.equal(read.spec?.replicas, 2);
    assert.equal(read.spec?.template.spec?.containers[0].image, 'nginx:1.27');
    assert.equal(read.metadata?.uid, created.metadata?.uid);
    const list = await apps.listDeploymentForAllNamespaces();
    assert.ok(list.items.some((d) => d.metadata?.name === 'web'));
  });

  test('Watch receives ADDED, MODIFIED and DELETED', async () => {
    const events: { type: string; name: string; data?: Record<string, string> }[] = [];
    let doneErr: unknown = 'not done';
    const list = await core.listNamespacedConfigMap({ namespace: NS });
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(`/api/v1/namespaces/${NS}/configmaps`, { resourceVersion: list.metadata?.resourceVersion, allowWatchBookmarks: true },
      (type, obj: k8s.V1ConfigMap) => { if (type !== 'BOOKMARK') events.push({ type, name: obj.metadata?.name ?? '', data: obj.data }); },
      (err) => { doneErr = err; });
    cleanups.push(() => ctl.abort());
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'watched' }, data: { v: '1' } } });
    await core.patchNamespacedConfigMap({ name: 'watched', namespace: NS, body: { data: { v: '2' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'watched', namespace: NS });
    await until(() => events.length >= 3, 'three watch events');
    assert.deepEqual(events.map((e) => `${e.type} ${e.name}`), ['ADDED watched', 'MODIFIED watched', 'DELETED watched']);
    assert.deepEqual(events[1].data, { v: '2' });
    ctl.abort();
    await until(() => doneErr !== 'not done', 'the watch to end');
  });

  test('a watch with timeoutSeconds ends with done(null)', async () => {
    let doneErr: unknown = 'not done';
    const watch = new k8s.Watch(kc);
    const ctl = await watch.watch(`/api/v1/namespaces/${NS}/configmaps`, { timeoutSeconds: 1 }, () => undefined, (err) => { doneErr = err; });
    cleanups.push(() => ctl.abort());
    await until(() => doneErr !== 'not done', 'the server to end the watch', 5000);
    assert.equal(doneErr, null);
  });

  test('an Informer lists, then sees adds, updates and deletes', async () => {
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'inf0', labels: { inf: 'yes' } }, data: { v: '0' } } });
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${NS}/configmaps`,
      () => core.listNamespacedConfigMap({ namespace: NS, labelSelector: 'inf=yes' }), 'inf=yes');
    const added: string[] = [];
    const updated: string[] = [];
    const deleted: string[] = [];
    const errors: unknown[] = [];
    informer.on('add', (o: k8s.V1ConfigMap) => added.push(o.metadata!.name!));
    informer.on('update', (o: k8s.V1ConfigMap) => updated.push(`${o.metadata!.name!}=${o.data?.v}`));
    informer.on('delete', (o: k8s.V1ConfigMap) => deleted.push(o.metadata!.name!));
    informer.on('error', (e) => errors.push(e));
    await informer.start();
    cleanups.push(() => informer.stop());
    await until(() => added.includes('inf0'), 'the listed object');
    for (let i = 1; i <= 3; i++) {
      await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: `inf${i}`, labels: { inf: 'yes' } }, data: { v: '0' } } });
    }
    await core.createNamespacedConfigMap({ namespace: NS, body: { metadata: { name: 'not-selected' }, data: { v: '0' } } });
    await core.patchNamespacedConfigMap({ name: 'inf1', namespace: NS, body: { data: { v: '9' } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
    await core.deleteNamespacedConfigMap({ name: 'inf2', namespace: NS });
    await until(() => added.length >= 4 && updated.length >= 1 && deleted.length >= 1, `informer events (added ${added.join(',')}; updated ${updated.join(',')}; deleted ${deleted.join(',')})`);
    assert.deepEqual([...added].sort(), ['inf0', 'inf1', 'inf2', 'inf3']);
    assert.deepEqual(updated, ['inf1=9']);
    assert.deepEqual(deleted, ['inf2']);
    assert.deepEqual(informer.list(NS).map((o) => o.metadata?.name).sort(), ['inf0', 'inf1', 'inf3']);
    assert.equal(informer.get('inf1', NS)?.data?.v, '9');
    assert.deepEqual(errors, []);
    await informer.stop();
  });
});
