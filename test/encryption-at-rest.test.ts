// Encryption at rest through a real `pilot server` and the real kubectl: a
// Secret's value never reaches the raw datastore (the SQLite file and its WAL,
// or etcd's stored value) while kubectl reads it back; keys rotate the way
// upstream documents it (new first key, restart, replace every Secret, drop
// the old key, restart).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pilot, run, spawnKubectl } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';
import { openStore } from '../src/storage/open.ts';

interface Key { name: string; secret: string }
const newKey = (name: string): Key => ({ name, secret: crypto.randomBytes(32).toString('base64') });

function writeConfig(dir: string, file: string, keys: Key[], provider = 'aesgcm'): string {
  const p = path.join(dir, file);
  fs.writeFileSync(p, [
    'apiVersion: apiserver.config.k8s.io/v1',
    'kind: EncryptionConfiguration',
    'resources:',
    '  - resources: [secrets]',
    '    providers:',
    `      - ${provider}:`,
    '          keys:',
    ...keys.flatMap((k) => [`            - name: ${k.name}`, `              secret: ${k.secret}`]),
    '      - identity: {}',
    '',
  ].join('\n'));
  return p;
}

/** Every byte the SQLite datastore holds on disk: the database and its write-ahead log. */
function rawSqlite(dataDir: string): Buffer {
  const files = ['state.db', 'state.db-wal'].map((f) => path.join(dataDir, f)).filter((f) => fs.existsSync(f));
  assert.ok(files.some((f) => f.endsWith('-wal')), 'the WAL file exists (the test must look at it too)');
  return Buffer.concat(files.map((f) => fs.readFileSync(f)));
}

function secretValue(p: Pilot, name: string): Promise<string> {
  return p.k(['get', 'secret', name, '-o', 'jsonpath={.data.password}']).then((b) => Buffer.from(b, 'base64').toString());
}

async function rawValue(dataDir: string, key: string): Promise<Buffer> {
  const store = await openStore(`sqlite://${path.join(dataDir, 'state.db')}`);
  try {
    const kv = await store.get(key);
    assert.ok(kv, `${key} exists`);
    return Buffer.from(kv.value);
  } finally {
    await store.close();
  }
}

describe('encryption at rest (sqlite)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-encrypt-'));
  const dataDir = path.join(tmp, 'data');
  const servers: Pilot[] = [];
  const start = async (extraArgs: string[]): Promise<Pilot> => {
    const p = new Pilot({ dataDir, extraArgs: ['--disable-controllers', '--disable-scheduler', ...extraArgs] });
    servers.push(p);
    return p.start();
  };
  after(async () => {
    for (const s of servers) await s.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('keeps secrets out of the raw database, reads them back, and rotates keys', async () => {
    const plainBefore = `before-encryption-${crypto.randomBytes(8).toString('hex')}`;
    const secret = `s3cr3t-${crypto.randomBytes(12).toString('hex')}`;
    const orphan = `orphan-${crypto.randomBytes(12).toString('hex')}`;
    const key1 = newKey('key1');
    const key2 = newKey('key2');

    // A Secret from before encryption was turned on: identity still reads it.
    let p = await start([]);
    await p.k(['create', 'secret', 'generic', 's0', `--from-literal=password=${plainBefore}`]);
    await p.stop();

    p = await start(['--encryption-provider-config', writeConfig(tmp, 'enc1.yaml', [key1])]);
    assert.equal(await secretValue(p, 's0'), plainBefore);
    await p.k(['create', 'secret', 'generic', 's1', `--from-literal=password=${secret}`]);
    await p.k(['create', 'secret', 'generic', 's2', `--from-literal=password=${orphan}`]);
    assert.equal(await secretValue(p, 's1'), secret);
    const raw = rawSqlite(dataDir);
    for (const v of [secret, orphan]) {
      assert.ok(!raw.includes(v), 'the plaintext is not in the database files');
      assert.ok(!raw.includes(Buffer.from(v).toString('base64')), 'nor its base64');
    }
    assert.ok(raw.includes('k8s:enc:aesgcm:v1:key1:'), 'values carry upstream\'s envelope prefix');
    // Other resources are not encrypted: a ConfigMap's value stays readable on disk.
    await p.k(['create', 'configmap', 'c1', '--from-literal=k=plain-config-value']);
    assert.ok(rawSqlite(dataDir).includes('plain-config-value'));
    await p.stop();
    assert.ok((await rawValue(dataDir, '/registry/secrets/default/s1')).toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:'));
    assert.ok(!(await rawValue(dataDir, '/registry/secrets/default/s0')).toString('latin1').startsWith('k8s:enc:'), 's0 is still plain');

    // Rotation, step 1: the new key first, the old one still there to read.
    p = await start(['--encryption-provider-config', writeConfig(tmp, 'enc2.yaml', [key2, key1])]);
    assert.equal(await secretValue(p, 's1'), secret);
    // Step 2: rewrite (all but s2, which stays under the old key to show what happens to it).
    const list = await p.k(['get', 'secrets', 's0', 's1', '-o', 'json']);
    await p.k(['replace', '-f', '-'], { input: list });
    await p.stop();
    for (const name of ['s0', 's1']) {
      const v = (await rawValue(dataDir, `/registry/secrets/default/${name}`)).toString('latin1');
      assert.ok(v.startsWith('k8s:enc:aesgcm:v1:key2:'), `${name} rewritten with key2: ${v.slice(0, 30)}`);
    }
    assert.ok((await rawValue(dataDir, '/registry/secrets/default/s2')).toString('latin1').startsWith('k8s:enc:aesgcm:v1:key1:'));

    // Step 3: the old key removed; the rewritten secrets still read.
    p = await start(['--encryption-provider-config', writeConfig(tmp, 'enc3.yaml', [key2])]);
    assert.equal(await secretValue(p, 's1'), secret);
    assert.equal(await secretValue(p, 's0'), plainBefore);
    // The one left under the removed key is an internal error for that object, not a crash.
    const r = await p.kubectl(['get', 'secret', 's2', '-o', 'json']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /InternalError|Internal error occurred/);
    assert.match(r.stderr, /unable to transform key "\/registry\/secrets\/default\/s2".*k8s:enc:aesgcm:v1:key1:/);
    assert.equal(await secretValue(p, 's1'), secret, 'the server still serves');
    const raw2 = rawSqlite(dataDir);
    for (const v of [secret, orphan]) assert.ok(!raw2.includes(v) && !raw2.includes(Buffer.from(v).toString('base64')));
  });

  it('refuses to start with an invalid configuration, saying why', async () => {
    const bad = path.join(tmp, 'bad.yaml');
    fs.writeFileSync(bad, 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n  - resources: [secrets]\n    providers:\n      - aesgcm:\n          keys:\n            - name: k\n              secret: c2hvcnQ=\n');
    const p = new Pilot({ dataDir: path.join(tmp, 'bad'), extraArgs: ['--disable-controllers', '--disable-scheduler', '--encryption-provider-config', bad] });
    servers.push(p);
    await assert.rejects(p.start(), /encryption-provider-config.*16, 24 or 32 bytes/s);
  });
});

describe('encryption at rest (etcd)', () => {
  let etcd: EtcdServer;
  let p: Pilot;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-encrypt-etcd-'));
  before(async () => {
    etcd = await EtcdServer.start();
    p = await new Pilot({ datastore: etcd.url, extraArgs: ['--disable-controllers', '--disable-scheduler', '--encryption-provider-config', writeConfig(tmp, 'enc.yaml', [newKey('etcdkey')], 'secretbox')] }).start();
  });
  after(async () => {
    await p?.dispose();
    await etcd?.dispose();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('stores only the envelope in etcd', async () => {
    const secret = `etcd-s3cr3t-${crypto.randomBytes(12).toString('hex')}`;
    await p.k(['create', 'secret', 'generic', 'e1', `--from-literal=password=${secret}`]);
    assert.equal(await secretValue(p, 'e1'), secret);
    const r = await run('/usr/bin/etcdctl', ['--endpoints', `127.0.0.1:${etcd.clientPort}`, 'get', '/registry/secrets/default/e1', '--print-value-only'], { env: { ETCDCTL_API: '3' } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('k8s:enc:secretbox:v1:etcdkey:'), r.stdout.slice(0, 40));
    assert.ok(!r.stdout.includes(secret) && !r.stdout.includes(Buffer.from(secret).toString('base64')));
    // A patch reads (decrypts), changes and writes (encrypts) again; a watch (served
    // from the watch cache) sees the decrypted object.
    const watch = spawnKubectl(p, ['get', 'secrets', '--watch', '-o', 'json']);
    try {
      await watch.waitFor(/"name": "e1"/, 30_000); // listed: the watch follows from here
      await p.k(['patch', 'secret', 'e1', '-p', JSON.stringify({ stringData: { other: 'watched-value' } })]);
      await watch.waitFor(new RegExp(Buffer.from('watched-value').toString('base64')), 30_000);
    } finally {
      await watch.stop();
    }
    const data = (await p.json<{ data: Record<string, string> }>(['get', 'secret', 'e1'])).data;
    assert.equal(Buffer.from(data.other, 'base64').toString(), 'watched-value');
  });
});
