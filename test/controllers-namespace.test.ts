// The namespace, service account and root CA controllers of a real `pilot
// server`, driven with the real kubectl: `kubectl delete namespace` completes
// and takes everything in it; every namespace gets its `default`
// ServiceAccount and kube-root-ca.crt; --controllers / --disable-controllers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pilot } from './helpers/pilot.ts';
import { yamlDocs } from './helpers/manifests.ts';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value (not undefined) or `ms` pass. */
async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

describe('controllers in pilot server', () => {
  const pilot = new Pilot({ datastore: 'memory://' });
  before(async () => { await pilot.start(); });
  after(async () => { await pilot.dispose(); });

  const exists = async (args: string[]): Promise<true | undefined> => ((await pilot.kubectl(['get', ...args, '-o', 'name'])).code === 0 ? true : undefined);

  test('kubectl delete namespace deletes everything in it and completes within seconds', async () => {
    await pilot.k(['create', 'namespace', 'nsdel']);
    await pilot.k(['create', 'configmap', 'c1', '-n', 'nsdel', '--from-literal=a=b']);
    await pilot.k(['create', 'secret', 'generic', 's1', '-n', 'nsdel', '--from-literal=x=y']);
    await pilot.k(['create', 'deployment', 'web', '-n', 'nsdel', '--image=nginx']);
    await pilot.k(['create', 'service', 'clusterip', 'web', '-n', 'nsdel', '--tcp=80:80']);
    await pilot.k(['create', '-n', 'nsdel', '-f', '-'], { input: yamlDocs({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'busybox' }] } }) });

    const started = Date.now();
    const r = await pilot.kubectl(['delete', 'namespace', 'nsdel', '--timeout=30s'], { timeoutMs: 40_000 });
    const took = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'namespace "nsdel" deleted\n');
    assert.ok(took < 8000, `kubectl delete namespace took ${took} ms`);
    const gone = await pilot.kubectl(['get', 'namespace', 'nsdel']);
    assert.equal(gone.stderr.trim(), 'Error from server (NotFound): namespaces "nsdel" not found');

    // A namespace of the same name starts empty: nothing of the old one survived.
    await pilot.k(['create', 'namespace', 'nsdel']);
    const left = await pilot.k(['get', 'cm,secret,deploy,rs,svc,pods', '-n', 'nsdel', '-o', 'name']);
    assert.deepEqual(left.split('\n').filter((l) => l && l !== 'configmap/kube-root-ca.crt'), []);
    await pilot.k(['delete', 'namespace', 'nsdel']);
  });

  test('content held by a finalizer keeps the namespace Terminating, with upstream\'s conditions, until released', async () => {
    await pilot.k(['create', 'namespace', 'held']);
    await pilot.k(['create', '-n', 'held', '-f', '-'], { input: yamlDocs({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pinned', finalizers: ['example.com/hold'] } }) });
    assert.equal(await pilot.k(['delete', 'namespace', 'held', '--wait=false']), 'namespace "held" deleted\n');

    type Cond = { type: string; status: string; reason: string; message: string };
    const conds = await until('FinalizersRemaining', async () => {
      const ns = await pilot.json(['get', 'namespace', 'held']);
      const c = (ns.status.conditions ?? []) as Cond[];
      return c.some((x) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True') ? { ns, c } : undefined;
    });
    assert.equal(conds.ns.status.phase, 'Terminating');
    assert.deepEqual(conds.ns.spec.finalizers, ['kubernetes']);
    const by = (t: string): Cond => conds.c.find((x) => x.type === t)!;
    assert.deepEqual(by('NamespaceFinalizersRemaining'), { ...by('NamespaceFinalizersRemaining'), status: 'True', reason: 'SomeFinalizersRemain',
      message: 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances' });
    assert.equal(by('NamespaceContentRemaining').status, 'True');
    assert.equal(by('NamespaceContentRemaining').message, 'Some resources are remaining: configmaps. has 1 resource instances');
    assert.equal(by('NamespaceDeletionContentFailure').status, 'False');
    assert.equal(by('NamespaceDeletionDiscoveryFailure').reason, 'ResourcesDiscovered');
    // kubectl describe shows them as upstream's does.
    const desc = await pilot.k(['describe', 'namespace', 'held']);
    assert.match(desc, /Status:\s+Terminating/);
    assert.match(desc, /NamespaceFinalizersRemaining\s+True\s+.*\s+SomeFinalizersRemain\s+Some content/);

    await pilot.k(['patch', 'configmap', 'pinned', '-n', 'held', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
    const w = await pilot.kubectl(['wait', '--for=delete', 'namespace/held', '--timeout=30s'], { timeoutMs: 40_000 });
    assert.equal(w.code, 0, w.stderr);
  });

  test('a new namespace gets the `default` ServiceAccount at once, and it comes back when deleted', async () => {
    await pilot.k(['create', 'namespace', 'sa-x']);
    const started = Date.now();
    await until('sa default', () => exists(['serviceaccount', 'default', '-n', 'sa-x']), 5000);
    assert.ok(Date.now() - started < 3000);
    assert.equal(await pilot.k(['get', 'sa', 'default', '-n', 'sa-x', '-o', 'name']), 'serviceaccount/default\n');
    const uid = await pilot.k(['get', 'sa', 'default', '-n', 'sa-x', '-o', 'jsonpath={.metadata.uid}']);
    await pilot.k(['delete', 'sa', 'default', '-n', 'sa-x']);
    await until('sa default again', async () => {
      const r = await pilot.kubectl(['get', 'sa', 'default', '-n', 'sa-x', '-o', 'jsonpath={.metadata.uid}']);
      return r.code === 0 && r.stdout !== uid ? true : undefined;
    }, 5000);
    // The system namespaces have theirs too.
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      assert.equal(await pilot.k(['get', 'sa', 'default', '-n', ns, '-o', 'name']), 'serviceaccount/default\n');
    }
  });

  test('kube-root-ca.crt holds the cluster CA in every namespace, and is put back when deleted or changed', async () => {
    const ca = fs.readFileSync(path.join(pilot.dataDir, 'tls/ca.crt'), 'utf8');
    await pilot.k(['create', 'namespace', 'ca-x']);
    const caOf = async (ns: string): Promise<string | undefined> => {
      const r = await pilot.kubectl(['get', 'cm', 'kube-root-ca.crt', '-n', ns, '-o', 'jsonpath={.data.ca\\.crt}']);
      return r.code === 0 ? r.stdout : undefined;
    };
    assert.equal(await until('kube-root-ca.crt', () => caOf('ca-x'), 5000), ca);
    assert.equal(await caOf('kube-system'), ca);
    const cm = await pilot.json(['get', 'cm', 'kube-root-ca.crt', '-n', 'ca-x']);
    assert.match(cm.metadata.annotations['kubernetes.io/description'], /^Contains a CA bundle that can be used to verify the kube-apiserver/);

    await pilot.k(['delete', 'cm', 'kube-root-ca.crt', '-n', 'ca-x']);
    assert.equal(await until('recreated', () => caOf('ca-x'), 5000), ca);
    await pilot.k(['patch', 'cm', 'kube-root-ca.crt', '-n', 'ca-x', '--type=merge', '-p', '{"data":{"ca.crt":"tampered"}}']);
    await until('corrected', async () => ((await caOf('ca-x')) === ca ? true : undefined), 5000);
  });

  test('the Lease kube-system/kube-controller-manager names this server as leader', async () => {
    const id = fs.readFileSync(path.join(pilot.dataDir, 'server-id'), 'utf8').trim();
    const holder = await pilot.k(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system', '-o', 'jsonpath={.spec.holderIdentity}']);
    assert.match(holder, new RegExp(`_${id}$`));
  });
});

describe('choosing controllers', () => {
  const partial = new Pilot({ datastore: 'memory://', extraArgs: ['--controllers=*,-namespace'] });
  const none = new Pilot({ datastore: 'memory://', extraArgs: ['--disable-controllers'] });
  before(async () => { await Promise.all([partial.start(), none.start()]); });
  after(async () => { await Promise.all([partial.dispose(), none.dispose()]); });

  test('--controllers=*,-namespace: accounts appear, but a deleted namespace stays Terminating', async () => {
    await partial.k(['create', 'namespace', 'p1']);
    await until('sa', async () => ((await partial.kubectl(['get', 'sa', 'default', '-n', 'p1'])).code === 0 ? true : undefined), 5000);
    await partial.k(['delete', 'namespace', 'p1', '--wait=false']);
    await sleep(1500);
    assert.equal(await partial.k(['get', 'namespace', 'p1', '-o', 'jsonpath={.status.phase}']), 'Terminating');
  });

  test('--disable-controllers: no accounts, no CA ConfigMap, no Lease', async () => {
    await none.k(['create', 'namespace', 'n1']);
    await sleep(1500);
    assert.equal(await none.k(['get', 'sa,cm', '-n', 'n1', '-o', 'name']), '');
    const lease = await none.kubectl(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system']);
    assert.notEqual(lease.code, 0);
  });

  test('an unknown controller name is refused at start', async () => {
    const bad = new Pilot({ datastore: 'memory://', extraArgs: ['--controllers=*,-nope'] });
    try {
      await assert.rejects(bad.start(), /"nope" is not in the list of known controllers/);
    } finally {
      await bad.dispose();
    }
  });
});
