import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openMemoryStore } from '../storage/drivers/memory.ts';
import type { Store } from '../storage/store.ts';
import { ensurePki } from './pki.ts';
import {
  BOOTSTRAP_KEY, BootstrapError, openSecrets, readTokenFile, refuseUnsharedStart, sealSecrets, storeSharedSecrets,
} from './cluster-bootstrap.ts';

function tmpDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-cb-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function memStore(t: { after(fn: () => Promise<void>): void }): Promise<Store> {
  const s = await openMemoryStore();
  t.after(() => s.close());
  return s;
}

const secrets = { caCertPem: 'CERT', caKeyPem: 'KEY', saPrivateKeyPem: 'SA' };

test('sealed secrets open with the same token, and only with it', async () => {
  const sealed = await sealSecrets(secrets, 'correct horse');
  const text = Buffer.from(sealed).toString('utf8');
  assert.doesNotMatch(text, /CERT|KEY|SA"/, 'nothing in clear');
  const blob = JSON.parse(text) as { format: string; kdf: { name: string; salt: string }; cipher: string; nonce: string };
  assert.equal(blob.format, 'pilot-bootstrap/v1');
  assert.equal(blob.kdf.name, 'scrypt');
  assert.equal(Buffer.from(blob.kdf.salt, 'base64').length, 16);
  assert.equal(Buffer.from(blob.nonce, 'base64').length, 12);
  assert.deepEqual(await openSecrets(sealed, 'correct horse'), secrets);
  await assert.rejects(openSecrets(sealed, 'wrong horse'), (e: unknown) => e instanceof BootstrapError && /token does not match/.test(e.message));
  // A fresh salt and nonce each time.
  assert.notDeepEqual(Buffer.from(await sealSecrets(secrets, 'correct horse')), Buffer.from(sealed));
  // Tampering is detected as well.
  const tampered = JSON.parse(text) as { ciphertext: string };
  const ct = Buffer.from(tampered.ciphertext, 'base64');
  ct[0]! ^= 1;
  tampered.ciphertext = ct.toString('base64');
  await assert.rejects(openSecrets(Buffer.from(JSON.stringify(tampered)), 'correct horse'), BootstrapError);
  await assert.rejects(openSecrets(Buffer.from('not json'), 'correct horse'), /not Pilot bootstrap data/);
  await assert.rejects(sealSecrets(secrets, ''), /must not be empty/);
});

test('two servers starting at once on one store end up with one CA and one SA key', async (t) => {
  const store = await memStore(t);
  const [a, b] = await Promise.all([
    ensurePki(tmpDir(t), { hosts: ['a.example'], ips: [], shared: storeSharedSecrets(store, 'tok') }),
    ensurePki(tmpDir(t), { hosts: ['b.example'], ips: [], shared: storeSharedSecrets(store, 'tok') }),
  ]);
  assert.equal(a.caCertPem, b.caCertPem);
  assert.equal(a.caKeyPem, b.caKeyPem);
  assert.equal(a.saPrivateKeyPem, b.saPrivateKeyPem);
  assert.notEqual(a.servingKeyPem, b.servingKeyPem, 'each server has its own serving key');
  const ca = new crypto.X509Certificate(a.caCertPem);
  for (const p of [a, b]) {
    for (const pem of [p.servingCertPem, p.adminCertPem]) assert.ok(new crypto.X509Certificate(pem).verify(ca.publicKey));
    // Local copies of the shared material.
    assert.equal(fs.readFileSync(path.join(p.dir, 'ca.crt'), 'utf8'), a.caCertPem);
    assert.equal(fs.readFileSync(path.join(p.dir, 'sa.key'), 'utf8'), a.saPrivateKeyPem);
    assert.equal(fs.statSync(path.join(p.dir, 'ca.key')).mode & 0o777, 0o600);
  }
  assert.ok(new crypto.X509Certificate(a.servingCertPem).subjectAltName?.includes('a.example'));
  assert.ok(new crypto.X509Certificate(b.servingCertPem).subjectAltName?.includes('b.example'));
  assert.ok(await store.get(BOOTSTRAP_KEY));
  assert.equal((await store.list('/registry/')).items.length, 0, 'nothing under /registry/');
});

test('a single server turned into the first of several keeps its CA; later servers take it', async (t) => {
  const store = await memStore(t);
  const dirA = tmpDir(t);
  const before = await ensurePki(dirA, { hosts: [], ips: [] });
  const a = await ensurePki(dirA, { hosts: [], ips: [], shared: storeSharedSecrets(store, 'tok') });
  assert.equal(a.caCertPem, before.caCertPem);
  assert.equal(a.adminCertPem, before.adminCertPem, 'kubeconfigs handed out keep working');
  assert.equal(a.saPrivateKeyPem, before.saPrivateKeyPem);

  // A server whose data dir already had a CA of its own: the shared one replaces it,
  // and its certificates are re-issued from it.
  const dirB = tmpDir(t);
  const own = await ensurePki(dirB, { hosts: [], ips: [] });
  const b = await ensurePki(dirB, { hosts: [], ips: [], shared: storeSharedSecrets(store, 'tok') });
  assert.equal(b.caCertPem, a.caCertPem);
  assert.notEqual(b.adminCertPem, own.adminCertPem);
  assert.ok(new crypto.X509Certificate(b.adminCertPem).verify(new crypto.X509Certificate(a.caCertPem).publicKey));
  // Its restart changes nothing.
  const b2 = await ensurePki(dirB, { hosts: [], ips: [], shared: storeSharedSecrets(store, 'tok') });
  assert.equal(b2.servingCertPem, b.servingCertPem);
});

test('a wrong token stops the start and leaves the data dir alone; no token on a shared store is refused', async (t) => {
  const store = await memStore(t);
  await ensurePki(tmpDir(t), { hosts: [], ips: [], shared: storeSharedSecrets(store, 'right') });
  const dir = tmpDir(t);
  await assert.rejects(ensurePki(dir, { hosts: [], ips: [], shared: storeSharedSecrets(store, 'wrong') }),
    (e: unknown) => e instanceof BootstrapError && /token does not match/.test(e.message));
  assert.deepEqual(fs.readdirSync(path.join(dir, 'tls')), [], 'no CA of its own');
  await assert.rejects(refuseUnsharedStart(store), /start this server with the cluster's --token/);
  await refuseUnsharedStart(await memStore(t));
});

test('readTokenFile takes the first line, trimmed', (t) => {
  const dir = tmpDir(t);
  fs.writeFileSync(path.join(dir, 'token'), '  s3cret \nignored\n');
  assert.equal(readTokenFile(path.join(dir, 'token')), 's3cret');
  fs.writeFileSync(path.join(dir, 'empty'), '\n');
  assert.throws(() => readTokenFile(path.join(dir, 'empty')), /is empty/);
  assert.throws(() => readTokenFile(path.join(dir, 'missing')), /cannot read --token-file/);
});
