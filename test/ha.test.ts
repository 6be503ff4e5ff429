// High availability: two `pilot server`s on one etcd, given the same --token, serve
// one cluster — one CA (so every kubeconfig works against every server), one state
// (a write on one is seen by reads and watches on the other), and either keeps
// serving when the other dies. A server with another token, or none, is refused.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { Pilot, spawnKubectl } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';

const TOKEN = 'ha-test-token-7f3a';
let etcd: EtcdServer;
let a: Pilot;
let b: Pilot;
let tokenDir: string;
const extra: Pilot[] = [];

/** The CA a kubeconfig trusts (PEM). */
function kubeconfigCa(p: Pilot): string {
  const cfg = parse(fs.readFileSync(p.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
  return Buffer.from(cfg.clusters[0]!.cluster['certificate-authority-data']!, 'base64').toString('utf8');
}

before(async () => {
  etcd = await EtcdServer.start();
  tokenDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-ha-'));
  fs.writeFileSync(path.join(tokenDir, 'token'), `${TOKEN}\n`, { mode: 0o600 });
  a = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN] });
  b = new Pilot({ datastore: etcd.url, extraArgs: ['--token-file', path.join(tokenDir, 'token')] });
  // At the same moment: both race to store the cluster's CA; one wins, the other loads it.
  await Promise.all([a.start(), b.start()]);
});

after(async () => {
  for (const p of [a, b, ...extra]) await p?.dispose();
  await etcd?.dispose();
  if (tokenDir) fs.rmSync(tokenDir, { recursive: true, force: true });
});

test('one CA: each server has its own serving cert, and each kubeconfig works against both servers', async () => {
  const ca = kubeconfigCa(a);
  assert.equal(kubeconfigCa(b), ca);
  assert.equal(fs.readFileSync(path.join(a.dataDir, 'tls/ca.crt'), 'utf8'), ca);
  assert.notEqual(fs.readFileSync(path.join(a.dataDir, 'tls/apiserver.key'), 'utf8'),
    fs.readFileSync(path.join(b.dataDir, 'tls/apiserver.key'), 'utf8'));
  for (const client of [a, b]) {
    for (const server of [a, b]) {
      const out = await client.k(['--server', server.url, 'get', 'namespace', 'kube-system', '-o', 'name']);
      assert.equal(out.trim(), 'namespace/kube-system', `${client === a ? 'A' : 'B'}'s kubeconfig against ${server === a ? 'A' : 'B'}`);
    }
  }
});

/** The ports the `kubernetes` Endpoints list (all servers run on this host; they differ by port). */
async function endpointPorts(p: Pilot): Promise<number[]> {
  const ep = await p.json(['get', 'endpoints', 'kubernetes', '-n', 'default']);
  return (ep.subsets ?? []).flatMap((s: { ports: { port: number }[] }) => s.ports.map((x) => x.port)).sort();
}

async function slicePorts(p: Pilot): Promise<number[]> {
  const list = await p.json(['get', 'endpointslices', '-n', 'default', '-l', 'kubernetes.io/service-name=kubernetes']);
  return list.items.filter((s: { endpoints?: unknown[] }) => (s.endpoints ?? []).length > 0)
    .flatMap((s: { ports: { port: number }[] }) => s.ports.map((x) => x.port)).sort();
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) assert.fail(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return Date.now() - start;
}

test('the kubernetes Endpoints list every live server: a stopped server leaves at once, a killed one when its lease expires', async () => {
  const both = [a.port, b.port].sort();
  await until('both servers listed', async () => JSON.stringify(await endpointPorts(a)) === JSON.stringify(both), 30_000);
  await until('both servers in the EndpointSlices', async () => JSON.stringify(await slicePorts(b)) === JSON.stringify(both), 30_000);
  const leases = await a.json(['get', 'leases', '-n', 'kube-system', '-l', 'apiserver.kubernetes.io/identity=kube-apiserver']);
  assert.ok(leases.items.length >= 2, 'one identity lease per server');

  const c = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN, '--disable-controllers'] });
  extra.push(c);
  await c.start();
  const three = [a.port, b.port, c.port].sort();
  assert.deepEqual(await endpointPorts(a), three, 'a server is listed once it has started');
  // A clean stop takes the server out itself — well before its 15 s lease could expire.
  await c.stop();
  await until('stopped server removed', async () => JSON.stringify(await endpointPorts(a)) === JSON.stringify(both), 10_000);
  // A killed server cannot: the others drop it once its lease has expired (15 s + one 10 s renew period).
  await c.start();
  await until('restarted server listed', async () => JSON.stringify(await endpointPorts(b)) === JSON.stringify(three), 10_000);
  await c.stop(true);
  const ms = await until('killed server dropped', async () => JSON.stringify(await endpointPorts(b)) === JSON.stringify(both), 45_000);
  console.log(`killed apiserver left the kubernetes Endpoints after ${ms} ms`);
  assert.deepEqual(await slicePorts(a), both);
});

test('a write through one server is seen by reads and watches on the other; either survives the other\'s kill -9', async () => {
  await a.k(['create', 'namespace', 'ha']);
  const watchB = spawnKubectl(b, ['get', 'configmaps', '-n', 'ha', '-w', '-o', 'name']);
  try {
    // Let the watch start before the write, so the write arrives as a watch event.
    await new Promise((r) => setTimeout(r, 500));
    await a.k(['create', 'configmap', 'c1', '-n', 'ha', '--from-literal=k=v1']);
    await watchB.waitFor(/configmap\/c1/);
    const onA = await a.json(['get', 'cm', 'c1', '-n', 'ha']);
    const onB = await b.json(['get', 'cm', 'c1', '-n', 'ha']);
    assert.equal(onB.metadata.uid, onA.metadata.uid);
    assert.equal(onB.metadata.resourceVersion, onA.metadata.resourceVersion);

    // A dies mid-flight; B goes on serving reads and writes, and its watch goes on.
    await a.stop(true);
    assert.equal((await b.json(['get', 'cm', 'c1', '-n', 'ha'])).data.k, 'v1');
    await b.k(['patch', 'cm', 'c1', '-n', 'ha', '--type=merge', '-p', '{"data":{"k":"v2"}}']);
    await b.k(['create', 'configmap', 'c2', '-n', 'ha', '--from-literal=k=from-b']);
    await watchB.waitFor(/configmap\/c2/);
    // A's kubeconfig works against B while A is down.
    assert.equal((await a.k(['--server', b.url, 'get', 'cm', 'c2', '-n', 'ha', '-o', 'name'])).trim(), 'configmap/c2');
  } finally {
    await watchB.stop();
  }

  // A comes back (same data dir and port), still on the cluster's CA, and catches up.
  const caBefore = kubeconfigCa(a);
  await a.start();
  assert.equal(kubeconfigCa(a), caBefore);
  const c1 = await a.json(['get', 'cm', 'c1', '-n', 'ha']);
  assert.equal(c1.data.k, 'v2');
  assert.equal((await a.json(['get', 'cm', 'c2', '-n', 'ha'])).data.k, 'from-b');

  // And the other way round: a watch on the restarted A sees a write through B.
  const watchA = spawnKubectl(a, ['get', 'configmaps', '-n', 'ha', '-w', '--watch-only', '-o', 'name']);
  try {
    await new Promise((r) => setTimeout(r, 500));
    await b.k(['create', 'configmap', 'c3', '-n', 'ha', '--from-literal=k=after-restart']);
    await watchA.waitFor(/configmap\/c3/);
  } finally {
    await watchA.stop();
  }
  const list = await b.json(['get', 'cm', '-n', 'ha']);
  // kube-root-ca.crt comes from the root CA publisher of whichever server leads.
  assert.deepEqual(list.items.map((i: { metadata: { name: string } }) => i.metadata.name).filter((n: string) => n !== 'kube-root-ca.crt').sort(), ['c1', 'c2', 'c3']);
});

test('a server with a wrong token, or none, refuses to start instead of making a CA of its own', async () => {
  const wrong = new Pilot({ datastore: etcd.url, extraArgs: ['--token', 'not-the-token'] });
  const none = new Pilot({ datastore: etcd.url });
  extra.push(wrong, none);
  await assert.rejects(wrong.start(), /pilot: the cluster token does not match/);
  await assert.rejects(none.start(), /pilot: this datastore belongs to a cluster .* --token/);
  for (const p of [wrong, none]) assert.equal(fs.existsSync(path.join(p.dataDir, 'tls/ca.crt')), false);
  // The cluster is untouched: both servers still agree on the CA and serve.
  assert.equal(kubeconfigCa(a), kubeconfigCa(b));
  await b.k(['get', 'ns', 'ha']);
});
