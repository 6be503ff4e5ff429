// What survives a restart on the same data dir: every object with its uid and
// resourceVersion (after SIGTERM and after kill -9), the watch history (a watch
// from before the restart resumes), and Service cluster IP allocations.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify as toYaml } from 'yaml';
import { Pilot } from './helpers/pilot.ts';
import { closeAgents, cmYaml, credsFromKubeconfig, request, watch, type Creds } from './helpers/kube-http.ts';

type Snapshot = Map<string, { uid: string; rv: string; body: string }>;

const KINDS = ['namespaces', 'configmaps', 'secrets', 'services', 'deployments', 'serviceaccounts'];

describe('persistence across restarts', () => {
  const pilot = new Pilot();
  let creds: Creds;
  const reconnect = (): void => {
    closeAgents();
    creds = credsFromKubeconfig(pilot.kubeconfig);
  };

  /** uid, resourceVersion and content of everything of KINDS in the `persist` namespace (and the namespaces). */
  async function snapshot(): Promise<Snapshot> {
    const out: Snapshot = new Map();
    for (const kind of KINDS) {
      const list = await pilot.json<{ items: any[] }>(['get', kind, ...(kind === 'namespaces' ? [] : ['-n', 'persist'])]);
      for (const o of list.items) {
        out.set(`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, { uid: o.metadata.uid, rv: o.metadata.resourceVersion, body: JSON.stringify(o) });
      }
    }
    return out;
  }

  before(async () => {
    await pilot.start();
    creds = credsFromKubeconfig(pilot.kubeconfig);
    const docs = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'persist' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm1', namespace: 'persist', labels: { a: 'b' } }, data: { k: 'v' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's1', namespace: 'persist' }, type: 'Opaque', stringData: { password: 'hunter2' } },
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa1', namespace: 'persist' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc1', namespace: 'persist' }, spec: { selector: { app: 'svc1' }, ports: [{ port: 80, targetPort: 8080 }] } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'svc2', namespace: 'persist' }, spec: { selector: { app: 'svc2' }, ports: [{ port: 443 }] } },
      {
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd1', namespace: 'persist' },
        spec: { replicas: 2, selector: { matchLabels: { app: 'd1' } }, template: { metadata: { labels: { app: 'd1' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      },
    ];
    await pilot.k(['create', '-f', '-'], { input: docs.map((d) => toYaml(d)).join('---\n') });
    // An update, so resourceVersion differs from the creation revision.
    await pilot.k(['-n', 'persist', 'label', 'cm', 'cm1', 'changed=yes']);
  });
  after(async () => {
    closeAgents();
    await pilot.dispose();
  });

  test('after SIGTERM every object is back with the same uid, resourceVersion and content', async () => {
    const beforeSnap = await snapshot();
    assert.ok(beforeSnap.size >= 7, [...beforeSnap.keys()].join(' '));
    await pilot.restart(false);
    reconnect();
    const afterSnap = await snapshot();
    assert.deepEqual([...afterSnap.keys()].sort(), [...beforeSnap.keys()].sort());
    for (const [k, v] of beforeSnap) assert.deepEqual(afterSnap.get(k), v, k);
    const secret = await pilot.json(['-n', 'persist', 'get', 'secret', 's1']);
    assert.equal(Buffer.from(secret.data.password, 'base64').toString(), 'hunter2');
  });

  test('after kill -9 every acknowledged write is back', async () => {
    // 30 writes acknowledged right before the kill.
    const rvs = new Map<string, string>();
    await Promise.all(Array.from({ length: 30 }, async (_, i) => {
      const r = await request(creds, 'POST', '/api/v1/namespaces/persist/configmaps', { body: JSON.parse(cmYaml(`k${i}`, { i: String(i) })) });
      assert.equal(r.status, 201, r.text);
      rvs.set(`k${i}`, r.json.metadata.resourceVersion as string);
    }));
    const beforeSnap = await snapshot();
    await pilot.restart(true);
    reconnect();
    const afterSnap = await snapshot();
    assert.deepEqual([...afterSnap.keys()].sort(), [...beforeSnap.keys()].sort());
    for (const [k, v] of beforeSnap) assert.deepEqual(afterSnap.get(k), v, k);
    for (const [name, rv] of rvs) assert.equal(afterSnap.get(`configmaps/persist/${name}`)?.rv, rv, name);

    // The revision counter continues past everything that was written.
    const maxRv = Math.max(...[...afterSnap.values()].map((v) => Number(v.rv)));
    const r = await request(creds, 'POST', '/api/v1/namespaces/persist/configmaps', { body: JSON.parse(cmYaml('after-kill')) });
    assert.equal(r.status, 201, r.text);
    assert.ok(Number(r.json.metadata.resourceVersion) > maxRv, `${r.json.metadata.resourceVersion} > ${maxRv}`);
  });

  test('a watch from a resourceVersion noted before the restart resumes with the changes after it', async () => {
    const list = await request(creds, 'GET', '/api/v1/namespaces/persist/configmaps');
    const n = list.json.metadata.resourceVersion as string;
    await pilot.k(['-n', 'persist', 'create', '-f', '-'], { input: cmYaml('later1') });
    await pilot.k(['-n', 'persist', 'label', 'cm', 'cm1', 'later=yes']);
    await pilot.k(['-n', 'persist', 'delete', 'cm', 'k0']);
    await pilot.restart(true);
    reconnect();
    await pilot.k(['-n', 'persist', 'create', '-f', '-'], { input: cmYaml('later2') });

    const w = await watch(creds, `/api/v1/namespaces/persist/configmaps?watch=true&resourceVersion=${n}`);
    try {
      const evs = await w.waitFor((e) => e.length >= 4);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(evs.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED later1', 'MODIFIED cm1', 'DELETED k0', 'ADDED later2']);
      assert.equal(evs[1].object.metadata.labels.later, 'yes');
    } finally {
      w.close();
    }

    // The same through kubectl's transport (kubectl get has no --resource-version flag).
    const r = await pilot.kubectl(['get', '--raw', `/api/v1/namespaces/persist/configmaps?watch=true&resourceVersion=${n}&timeoutSeconds=1`]);
    assert.equal(r.code, 0, r.stderr);
    const types = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } }).map((e) => `${e.type} ${e.object.metadata.name}`);
    assert.deepEqual(types, ['ADDED later1', 'MODIFIED cm1', 'DELETED k0', 'ADDED later2']);
  });

  test('Service cluster IPs survive restart, and a new Service never takes one in use', async () => {
    const ipsOf = async (): Promise<Map<string, string>> => {
      const list = await pilot.json<{ items: { metadata: { name: string; namespace: string }; spec: { clusterIP: string } }[] }>(['get', 'svc', '-A']);
      return new Map(list.items.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s.spec.clusterIP]));
    };
    const np = await request(creds, 'POST', '/api/v1/namespaces/persist/services', {
      body: { metadata: { name: 'np1' }, spec: { type: 'NodePort', selector: { app: 'np' }, ports: [{ port: 80 }] } },
    });
    assert.equal(np.status, 201, np.text);
    const nodePort = np.json.spec.ports[0].nodePort as number;
    assert.ok(nodePort >= 30000 && nodePort <= 32767, String(nodePort));
    const before = await ipsOf();
    assert.equal(before.get('default/kubernetes'), '10.43.0.1');
    assert.match(before.get('persist/svc1') ?? '', /^10\.43\.\d+\.\d+$/);
    assert.notEqual(before.get('persist/svc1'), before.get('persist/svc2'));
    await pilot.restart(false);
    reconnect();
    assert.deepEqual(await ipsOf(), before);

    // New Services after the restart: none may reuse an allocated address.
    const made: string[] = [];
    for (let i = 0; i < 20; i++) {
      const r = await request(creds, 'POST', '/api/v1/namespaces/persist/services', {
        body: { metadata: { name: `new${i}` }, spec: { ports: [{ port: 80 }] } },
      });
      assert.equal(r.status, 201, r.text);
      made.push(r.json.spec.clusterIP as string);
    }
    const all = [...before.values(), ...made];
    assert.equal(new Set(all).size, all.length, `duplicate cluster IPs: ${all.join(' ')}`);
    // The node port is still held.
    const np2 = await request(creds, 'GET', '/api/v1/namespaces/persist/services/np1');
    assert.equal(np2.json.spec.ports[0].nodePort, nodePort);
    const npDup = await request(creds, 'POST', '/api/v1/namespaces/persist/services', {
      body: { metadata: { name: 'np-dup' }, spec: { type: 'NodePort', ports: [{ port: 80, nodePort }] } },
    });
    assert.equal(npDup.status, 422, npDup.text);
    assert.match(npDup.json.message, /provided port is already allocated/);

    // Asking for an address in use is refused; a freed one can be taken again.
    const taken = before.get('persist/svc1')!;
    const dup = await request(creds, 'POST', '/api/v1/namespaces/persist/services', { body: { metadata: { name: 'dup' }, spec: { clusterIP: taken, ports: [{ port: 80 }] } } });
    assert.equal(dup.status, 422, dup.text);
    assert.match(dup.json.message, /provided IP is already allocated/);
    await pilot.k(['-n', 'persist', 'delete', 'svc', 'svc1']);
    await pilot.restart(true);
    reconnect();
    const again = await request(creds, 'POST', '/api/v1/namespaces/persist/services', { body: { metadata: { name: 'again' }, spec: { clusterIP: taken, ports: [{ port: 80 }] } } });
    assert.equal(again.status, 201, again.text);
    const dup2 = await request(creds, 'POST', '/api/v1/namespaces/persist/services', { body: { metadata: { name: 'dup2' }, spec: { clusterIP: before.get('persist/svc2'), ports: [{ port: 80 }] } } });
    assert.equal(dup2.status, 422, dup2.text);
  });
});
