import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { signJwt, verifyJwt, keyIdOf, looksLikeJwt, jwkOf } from './jwt.ts';
import { buildClaims, checkClaims } from './claims.ts';
import { ServiceAccountTokens } from './tokens.ts';
import { validateTokenRequest } from '../../registry/token-request.ts';
import { ApiError } from '../../../base/errors.ts';

const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ISS = 'https://kubernetes.default.svc.cluster.local';

test('jwt: ES256 and RS256 round trip; other keys, tampering and alg confusion fail', () => {
  const t = signJwt({ a: 1 }, ec.privateKey);
  assert.ok(looksLikeJwt(t));
  assert.deepEqual(verifyJwt(t, [ec.publicKey]), { a: 1 });
  assert.equal(verifyJwt(t, [other.publicKey]), undefined);
  const header = JSON.parse(Buffer.from(t.split('.')[0]!, 'base64url').toString());
  assert.deepEqual(header, { alg: 'ES256', kid: keyIdOf(ec.publicKey) });
  const [h, , s] = t.split('.');
  assert.equal(verifyJwt(`${h}.${Buffer.from('{"a":2}').toString('base64url')}.${s}`, [ec.publicKey]), undefined);
  const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"a":1}').toString('base64url')}.`;
  assert.equal(verifyJwt(none, [ec.publicKey]), undefined);
  assert.equal(verifyJwt('abc', [ec.publicKey]), undefined);
  assert.equal(looksLikeJwt('static-token'), false);
  const r = signJwt({ b: 1 }, rsa.privateKey);
  assert.deepEqual(verifyJwt(r, [ec.publicKey, rsa.publicKey]), { b: 1 });
  assert.deepEqual(Object.keys(jwkOf(ec.publicKey)).sort(), ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
});

test('claims: issuer, audience, expiry with leeway, and shape', () => {
  const sa = { name: 'default', uid: 'u1' };
  const c = buildClaims({ issuer: ISS, audiences: ['a', 'b'], nowS: 1000, expirationSeconds: 600, namespace: 'ns', serviceAccount: sa, pod: { name: 'p', uid: 'pu' } });
  assert.equal(c.sub, 'system:serviceaccount:ns:default');
  const ok = checkClaims(c, { issuers: [ISS], audiences: ['b', 'z'], nowS: 1500 });
  assert.ok(ok.ok && ok.subject.pod?.uid === 'pu' && ok.audiences.join() === 'b');
  assert.ok(checkClaims(c, { issuers: [ISS], audiences: ['a'], nowS: 1600 + 59 }).ok, 'within the leeway');
  const exp = checkClaims(c, { issuers: [ISS], audiences: ['a'], nowS: 1600 + 61 });
  assert.ok(!exp.ok && /expired/.test(exp.error));
  const aud = checkClaims(c, { issuers: [ISS], audiences: ['x'], nowS: 1000 });
  assert.ok(!aud.ok && aud.error === 'token audiences ["a","b"] is invalid for the target audiences ["x"]');
  assert.ok(!checkClaims(c, { issuers: ['https://other'], audiences: ['a'], nowS: 1000 }).ok);
  assert.ok(!checkClaims({ ...c, sub: 'system:serviceaccount:ns:admin' }, { issuers: [ISS], audiences: ['a'], nowS: 1000 }).ok);
  assert.ok(!checkClaims({ ...c, nbf: 2000 }, { issuers: [ISS], audiences: ['a'], nowS: 1000 }).ok);
});

test('authenticator: the named objects must exist with the same UIDs, and not be long deleted', async () => {
  const pem = ec.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const tokens = new ServiceAccountTokens({ signingKeyPem: pem });
  const now = Date.parse('2026-01-01T00:00:00Z');
  const objects = new Map<string, { metadata: { uid: string; deletionTimestamp?: string } }>([
    ['ServiceAccount/ns/default', { metadata: { uid: 'sa1' } }], ['Pod/ns/p', { metadata: { uid: 'p1' } }],
  ]);
  const auth = tokens.authenticator(async (kind, ns, name) => objects.get(`${kind}/${ns}/${name}`), () => now);
  const { token } = tokens.issue({ namespace: 'ns', serviceAccount: { name: 'default', uid: 'sa1' }, pod: { name: 'p', uid: 'p1' } }, tokens.apiAudiences, 3600, now);
  const u = await auth.authenticateToken(token);
  assert.equal(u?.username, 'system:serviceaccount:ns:default');
  assert.deepEqual(u?.groups, ['system:serviceaccounts', 'system:serviceaccounts:ns']);
  objects.set('Pod/ns/p', { metadata: { uid: 'p1', deletionTimestamp: '2025-12-31T23:59:30Z' } });
  assert.ok(await auth.authenticateToken(token), 'a pod in its grace period keeps its tokens for a while');
  objects.set('Pod/ns/p', { metadata: { uid: 'p1', deletionTimestamp: '2025-12-31T23:58:00Z' } });
  assert.equal(await auth.authenticateToken(token), undefined);
  objects.set('Pod/ns/p', { metadata: { uid: 'p2' } });
  const r = await auth.review(token, tokens.apiAudiences);
  assert.ok(r && 'error' in r && /pod UID \(p1\) does not match claim \(p2\)/.test(r.error));
  objects.delete('ServiceAccount/ns/default');
  assert.equal(await auth.authenticateToken(token), undefined);
  assert.equal(await auth.review('not-a-jwt', tokens.apiAudiences), undefined, 'other tokens are not ours to judge');
});

test('TokenRequest validation: defaults, bounds, bound object kinds, names', () => {
  const t = { apiAudiences: [ISS], maxExpirationSeconds: 0 };
  assert.deepEqual(validateTokenRequest({ spec: {} }, 'ns', 'sa', t), { audiences: [ISS], expirationSeconds: 3600 });
  const bad = (body: object, re: RegExp): void => {
    assert.throws(() => validateTokenRequest(body, 'ns', 'sa', t), (e: unknown) => e instanceof ApiError && e.code === 422 && re.test(e.message));
  };
  bad({ spec: { expirationSeconds: 599 } }, /may not specify a duration less than 10 minutes/);
  bad({ spec: { expirationSeconds: 2 ** 32 + 1 } }, /larger than 2\^32 seconds/);
  bad({ spec: { boundObjectRef: { kind: 'ConfigMap', name: 'x' } } }, /Unsupported value: "ConfigMap"/);
  bad({ spec: { boundObjectRef: { kind: 'Pod' } } }, /spec.boundObjectRef.name: Required value/);
  bad({ metadata: { name: 'other' }, spec: {} }, /must match the service account name/);
  assert.equal(validateTokenRequest({ spec: { expirationSeconds: 90000 } }, 'ns', 'sa', { ...t, maxExpirationSeconds: 86400 }).expirationSeconds, 86400);
});
