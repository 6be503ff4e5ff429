// ResourceQuota in a real `pilot server` through the real kubectl: the
// controller fills status.hard/used (`kubectl get/describe quota`), creates
// are charged at admission and refused past the limit with upstream's exact
// messages, pods must state the requests/limits a compute quota constrains,
// deletions give usage back, and concurrent creates never overshoot.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, ResourceQuota } from 'kubernetes-types/core/v1.js';
import { Pilot } from './helpers/pilot.ts';
import { loadKubeconfig, RestClient } from '../src/client/index.ts';

let pilot: Pilot;
let client: RestClient;
const NS = 'quota-test';

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
  pilot = await new Pilot().start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  await pilot.k(['create', 'namespace', NS]);
});

after(async () => {
  client?.close();
  await pilot?.dispose();
});

const quota = (name: string): Promise<ResourceQuota> => pilot.json<ResourceQuota>(['get', 'quota', name, '-n', NS]);

function pod(name: string, resources?: { cpu: string; memory: string; limCpu: string; limMemory: string }): string {
  const res = resources
    ? `    resources:
      requests: { cpu: ${resources.cpu}, memory: ${resources.memory} }
      limits: { cpu: ${resources.limCpu}, memory: ${resources.limMemory} }
`
    : '';
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, namespace: ${NS} }
spec:
  containers:
  - name: c
    image: registry.local/app:1
${res}`;
}

const SMALL = { cpu: '200m', memory: '256Mi', limCpu: '500m', limMemory: '512Mi' };

test('quota status, admission charges and refusals, replenishment on delete', async () => {
  await pilot.k(['create', 'quota', 'counts', '-n', NS, '--hard=pods=2,services=2,services.nodeports=1,count/deployments.apps=1']);
  await pilot.k(['create', 'quota', 'compute', '-n', NS, '--hard=requests.cpu=1,requests.memory=1Gi,limits.cpu=2,limits.memory=2Gi']);
  const counts = await until('status of quota counts', async () => { const q = await quota('counts'); return q.status?.used && q; });
  assert.deepEqual(counts.status?.hard, { pods: '2', services: '2', 'services.nodeports': '1', 'count/deployments.apps': '1' });
  assert.deepEqual(counts.status?.used, { pods: '0', services: '0', 'services.nodeports': '0', 'count/deployments.apps': '0' });
  const compute = await until('status of quota compute', async () => { const q = await quota('compute'); return q.status?.used && q; });
  assert.deepEqual(compute.status?.used, { 'requests.cpu': '0', 'requests.memory': '0', 'limits.cpu': '0', 'limits.memory': '0' });

  // A pod without requests/limits is refused by the compute quota, naming what is missing.
  const bare = await pilot.kubectl(['create', '-f', '-'], { input: pod('bare') });
  assert.notEqual(bare.code, 0);
  assert.equal(bare.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "bare" is forbidden: '
    + 'failed quota: compute: must specify limits.cpu for: c; limits.memory for: c; requests.cpu for: c; requests.memory for: c');

  // Two pods fit; admission charges them at once (no controller round trip).
  await pilot.k(['create', '-f', '-'], { input: pod('p1', SMALL) });
  await pilot.k(['create', '-f', '-'], { input: pod('p2', SMALL) });
  assert.equal((await quota('counts')).status?.used?.pods, '2');
  assert.deepEqual((await quota('compute')).status?.used, { 'requests.cpu': '400m', 'requests.memory': '512Mi', 'limits.cpu': '1', 'limits.memory': '1Gi' });

  // The third is refused with upstream's message.
  const third = await pilot.kubectl(['create', '-f', '-'], { input: pod('p3', SMALL) });
  assert.notEqual(third.code, 0);
  assert.equal(third.stderr.trim(), 'Error from server (Forbidden): error when creating "STDIN": pods "p3" is forbidden: '
    + 'exceeded quota: counts, requested: pods=1, used: pods=2, limited: pods=2');
  assert.equal((await pilot.kubectl(['get', 'pod', 'p3', '-n', NS])).code, 1, 'the refused pod does not exist');

  // A NodePort Service with two ports needs two node ports.
  const np = await pilot.kubectl(['create', 'service', 'nodeport', 'np', '-n', NS, '--tcp=80:80', '--tcp=81:81']);
  assert.notEqual(np.code, 0);
  assert.match(np.stderr, /services "np" is forbidden: exceeded quota: counts, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1$/m);
  await pilot.k(['create', 'service', 'clusterip', 'ok', '-n', NS, '--tcp=80:80']);

  // Object counts of any resource.
  await pilot.k(['create', 'deployment', 'd1', '-n', NS, '--image=registry.local/app:1', '--replicas=0']);
  const d2 = await pilot.kubectl(['create', 'deployment', 'd2', '-n', NS, '--image=registry.local/app:1', '--replicas=0']);
  assert.match(d2.stderr, /deployments.apps "d2" is forbidden: exceeded quota: counts, requested: count\/deployments.apps=1, used: count\/deployments.apps=1, limited: count\/deployments.apps=1$/m);

  // kubectl get / describe show usage against the limits.
  const table = await pilot.k(['get', 'quota', '-n', NS]);
  assert.match(table, /^compute\s+requests\.cpu: 400m\/1, requests\.memory: 512Mi\/1Gi\s+limits\.cpu: 1\/2, limits\.memory: 1Gi\/2Gi\s+\d+s$/m, table);
  assert.match(table, /^counts\s+count\/deployments\.apps: 1\/1, pods: 2\/2, services: 1\/2, services\.nodeports: 0\/1\s+\d+s$/m, table);
  const described = await pilot.k(['describe', 'quota', 'counts', '-n', NS]);
  assert.match(described, /^pods\s+2\s+2$/m, described);
  assert.match(described, /^services\s+1\s+2$/m, described);

  // Deleting a pod gives its share back (the controller recounts on deletion).
  await pilot.k(['delete', 'pod', 'p1', '-n', NS, '--wait=false']);
  await until('usage after deleting p1', async () => {
    const [c, k] = await Promise.all([quota('counts'), quota('compute')]);
    return c.status?.used?.pods === '1' && k.status?.used?.['requests.cpu'] === '200m' && k.status?.used?.['limits.memory'] === '512Mi';
  });
  await pilot.k(['create', '-f', '-'], { input: pod('p3', SMALL) });
});

test('concurrent creates never take usage past the limit', async () => {
  await pilot.k(['create', 'quota', 'cms', '-n', NS, '--hard=configmaps=6']);
  await until('status of quota cms', async () => (await quota('cms')).status?.used?.configmaps !== undefined);
  const cms = client.resource<ConfigMap>('v1', 'ConfigMap').namespace(NS);
  // The root CA publisher's ConfigMap counts too: wait for it, so that only this test creates ConfigMaps below.
  await until('kube-root-ca.crt', async () => (await cms.list()).items.some((c) => c.metadata?.name === 'kube-root-ca.crt'));
  await until('quota cms counts it', async () => (await quota('cms')).status?.used?.configmaps === '1');
  const before = (await cms.list()).items.length;
  assert.equal(before, 1);
  const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => cms.create({ metadata: { name: `cm-${i}` }, data: { i: String(i) } })));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  for (const r of refused) assert.match(String((r.reason as Error).message), /exceeded quota: cms, requested: configmaps=1, used: configmaps=\d, limited: configmaps=6/);
  const after = (await cms.list()).items.length;
  // Exactly up to the limit: none past it, and none refused while there was room.
  assert.equal(ok, 5);
  assert.equal(after, 6);
  const used = await until('usage settles at the count', async () => { const q = await quota('cms'); return q.status?.used?.configmaps === String(after) && q; });
  assert.equal(used.status?.used?.configmaps, String(after));
});

test('a scoped quota (BestEffort) counts and limits only the pods in its scope', async () => {
  await pilot.k(['create', 'namespace', 'scoped']);
  await pilot.k(['create', 'quota', 'be', '-n', 'scoped', '--hard=pods=1', '--scopes=BestEffort']);
  await until('status of quota be', async () => (await pilot.json<ResourceQuota>(['get', 'quota', 'be', '-n', 'scoped'])).status?.used?.pods === '0');
  const mk = (name: string, res = ''): string => pod(name).replace(`namespace: ${NS}`, 'namespace: scoped') + res;
  await pilot.k(['create', '-f', '-'], { input: mk('be-1') });
  const second = await pilot.kubectl(['create', '-f', '-'], { input: mk('be-2') });
  assert.match(second.stderr, /pods "be-2" is forbidden: exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1$/m);
  // Not BestEffort: out of the quota's scope.
  await pilot.k(['create', '-f', '-'], { input: mk('burstable', '    resources: { requests: { cpu: 100m } }\n') });
  const q = await pilot.json<ResourceQuota>(['get', 'quota', 'be', '-n', 'scoped']);
  assert.deepEqual(q.status?.used, { pods: '1' });
  assert.match(await pilot.k(['describe', 'quota', 'be', '-n', 'scoped']), /Scopes:\s+BestEffort/);
});
