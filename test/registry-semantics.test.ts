// Object semantics as upstream, checked over the wire against a real server:
// subresources, graceful deletion, finalizers, namespaces, allocation, paging.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { ApiClient } from './helpers/api.ts';

let pilot: Pilot;
let api: ApiClient;

before(async () => {
  // The API server's own semantics: no controllers, so nothing but the test
  // writes (no kube-root-ca.crt in listed namespaces; a deleted namespace stays
  // Terminating until the test finalizes it, as the namespace controller would).
  pilot = await new Pilot({ extraArgs: ['--disable-controllers'] }).start();
  api = new ApiClient(pilot.kubeconfig);
});
after(async () => {
  api?.close();
  await pilot?.dispose();
});

async function ns(name: string): Promise<void> {
  const r = await api.post('/api/v1/namespaces', { metadata: { name } });
  assert.equal(r.status, 201, r.body);
}

/** No controllers run here: a namespace for pods needs its `default` account made by hand (ServiceAccount admission), as upstream. */
async function podNs(name: string): Promise<void> {
  await ns(name);
  const r = await api.post(`/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: 'default' } });
  assert.equal(r.status, 201, r.body);
}

const pod = (name: string, extra: Record<string, unknown> = {}): unknown => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...extra },
});

describe('pods', () => {
  test('binding assigns a node once; a bound pod is deleted gracefully', async () => {
    await podNs('pods-a');
    assert.equal((await api.post('/api/v1/namespaces/pods-a/pods', pod('p1'))).status, 201);
    const created = (await api.get('/api/v1/namespaces/pods-a/pods/p1')).json;
    assert.equal(created.status.phase, 'Pending');
    assert.equal(created.status.qosClass, 'BestEffort');

    const bind = await api.post('/api/v1/namespaces/pods-a/pods/p1/binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'p1' }, target: { kind: 'Node', name: 'n1' } });
    assert.equal(bind.status, 201, bind.body);
    const bound = (await api.get('/api/v1/namespaces/pods-a/pods/p1')).json;
    assert.equal(bound.spec.nodeName, 'n1');
    assert.equal(bound.status.conditions.find((c: { type: string }) => c.type === 'PodScheduled').status, 'True');

    const again = await api.post('/api/v1/namespaces/pods-a/pods/p1/binding', { metadata: { name: 'p1' }, target: { name: 'n2' } });
    assert.equal(again.status, 409);
    assert.match(again.json.message, /already assigned to node "n1"/);

    const del = await api.delete('/api/v1/namespaces/pods-a/pods/p1', { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 30 });
    assert.equal(del.status, 202, 'graceful deletion is accepted, not done');
    assert.ok(del.json.metadata.deletionTimestamp);
    assert.equal(del.json.metadata.deletionGracePeriodSeconds, 30);
    assert.equal((await api.get('/api/v1/namespaces/pods-a/pods/p1')).status, 200, 'still there while the kubelet stops it');

    const force = await api.delete('/api/v1/namespaces/pods-a/pods/p1', { gracePeriodSeconds: 0 });
    assert.equal(force.status, 200, force.body);
    assert.equal((await api.get('/api/v1/namespaces/pods-a/pods/p1')).status, 404);
  });

  test('an unbound pod is deleted at once; status writes only status', async () => {
    await podNs('pods-b');
    await api.post('/api/v1/namespaces/pods-b/pods', pod('p2'));
    const cur = (await api.get('/api/v1/namespaces/pods-b/pods/p2')).json;
    cur.status = { phase: 'Running' };
    cur.spec.containers[0].image = 'changed-by-status-write';
    const st = await api.put('/api/v1/namespaces/pods-b/pods/p2/status', cur);
    assert.equal(st.status, 200, st.body);
    assert.equal(st.json.status.phase, 'Running');
    assert.equal(st.json.spec.containers[0].image, 'busybox', 'a status write must not change spec');

    const main = (await api.get('/api/v1/namespaces/pods-b/pods/p2')).json;
    main.status = { phase: 'Failed' };
    main.metadata.labels = { a: 'b' };
    const upd = await api.put('/api/v1/namespaces/pods-b/pods/p2', main);
    assert.equal(upd.status, 200, upd.body);
    assert.equal(upd.json.status.phase, 'Running', 'a main-resource write must not change status');
    assert.deepEqual(upd.json.metadata.labels, { a: 'b' });

    const del = await api.delete('/api/v1/namespaces/pods-b/pods/p2');
    assert.equal(del.status, 200);
    assert.equal(del.json.kind, 'Status');
    assert.equal(del.json.status, 'Success');
    assert.equal((await api.get('/api/v1/namespaces/pods-b/pods/p2')).status, 404);
  });
});

describe('workloads', () => {
  const deploy = (name: string, replicas: number): unknown => ({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
  });

  test('generation follows spec changes only; scale subresource reads and writes replicas', async () => {
    await ns('wl');
    const c = await api.post('/apis/apps/v1/namespaces/wl/deployments', deploy('d', 2));
    assert.equal(c.status, 201, c.body);
    assert.equal(c.json.metadata.generation, 1);

    const lab = await api.patch('/apis/apps/v1/namespaces/wl/deployments/d', { metadata: { labels: { x: 'y' } } });
    assert.equal(lab.json.metadata.generation, 1, 'a label change is not a spec change');

    const scale = await api.get('/apis/apps/v1/namespaces/wl/deployments/d/scale');
    assert.equal(scale.status, 200);
    assert.equal(scale.json.kind, 'Scale');
    assert.equal(scale.json.apiVersion, 'autoscaling/v1');
    assert.equal(scale.json.spec.replicas, 2);
    assert.equal(scale.json.status.selector, 'app=d');

    const put = await api.put('/apis/apps/v1/namespaces/wl/deployments/d/scale', { ...scale.json, spec: { replicas: 7 } });
    assert.equal(put.status, 200, put.body);
    assert.equal(put.json.spec.replicas, 7);
    const after = (await api.get('/apis/apps/v1/namespaces/wl/deployments/d')).json;
    assert.equal(after.spec.replicas, 7);
    assert.equal(after.metadata.generation, 2);

    const stale = await api.put('/apis/apps/v1/namespaces/wl/deployments/d/scale', { ...scale.json, spec: { replicas: 1 } });
    assert.equal(stale.status, 409, 'a Scale with an old resourceVersion conflicts');

    const neg = await api.patch('/apis/apps/v1/namespaces/wl/deployments/d/scale', { spec: { replicas: -1 } });
    assert.equal(neg.status, 422);
  });

  test('status of a new workload is reset, and the main resource keeps status', async () => {
    await ns('wl2');
    const body = deploy('s', 1) as Record<string, unknown>;
    body.status = { replicas: 99 };
    const c = await api.post('/apis/apps/v1/namespaces/wl2/deployments', body);
    assert.equal(c.status, 201, c.body);
    assert.equal(c.json.status.replicas, undefined);
  });
});

describe('deletion', () => {
  test('finalizers hold an object until the last one is removed', async () => {
    await ns('fin');
    const c = await api.post('/api/v1/namespaces/fin/configmaps', { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: { a: '1' } });
    assert.equal(c.status, 201);
    const d = await api.delete('/api/v1/namespaces/fin/configmaps/held');
    assert.equal(d.status, 202);
    assert.ok(d.json.metadata.deletionTimestamp);
    const still = await api.get('/api/v1/namespaces/fin/configmaps/held');
    assert.equal(still.status, 200);
    const rm = await api.patch('/api/v1/namespaces/fin/configmaps/held', [{ op: 'remove', path: '/metadata/finalizers' }], 'json');
    assert.equal(rm.status, 200, rm.body);
    assert.equal((await api.get('/api/v1/namespaces/fin/configmaps/held')).status, 404);
  });

  test('preconditions and dry run', async () => {
    await ns('pre');
    const c = (await api.post('/api/v1/namespaces/pre/configmaps', { metadata: { name: 'x' } })).json;
    const bad = await api.delete('/api/v1/namespaces/pre/configmaps/x', { preconditions: { uid: 'not-the-uid' } });
    assert.equal(bad.status, 409);
    assert.match(bad.json.message, /Precondition failed: UID in precondition: not-the-uid, UID in object meta: /);
    const dry = await api.request('DELETE', '/api/v1/namespaces/pre/configmaps/x?dryRun=All');
    assert.equal(dry.status, 200);
    assert.equal((await api.get('/api/v1/namespaces/pre/configmaps/x')).status, 200, 'dry run keeps it');
    const ok = await api.delete('/api/v1/namespaces/pre/configmaps/x', { preconditions: { uid: c.metadata.uid } });
    assert.equal(ok.status, 200);
  });

  test('deletecollection with a label selector deletes only matching objects', async () => {
    await ns('dc');
    for (const [n, l] of [['a', 'x'], ['b', 'x'], ['c', 'y']]) await api.post('/api/v1/namespaces/dc/configmaps', { metadata: { name: n, labels: { g: l } } });
    const r = await api.delete('/api/v1/namespaces/dc/configmaps?labelSelector=g%3Dx');
    assert.equal(r.status, 200, r.body);
    const left = (await api.get('/api/v1/namespaces/dc/configmaps')).json.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    assert.deepEqual(left, ['c']);
  });
});

describe('namespaces', () => {
  test('a terminating namespace refuses new objects; system namespaces cannot be deleted', async () => {
    await ns('term');
    const d = await api.delete('/api/v1/namespaces/term');
    assert.equal(d.status, 202, d.body);
    const got = (await api.get('/api/v1/namespaces/term')).json;
    assert.equal(got.status.phase, 'Terminating');
    assert.deepEqual(got.spec.finalizers, ['kubernetes']);
    const refused = await api.post('/api/v1/namespaces/term/configmaps', { metadata: { name: 'late' } });
    assert.equal(refused.status, 403);
    assert.match(refused.json.message, /unable to create new content in namespace term because it is being terminated/);

    // Emptying spec.finalizers (what the namespace controller does) removes it.
    const fin = await api.put('/api/v1/namespaces/term/finalize', { ...got, spec: { finalizers: [] } });
    assert.equal(fin.status, 200, fin.body);
    assert.equal((await api.get('/api/v1/namespaces/term')).status, 404);

    const sys = await api.delete('/api/v1/namespaces/kube-system');
    assert.equal(sys.status, 403);
    const missing = await api.post('/api/v1/namespaces/nope/configmaps', { metadata: { name: 'x' } });
    assert.equal(missing.status, 404);
    assert.equal(missing.json.message, 'namespaces "nope" not found');
    assert.equal((await api.get('/api/v1/namespaces/default')).json.metadata.labels['kubernetes.io/metadata.name'], 'default');
  });
});

describe('services', () => {
  test('cluster IPs and node ports are allocated, refused when taken, and released on delete', async () => {
    await ns('svc');
    const svc = (name: string, spec: Record<string, unknown>): unknown => ({ metadata: { name }, spec: { ports: [{ port: 80 }], selector: { app: name }, ...spec } });
    const a = await api.post('/api/v1/namespaces/svc/services', svc('a', { type: 'NodePort' }));
    assert.equal(a.status, 201, a.body);
    const ip = a.json.spec.clusterIP as string;
    assert.match(ip, /^10\.43\.\d+\.\d+$/);
    assert.deepEqual(a.json.spec.clusterIPs, [ip]);
    const port = a.json.spec.ports[0].nodePort as number;
    assert.ok(port >= 30000 && port <= 32767);
    assert.equal(a.json.spec.ports[0].targetPort, 80);

    const sameIP = await api.post('/api/v1/namespaces/svc/services', svc('b', { clusterIP: ip }));
    assert.equal(sameIP.status, 422);
    assert.match(sameIP.json.message, /provided IP is already allocated/);
    const samePort = await api.post('/api/v1/namespaces/svc/services', svc('c', { type: 'NodePort', ports: [{ port: 80, nodePort: port }] }));
    assert.equal(samePort.status, 422);
    assert.match(samePort.json.message, /provided port is already allocated/);

    const headless = await api.post('/api/v1/namespaces/svc/services', svc('h', { clusterIP: 'None' }));
    assert.equal(headless.json.spec.clusterIP, 'None');

    assert.equal((await api.delete('/api/v1/namespaces/svc/services/a')).status, 200);
    const reuse = await api.post('/api/v1/namespaces/svc/services', svc('d', { type: 'NodePort', clusterIP: ip, ports: [{ port: 80, nodePort: port }] }));
    assert.equal(reuse.status, 201, `released IP and port can be taken again: ${reuse.body}`);

    const immutable = await api.patch('/api/v1/namespaces/svc/services/d', { spec: { clusterIP: '10.43.99.99', clusterIPs: ['10.43.99.99'] } });
    assert.equal(immutable.status, 422);
  });
});

describe('lists', () => {
  test('limit/continue pages are consistent at one resourceVersion', async () => {
    await ns('page');
    for (let i = 0; i < 7; i++) await api.post('/api/v1/namespaces/page/configmaps', { metadata: { name: `cm-${i}` } });
    const p1 = (await api.get('/api/v1/namespaces/page/configmaps?limit=3')).json;
    assert.equal(p1.items.length, 3);
    assert.equal(p1.metadata.remainingItemCount, 4);
    assert.ok(p1.metadata.continue);
    await api.post('/api/v1/namespaces/page/configmaps', { metadata: { name: 'cm-9-late' } });
    const names: string[] = p1.items.map((i: { metadata: { name: string } }) => i.metadata.name);
    let cont = p1.metadata.continue as string | undefined;
    while (cont) {
      const p = (await api.get(`/api/v1/namespaces/page/configmaps?limit=3&continue=${encodeURIComponent(cont)}`)).json;
      assert.equal(p.metadata.resourceVersion, p1.metadata.resourceVersion);
      names.push(...p.items.map((i: { metadata: { name: string } }) => i.metadata.name));
      cont = p.metadata.continue;
    }
    assert.deepEqual(names, ['cm-0', 'cm-1', 'cm-2', 'cm-3', 'cm-4', 'cm-5', 'cm-6'], 'the late object is not in the snapshot');

    const bad = await api.get('/api/v1/namespaces/page/configmaps?continue=garbage!');
    assert.equal(bad.status, 400);
    const exact0 = await api.get('/api/v1/namespaces/page/configmaps?resourceVersion=0&resourceVersionMatch=Exact');
    assert.equal(exact0.status, 400);
    const future = await api.get('/api/v1/namespaces/page/configmaps?resourceVersion=99999999');
    assert.equal(future.status, 504);
  });

  test('generateName gives a unique name; unknown paths and kinds answer like upstream', async () => {
    await ns('gen');
    const r = await api.post('/api/v1/namespaces/gen/configmaps', { metadata: { generateName: 'web-' } });
    assert.equal(r.status, 201);
    assert.match(r.json.metadata.name, /^web-[a-z0-9]{5}$/);
    const nf = await api.get('/api/v1/namespaces/gen/configmaps/missing');
    assert.equal(nf.status, 404);
    assert.equal(nf.json.reason, 'NotFound');
    assert.equal(nf.json.message, 'configmaps "missing" not found');
    assert.equal((await api.get('/api/v1/foos')).status, 404);
    const wrongKind = await api.post('/api/v1/namespaces/gen/configmaps', { kind: 'Secret', apiVersion: 'v1', metadata: { name: 's' } });
    assert.equal(wrongKind.status, 400);
  });
});

describe('events', () => {
  test('events.k8s.io/v1 and core/v1 Events are one set of objects', async () => {
    await ns('ev');
    const e = await api.post('/apis/events.k8s.io/v1/namespaces/ev/events', {
      metadata: { name: 'e1' }, eventTime: '2026-01-01T00:00:00.000000Z', reportingController: 'test/ctrl', reportingInstance: 'i1',
      action: 'Testing', reason: 'Tested', type: 'Normal', note: 'hello', regarding: { kind: 'Pod', name: 'p', namespace: 'ev' },
    });
    assert.equal(e.status, 201, e.body);
    const core = await api.get('/api/v1/namespaces/ev/events/e1');
    assert.equal(core.status, 200);
    assert.equal(core.json.apiVersion, 'v1');
    assert.equal(core.json.message, 'hello');
    assert.equal(core.json.involvedObject.name, 'p');
    assert.equal(core.json.reportingComponent, 'test/ctrl');
    const sel = await api.get('/api/v1/namespaces/ev/events?fieldSelector=involvedObject.name%3Dp');
    assert.equal(sel.json.items.length, 1);

    await api.post('/api/v1/namespaces/ev/events', { metadata: { name: 'e2' }, involvedObject: { kind: 'Pod', name: 'q', namespace: 'ev' }, reason: 'R', message: 'from core', type: 'Warning', source: { component: 'kubelet' } });
    const v1 = (await api.get('/apis/events.k8s.io/v1/namespaces/ev/events')).json;
    assert.equal(v1.kind, 'EventList');
    const e2 = v1.items.find((i: { metadata: { name: string } }) => i.metadata.name === 'e2');
    assert.equal(e2.note, 'from core');
    assert.equal(e2.regarding.name, 'q');
    assert.equal(e2.apiVersion, 'events.k8s.io/v1');
  });
});
