// Bootstrap tokens: format, generation, the Secret layout, and the
// authenticator's decisions (expiry, wrong secret, wrong type, usages, groups).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  expirationOf, extraGroupsOf, generateToken, isExpired, parseToken, secretValue, tokenSecret, validateExtraGroup, type SecretLike,
} from './token.ts';
import { bootstrapTokenAuthenticator } from './authenticator.ts';

const T0 = Date.UTC(2024, 0, 1);

test('parseToken accepts <6 [a-z0-9]>.<16 [a-z0-9]> only', () => {
  assert.deepEqual(parseToken('abcdef.0123456789abcdef'), { id: 'abcdef', secret: '0123456789abcdef' });
  for (const bad of ['ABCDEF.0123456789abcdef', 'abcde.0123456789abcdef', 'abcdef.0123456789abcde', 'abcdef0123456789abcdef',
    'abcdef.0123456789abcdef0', ' abcdef.0123456789abcdef', 'eyJhbGciOi.eyJpc3MiOi.sig']) {
    assert.equal(parseToken(bad), undefined, bad);
  }
});

test('generateToken makes well-formed, different tokens', () => {
  const a = generateToken();
  const b = generateToken();
  assert.ok(parseToken(`${a.id}.${a.secret}`));
  assert.notDeepEqual(a, b);
  // Bytes >= 252 are skipped (no bias): a source of only 255s then 0s yields 'a's.
  let calls = 0;
  const t = generateToken((n) => Buffer.alloc(n, calls++ === 0 ? 255 : 0));
  assert.equal(t.id, 'aaaaaa');
});

test('the Secret: upstream layout, base64 data, expiration in RFC 3339', () => {
  const s = tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { expiresAtMs: T0 + 3600_000, description: 'd', extraGroups: ['system:bootstrappers:x'] });
  assert.equal(s.type, 'bootstrap.kubernetes.io/token');
  assert.deepEqual(s.metadata, { name: 'bootstrap-token-abcdef', namespace: 'kube-system' });
  assert.equal(secretValue(s, 'expiration'), '2024-01-01T01:00:00Z');
  assert.equal(secretValue(s, 'usage-bootstrap-authentication'), 'true');
  assert.equal(secretValue(s, 'usage-bootstrap-signing'), 'true');
  assert.equal(secretValue(s, 'auth-extra-groups'), 'system:bootstrappers:x');
  assert.equal(expirationOf(s), T0 + 3600_000);
  assert.equal(isExpired(s, T0 + 3599_999), false);
  assert.equal(isExpired(s, T0 + 3600_000), true);
  const forever = tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, {});
  assert.equal(expirationOf(forever), undefined);
  assert.equal(isExpired(forever, T0 * 2), false);
  // An unreadable expiration counts as expired.
  assert.equal(isExpired({ stringData: { expiration: 'tomorrow' } }, T0), true);
  assert.equal(isExpired({ stringData: { expiration: '2024-01-01T00:30:00+01:00' } }, T0), true);
  assert.equal(isExpired({ stringData: { expiration: '2024-01-01T01:30:00+01:00' } }, T0), false);
});

test('extra groups must sit under system:bootstrappers:', () => {
  assert.equal(validateExtraGroup('system:bootstrappers:pilot:default-node-token'), undefined);
  assert.ok(validateExtraGroup('system:masters'));
  assert.ok(validateExtraGroup('system:bootstrappers:'));
  assert.deepEqual(extraGroupsOf({ stringData: { 'auth-extra-groups': 'system:bootstrappers:a, system:bootstrappers:b' } }).groups, ['system:bootstrappers:a', 'system:bootstrappers:b']);
  assert.ok(extraGroupsOf({ stringData: { 'auth-extra-groups': 'system:bootstrappers:a,system:masters' } }).error);
});

function authn(secrets: Record<string, SecretLike>, now = T0) {
  const rejected: string[] = [];
  const a = bootstrapTokenAuthenticator({
    getSecret: async (ns, name) => (ns === 'kube-system' ? secrets[name] : undefined), now: () => now,
    onReject: (_id, reason) => rejected.push(reason),
  });
  return { a, rejected };
}

const good = (): SecretLike => tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { expiresAtMs: T0 + 60_000, extraGroups: ['system:bootstrappers:pilot:default-node-token'] });

test('a valid token is system:bootstrap:<id> in system:bootstrappers plus its extra groups', async () => {
  const { a } = authn({ 'bootstrap-token-abcdef': good() });
  assert.deepEqual(await a.authenticateToken('abcdef.0123456789abcdef'), {
    username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers', 'system:bootstrappers:pilot:default-node-token'],
  });
});

test('expired, wrong-secret, unknown, deleting, wrong-type and non-authentication tokens are refused', async () => {
  const cases: [string, SecretLike | undefined, string, RegExp][] = [
    ['expired', good(), 'abcdef.0123456789abcdef', /expired/],
    ['wrong secret', good(), 'abcdef.0123456789abcdee', /wrong token secret/],
    ['unknown', undefined, 'abcdef.0123456789abcdef', /no bootstrap token secret/],
    ['deleting', { ...good(), metadata: { name: 'bootstrap-token-abcdef', deletionTimestamp: '2024-01-01T00:00:00Z' } }, 'abcdef.0123456789abcdef', /deleted/],
    ['wrong type', { ...good(), type: 'Opaque' }, 'abcdef.0123456789abcdef', /type/],
    ['not for authentication', tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { usages: ['signing'] }), 'abcdef.0123456789abcdef', /not meant for authentication/],
    ['token-id mismatch', { ...good(), data: { ...good().data, 'token-id': Buffer.from('zzzzzz').toString('base64') } }, 'abcdef.0123456789abcdef', /does not match/],
    ['bad extra group', tokenSecret({ id: 'abcdef', secret: '0123456789abcdef' }, { extraGroups: ['system:masters'] }), 'abcdef.0123456789abcdef', /auth-extra-groups/],
  ];
  for (const [name, secret, token, why] of cases) {
    const { a, rejected } = authn(secret ? { 'bootstrap-token-abcdef': secret } : {}, name === 'expired' ? T0 + 60_000 : T0);
    assert.equal(await a.authenticateToken(token), undefined, name);
    assert.match(rejected.join(), why, name);
  }
});

test('a token of another shape is not for this authenticator (no lookup)', async () => {
  let lookups = 0;
  const a = bootstrapTokenAuthenticator({ getSecret: async () => { lookups++; return undefined; } });
  assert.equal(await a.authenticateToken('eyJhbGciOiJFUzI1NiJ9.e30.sig'), undefined);
  assert.equal(lookups, 0);
});
