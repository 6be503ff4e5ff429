import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { parseEncryptionConfig } from './config.ts';
import type { ValueTransformer } from './transformer.ts';

const KEY = '/registry/secrets/default/s1';
const plain = Buffer.from('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');
const b64 = (n: number): string => crypto.randomBytes(n).toString('base64');

function config(resources: string[], providers: unknown[]): string {
  return JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] });
}

function transformer(providers: unknown[], resources = ['secrets']): ValueTransformer {
  const t = parseEncryptionConfig(config(resources, providers)).transformerFor('', 'secrets');
  assert.ok(t);
  return t;
}

for (const type of ['aesgcm', 'aescbc', 'secretbox'] as const) {
  test(`${type}: round trip with upstream's envelope prefix, random per write`, () => {
    const t = transformer([{ [type]: { keys: [{ name: 'key1', secret: b64(32) }] } }]);
    const stored = t.toStorage(plain, KEY);
    assert.ok(Buffer.from(stored).toString('latin1').startsWith(`k8s:enc:${type}:v1:key1:`));
    assert.ok(!Buffer.from(stored).includes(plain));
    assert.notDeepEqual(Buffer.from(t.toStorage(plain, KEY)), Buffer.from(stored), 'a fresh nonce/IV every write');
    const back = t.fromStorage(stored, KEY);
    assert.deepEqual(Buffer.from(back.data), plain);
    assert.equal(back.stale, false);
  });

  test(`${type}: rotation — a new first key writes, the old key still reads (stale) until removed`, () => {
    const old = { name: 'old', secret: b64(32) };
    const fresh = { name: 'new', secret: b64(32) };
    const before = transformer([{ [type]: { keys: [old] } }]);
    const storedOld = before.toStorage(plain, KEY);
    const during = transformer([{ [type]: { keys: [fresh, old] } }]);
    const r = during.fromStorage(storedOld, KEY);
    assert.deepEqual(Buffer.from(r.data), plain);
    assert.equal(r.stale, true, 'read with the second key: must be rewritten');
    const rewritten = during.toStorage(r.data, KEY);
    assert.ok(Buffer.from(rewritten).toString('latin1').startsWith(`k8s:enc:${type}:v1:new:`));
    const after = transformer([{ [type]: { keys: [fresh] } }]);
    assert.deepEqual(Buffer.from(after.fromStorage(rewritten, KEY).data), plain);
    assert.throws(() => after.fromStorage(storedOld, KEY), /no matching prefix found.*k8s:enc:\w+:v1:old:/);
  });

  test(`${type}: a wrong key or corrupt data fails with a clear error`, () => {
    const a = transformer([{ [type]: { keys: [{ name: 'k', secret: b64(32) }] } }]);
    const b = transformer([{ [type]: { keys: [{ name: 'k', secret: b64(32) }] } }]);
    const stored = a.toStorage(plain, KEY);
    assert.throws(() => b.fromStorage(stored, KEY), new RegExp(`failed to decrypt: ${type} key "k"`));
    const corrupt = Buffer.from(stored);
    corrupt[corrupt.length - 20] ^= 0xff;
    if (type !== 'aescbc') assert.throws(() => a.fromStorage(corrupt, KEY), /failed to decrypt/);
    assert.throws(() => a.fromStorage(Buffer.from(stored).subarray(0, 30), KEY), /failed to decrypt/);
  });
}

test('aesgcm binds the storage key: a value copied to another key does not decrypt', () => {
  const t = transformer([{ aesgcm: { keys: [{ name: 'k', secret: b64(16) }] } }]);
  const stored = t.toStorage(plain, KEY);
  assert.throws(() => t.fromStorage(stored, '/registry/secrets/default/other'), /failed to decrypt/);
});

test('identity: reads plain data; as the first provider it writes plain and marks encrypted data stale (decryption)', () => {
  const key = { name: 'k', secret: b64(32) };
  const enc = transformer([{ aescbc: { keys: [key] } }, { identity: {} }]);
  const r = enc.fromStorage(plain, KEY);
  assert.deepEqual(Buffer.from(r.data), plain);
  assert.equal(r.stale, true, 'plain data under an encrypting config gets rewritten');
  const stored = enc.toStorage(plain, KEY);
  const dec = transformer([{ identity: {} }, { aescbc: { keys: [key] } }]);
  assert.deepEqual(Buffer.from(dec.toStorage(plain, KEY)), plain);
  const back = dec.fromStorage(stored, KEY);
  assert.deepEqual(Buffer.from(back.data), plain);
  assert.equal(back.stale, true);
  // Without identity, plain data cannot be read (as upstream).
  const only = transformer([{ aesgcm: { keys: [key] } }]);
  assert.throws(() => only.fromStorage(plain, KEY), /identity is not a provider/);
  // Identity alone never hands out encrypted bytes as an object.
  assert.throws(() => transformer([{ identity: {} }]).fromStorage(stored, KEY), /no matching prefix found/);
});

test('resource matching: exact name, then group wildcard, then *.*; first entry wins', () => {
  const k = (name: string): unknown => ({ aesgcm: { keys: [{ name, secret: b64(32) }] } });
  const cfg = parseEncryptionConfig(JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration',
    resources: [
      { resources: ['secrets', 'deployments.apps'], providers: [k('a')] },
      { resources: ['secrets', '*.apps'], providers: [k('b')] },
      { resources: ['*.'], providers: [k('c')] },
      { resources: ['*.*'], providers: [k('d')] },
    ],
  }));
  const prefixOf = (g: string, r: string): string => Buffer.from(cfg.transformerFor(g, r)!.toStorage(plain, KEY)).toString('latin1').slice(0, 20);
  assert.equal(prefixOf('', 'secrets'), 'k8s:enc:aesgcm:v1:a:');
  assert.equal(prefixOf('apps', 'deployments'), 'k8s:enc:aesgcm:v1:a:');
  assert.equal(prefixOf('apps', 'statefulsets'), 'k8s:enc:aesgcm:v1:b:');
  assert.equal(prefixOf('', 'configmaps'), 'k8s:enc:aesgcm:v1:c:');
  assert.equal(prefixOf('batch', 'jobs'), 'k8s:enc:aesgcm:v1:d:');
  const onlySecrets = parseEncryptionConfig(config(['secrets'], [k('x')]));
  assert.equal(onlySecrets.transformerFor('', 'configmaps'), undefined);
});

test('YAML config as upstream writes it', () => {
  const secret = b64(32);
  const cfg = parseEncryptionConfig(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
      - configmaps
    providers:
      - aesgcm:
          keys:
            - name: key1
              secret: ${secret}
      - identity: {}
`);
  assert.ok(cfg.transformerFor('', 'configmaps'));
  assert.deepEqual(cfg.resources().sort(), ['configmaps.', 'secrets.']);
});

test('invalid configurations are refused with the reason', () => {
  const bad: [string, RegExp][] = [
    ['kind: Nope', /expected kind EncryptionConfiguration/],
    [config(['secrets'], []), /at least one provider/],
    [config([], [{ identity: {} }]), /at least one resource/],
    [config(['secrets'], [{ aesgcm: { keys: [{ name: 'k', secret: b64(20) }] } }]), /16, 24 or 32 bytes/],
    [config(['secrets'], [{ secretbox: { keys: [{ name: 'k', secret: b64(16) }] } }]), /must be 32 bytes/],
    [config(['secrets'], [{ aescbc: { keys: [{ name: 'k', secret: 'not base64!!' }] } }]), /not valid base64/],
    [config(['secrets'], [{ aescbc: { keys: [] } }]), /at least one key/],
    [config(['secrets'], [{ aescbc: { keys: [{ name: 'k', secret: b64(32) }, { name: 'k', secret: b64(32) }] } }]), /duplicate key name/],
    [config(['secrets'], [{ aescbc: { keys: [{ name: 'k', secret: b64(32) }] }, identity: {} }]), /exactly one provider type/],
    [config(['secrets'], [{ kms: { name: 'x' } }]), /kms provider is not supported/],
    [config(['*'], [{ identity: {} }]), /"\*" is not a resource/],
    ['resources: [', /not valid YAML/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseEncryptionConfig(text), re, text);
});
