// Service-account tokens end to end with the real kubectl: `kubectl create token`
// (TokenRequest), the token authenticating as the account, audiences and
// expiry enforced, tokens bound to a pod dying with it, TokenReview, and the
// OIDC discovery documents — whose JWKS verifies the tokens with an independent
// JOSE implementation.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { Pilot, run, KUBECTL } from './helpers/pilot.ts';

let pilot: Pilot;
let caFile: string;

before(async () => {
  pilot = await new Pilot({ extraArgs: ['--controllers', 'serviceaccount,namespace'] }).start();
  caFile = path.join(pilot.dataDir, 'tls/ca.crt');
});
after(async () => { await pilot?.dispose(); });

/** kubectl as the holder of `token` only (no client certificate). */
function asToken(token: string, args: string[]) {
  return run(KUBECTL, ['--kubeconfig', '/dev/null', '--server', pilot.url, '--certificate-authority', caFile, '--token', token, '--cache-dir', pilot.cacheDir, ...args]);
}

/** Whether the API accepts `token` as someone (authentication only: whoami needs no RBAC grant). */
async function authenticates(token: string): Promise<boolean> {
  const r = await asToken(token, ['auth', 'whoami']);
  if (r.code !== 0) assert.match(r.stderr, /Unauthorized|must be logged in/, `a refused token must get 401, not: ${r.stderr}`);
  return r.code === 0;
}

async function waitForSa(ns: string, name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await pilot.kubectl(['get', 'sa', name, '-n', ns])).code !== 0) {
    assert.ok(Date.now() < deadline, `serviceaccount ${ns}/${name} never appeared`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('kubectl create token: the token authenticates as the service account', async () => {
  await waitForSa('default', 'default');
  const token = (await pilot.k(['create', 'token', 'default'])).trim();
  const r = await asToken(token, ['auth', 'whoami', '-o', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const ui = JSON.parse(r.stdout).status.userInfo;
  assert.equal(ui.username, 'system:serviceaccount:default:default');
  assert.deepEqual(ui.groups, ['system:serviceaccounts', 'system:serviceaccounts:default', 'system:authenticated']);
  const sa = await pilot.json(['get', 'sa', 'default']);
  assert.equal(ui.uid, sa.metadata.uid);
  assert.match(ui.extra['authentication.kubernetes.io/credential-id'][0], /^JTI=[0-9a-f-]{36}$/);
  // The token is a JWT whose claims say what upstream's do.
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
  assert.equal(claims.iss, 'https://kubernetes.default.svc.cluster.local');
  assert.deepEqual(claims.aud, ['https://kubernetes.default.svc.cluster.local']);
  assert.equal(claims.exp - claims.iat, 3600);
  assert.equal(claims.sub, 'system:serviceaccount:default:default');
  assert.deepEqual(claims['kubernetes.io'], { namespace: 'default', serviceaccount: { name: 'default', uid: sa.metadata.uid } });
  // A forged signature is a plain 401.
  const forged = `${token.slice(0, token.lastIndexOf('.'))}.${Buffer.from('x'.repeat(64)).toString('base64url')}`;
  const f = await asToken(forged, ['get', 'ns']);
  assert.notEqual(f.code, 0);
  assert.match(f.stderr, /Unauthorized|provide credentials/);
});

test('durations and audiences: too short is refused; another audience does not get in', async () => {
  const short = await pilot.kubectl(['create', 'token', 'default', '--duration=5m']);
  assert.notEqual(short.code, 0);
  assert.match(short.stderr, /spec\.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes/);
  const day = (await pilot.k(['create', 'token', 'default', '--duration=24h'])).trim();
  const c = JSON.parse(Buffer.from(day.split('.')[1]!, 'base64url').toString());
  assert.equal(c.exp - c.iat, 86400);
  const vault = (await pilot.k(['create', 'token', 'default', '--audience=vault'])).trim();
  assert.equal(await authenticates(vault), false, 'a token for another audience must not authenticate to the API');
  // But TokenReview for that audience says yes (how vault would check it).
  // --raw: `kubectl create -f` of a create-only kind first lists CRDs, which Pilot does not serve yet.
  const out = await pilot.k(['create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: vault, audiences: ['vault'] } }),
  });
  const status = JSON.parse(out).status;
  assert.equal(status.authenticated, true);
  assert.equal(status.user.username, 'system:serviceaccount:default:default');
  assert.deepEqual(status.audiences, ['vault']);
  const wrong = JSON.parse(await pilot.k(['create', '--raw', '/apis/authentication.k8s.io/v1/tokenreviews', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token: vault } }),
  })).status;
  assert.equal(wrong.authenticated, undefined);
  assert.match(wrong.error, /token audiences \["vault"\] is invalid for the target audiences/);
  const missing = await pilot.kubectl(['create', 'token', 'nobody']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /serviceaccounts "nobody" not found/);
});

test('a token bound to a pod stops working when the pod goes; one for a deleted account too', async () => {
  await pilot.k(['create', 'namespace', 'bound']);
  await pilot.k(['create', 'serviceaccount', 'robot', '-n', 'bound']);
  await pilot.k(['run', 'p', '-n', 'bound', '--image=busybox', '--restart=Never', '--overrides={"spec":{"serviceAccountName":"robot"}}']);
  const pod = await pilot.json(['get', 'pod', 'p', '-n', 'bound']);
  const bound = (await pilot.k(['create', 'token', 'robot', '-n', 'bound', '--bound-object-kind=Pod', '--bound-object-name=p'])).trim();
  const who = JSON.parse((await asToken(bound, ['auth', 'whoami', '-o', 'json'])).stdout).status.userInfo;
  assert.equal(who.username, 'system:serviceaccount:bound:robot');
  assert.deepEqual(who.extra['authentication.kubernetes.io/pod-name'], ['p']);
  assert.deepEqual(who.extra['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);
  const plain = (await pilot.k(['create', 'token', 'robot', '-n', 'bound'])).trim();

  await pilot.k(['delete', 'pod', 'p', '-n', 'bound', '--grace-period=0', '--force']);
  assert.equal(await authenticates(bound), false, 'the pod-bound token must die with the pod');
  assert.equal(await authenticates(plain), true, 'an unbound token lives on');
  const gone = await pilot.kubectl(['create', 'token', 'robot', '-n', 'bound', '--bound-object-kind=Pod', '--bound-object-name=p']);
  assert.match(gone.stderr, /pods "p" not found/);

  await pilot.k(['delete', 'sa', 'robot', '-n', 'bound']);
  assert.equal(await authenticates(plain), false, 'tokens of a deleted account must not authenticate');
  // Recreated under the same name: a new UID, and the old tokens still fail.
  await pilot.k(['create', 'serviceaccount', 'robot', '-n', 'bound']);
  assert.equal(await authenticates(plain), false);
});

test('OIDC discovery: the issuer and a JWKS that verifies issued tokens', async () => {
  const cfg = JSON.parse(await pilot.k(['get', '--raw', '/.well-known/openid-configuration']));
  assert.equal(cfg.issuer, 'https://kubernetes.default.svc.cluster.local');
  assert.equal(cfg.jwks_uri, 'https://kubernetes.default.svc.cluster.local/openid/v1/jwks');
  assert.deepEqual(cfg.id_token_signing_alg_values_supported, ['ES256']);
  const jwks = JSON.parse(await pilot.k(['get', '--raw', '/openid/v1/jwks']));
  assert.equal(jwks.keys.length, 1);
  assert.equal(jwks.keys[0].kty, 'EC');
  const token = (await pilot.k(['create', 'token', 'default'])).trim();
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer: cfg.issuer, audience: 'https://kubernetes.default.svc.cluster.local',
  });
  assert.equal(payload.sub, 'system:serviceaccount:default:default');
  assert.equal(protectedHeader.kid, jwks.keys[0].kid);
  assert.ok(fs.existsSync(caFile));
});
