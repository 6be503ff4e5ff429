// `pilot server --datastore etcd://…`: the same API on etcd, and a restart of
// the server keeps every object, since etcd holds them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';

let etcd: EtcdServer;
let pilot: Pilot;

before(async () => {
  etcd = await EtcdServer.start();
  pilot = await new Pilot({ datastore: etcd.url }).start();
});
after(async () => {
  await pilot?.dispose();
  await etcd?.dispose();
});

test('kubectl works against a server on etcd, and objects outlive the server', async () => {
  await pilot.k(['create', 'namespace', 'on-etcd']);
  await pilot.k(['create', 'configmap', 'c1', '-n', 'on-etcd', '--from-literal=k=v']);
  const before = await pilot.json(['get', 'cm', 'c1', '-n', 'on-etcd']);
  assert.equal(before.data.k, 'v');

  const w = await pilot.kubectl(['get', 'cm', '-n', 'on-etcd', '-o', 'name']);
  // kube-root-ca.crt comes from the root CA publisher, whenever it gets there.
  assert.deepEqual(w.stdout.trim().split('\n').filter((l) => l !== 'configmap/kube-root-ca.crt'), ['configmap/c1']);

  await pilot.restart(true);
  const afterRestart = await pilot.json(['get', 'cm', 'c1', '-n', 'on-etcd']);
  assert.equal(afterRestart.metadata.uid, before.metadata.uid);
  assert.equal(afterRestart.metadata.resourceVersion, before.metadata.resourceVersion);

  await pilot.k(['patch', 'cm', 'c1', '-n', 'on-etcd', '--type=merge', '-p', '{"data":{"k":"w"}}']);
  const patched = await pilot.json(['get', 'cm', 'c1', '-n', 'on-etcd']);
  assert.equal(patched.data.k, 'w');
  assert.ok(Number(patched.metadata.resourceVersion) > Number(before.metadata.resourceVersion));
});

test('/readyz fails within seconds while etcd does not answer, /livez stays ok, and both recover', async () => {
  const probe = async (path: string): Promise<{ code: number; ms: number }> => {
    const t0 = Date.now();
    const r = await pilot.kubectl(['get', '--raw', path]);
    return { code: r.code, ms: Date.now() - t0 };
  };
  assert.equal((await probe('/readyz')).code, 0);
  // SIGSTOP: the TCP connection stays up but nothing answers, as when a link is cut.
  process.kill(etcd.pid!, 'SIGSTOP');
  try {
    const ready = await probe('/readyz');
    assert.notEqual(ready.code, 0, '/readyz must fail while the datastore is unreachable');
    console.log(`/readyz failed after ${ready.ms} ms with etcd stopped`);
    assert.equal((await probe('/livez')).code, 0);
  } finally {
    process.kill(etcd.pid!, 'SIGCONT');
  }
  const deadline = Date.now() + 30_000;
  while ((await probe('/readyz')).code !== 0) {
    assert.ok(Date.now() < deadline, '/readyz did not recover after etcd came back');
    await new Promise((r) => setTimeout(r, 250));
  }
});
