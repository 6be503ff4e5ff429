// CertificateSigningRequests through the registry (memory store): validation,
// the requester recorded by the server, what /approval and /status may change,
// and the approve/sign checks on signers.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { openStore } from '../../storage/open.ts';
import type { Store } from '../../storage/store.ts';
import { ApiError } from '../../base/errors.ts';
import type { Attributes } from '../auth/rbac/rules.ts';
import { Registry } from './registry.ts';
import type { RequestContext, UserInfo } from './strategy.ts';
import type { ResourceREST } from './rest.ts';
import { validateCsr, validateSignerName } from './csr-validation.ts';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

let store: Store;
let registry: Registry;
let csrs: ResourceREST;
/** What the fake authorizer allows: `verb resource name` strings. */
let allowed = new Set<string>();

const ctx = (user: UserInfo): RequestContext => ({
  user, now: new Date(), dryRun: false, fieldManager: 'test', fieldManagerDefaulted: false, fieldValidation: 'Ignore', warnings: [],
});
const admin = ctx({ username: 'admin', groups: ['system:masters', 'system:authenticated'] });

before(async () => {
  store = await openStore('memory://');
  registry = new Registry(store, { serviceCidr: '10.43.0.0/16', nodePortRange: [30000, 32767] });
  await registry.start();
  registry.authorizer = {
    authorize: (a: Attributes) => ({ allowed: allowed.has(`${a.verb} ${a.resource} ${a.name ?? ''}`) }),
    rulesFor: () => ({ resourceRules: [], nonResourceRules: [], incomplete: false }),
  };
  csrs = registry.rest('certificates.k8s.io', 'v1', 'certificatesigningrequests')!;
});
after(async () => { registry.stop(); await store.close(); });

async function csrPem(cn: string, orgs: string[] = []): Promise<string> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as CryptoKeyPair;
  return (await x509.Pkcs10CertificateRequestGenerator.create({ name: [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }], keys, signingAlgorithm: alg })).toString('pem');
}
const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function body(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
    spec: { request: b64(await csrPem(name)), signerName: 'example.com/signer', usages: ['client auth'], ...extra },
  };
}

function invalidFields(e: unknown): string[] {
  assert.ok(e instanceof ApiError && e.code === 422, String(e));
  return ((e as ApiError).details?.causes ?? []).map((c) => `${c.field}: ${c.message}`);
}

test('validation: PEM CSR, signer name, usages, expirationSeconds', async () => {
  const ok = await body('x');
  assert.deepEqual(validateCsr(ok), []);
  const errs = validateCsr({ spec: { request: b64('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'), usages: ['client auth', 'client auth', 'flying'], expirationSeconds: 599 } });
  const fields = errs.map((e) => `${e.field} ${e.type}`);
  assert.deepEqual(fields, ['spec.request FieldValueInvalid', 'spec.signerName FieldValueRequired', 'spec.usages[1] FieldValueDuplicate',
    'spec.usages[2] FieldValueNotSupported', 'spec.expirationSeconds FieldValueInvalid']);
  assert.match(errs[0]!.message, /PEM block type must be CERTIFICATE REQUEST/);
  assert.match(errs[4]!.message, /less than 600 seconds/);
  assert.deepEqual(validateSignerName('kubernetes.io/kube-apiserver-client'), []);
  assert.deepEqual(validateSignerName('example.com/a/b'), []);
  assert.equal(validateSignerName('nodomain').length, 1);
  assert.equal(validateSignerName('example/x').length, 1);
  assert.equal(validateSignerName('example.com/').length, 1);
  assert.equal(validateCsr({ spec: { request: b64(await csrPem('a')), signerName: 'example.com/x' } }).map((e) => e.field).join(), 'spec.usages');
});

test('create: the requester is whoever sent it, status starts empty', async () => {
  const bob = ctx({ username: 'bob', uid: 'u-1', groups: ['devs', 'system:authenticated'], extra: { scopes: ['a'] } });
  const created = await csrs.create('', { ...(await body('c1', { username: 'admin', groups: ['system:masters'] })), status: { certificate: 'Zm9v' } }, bob);
  assert.equal(created.spec.username, 'bob');
  assert.equal(created.spec.uid, 'u-1');
  assert.deepEqual(created.spec.groups, ['devs', 'system:authenticated']);
  assert.deepEqual(created.spec.extra, { scopes: ['a'] });
  assert.deepEqual(created.status, {});
  await assert.rejects(csrs.create('', await body('bad', { request: b64('x') }), admin), (e) => invalidFields(e).some((f) => f.startsWith('spec.request')));
});

test('the main resource cannot change the spec or status', async () => {
  const c = await csrs.create('', await body('c2'), admin);
  const r = await csrs.update('', 'c2', { ...c, metadata: { ...c.metadata, labels: { a: 'b' } }, spec: { ...c.spec, signerName: 'example.com/other' }, status: { conditions: [{ type: 'Approved', status: 'True' }] } }, admin);
  assert.equal(r.obj.metadata.labels.a, 'b');
  assert.equal(r.obj.spec.signerName, 'example.com/signer');
  assert.deepEqual(r.obj.status, {});
});

test('/approval changes only Approved/Denied, needs approve on the signer (or its domain), and a decision is final', async () => {
  const c = await csrs.create('', await body('c3'), admin);
  const alice = ctx({ username: 'alice', groups: ['system:authenticated'] });
  const approve = { ...c, status: { certificate: b64('junk'), conditions: [{ type: 'Approved', status: 'True', reason: 'KubectlApprove' }, { type: 'Failed', status: 'True' }] } };
  allowed = new Set();
  await assert.rejects(csrs.update('', 'c3', approve, alice, 'approval'), (e) => e instanceof ApiError && e.code === 403
    && /certificatesigningrequests.certificates.k8s.io "c3" is forbidden: user not permitted to approve requests with signerName "example.com\/signer"/.test(e.message));
  allowed = new Set(['approve signers example.com/*']);
  const r = await csrs.update('', 'c3', approve, alice, 'approval');
  // Only the decision went through; the certificate and Failed are /status's business.
  assert.deepEqual(r.obj.status.conditions.map((x: { type: string }) => x.type), ['Approved']);
  assert.equal(r.obj.status.certificate, undefined);
  assert.ok(r.obj.status.conditions[0].lastUpdateTime && r.obj.status.conditions[0].lastTransitionTime);
  // Denying an approved request: Approved and Denied are exclusive, and Approved cannot be removed.
  const deny = { ...r.obj, status: { conditions: [{ type: 'Denied', status: 'True' }] } };
  await assert.rejects(csrs.update('', 'c3', deny, alice, 'approval'), (e) => invalidFields(e).some((f) => /may not remove a condition of type "Approved"/.test(f)));
  const both = { ...r.obj, status: { conditions: [...r.obj.status.conditions, { type: 'Denied', status: 'True' }] } };
  await assert.rejects(csrs.update('', 'c3', both, alice, 'approval'), (e) => invalidFields(e).some((f) => /mutually exclusive/.test(f)));
});

test('/status sets the certificate (with sign on the signer) but never the decision; the certificate is then immutable', async () => {
  const key = await crypto.webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
  const cert = (await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=x', keys: key, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })).toString('pem');
  const c = await csrs.create('', await body('c4'), admin);
  const signer = ctx({ username: 'signer', groups: ['system:authenticated'] });
  const withCert = { ...c, status: { certificate: b64(cert), conditions: [{ type: 'Approved', status: 'True' }] } };
  allowed = new Set();
  await assert.rejects(csrs.update('', 'c4', withCert, signer, 'status'), (e) => e instanceof ApiError && e.code === 403 && /not permitted to sign/.test(e.message));
  allowed = new Set(['sign signers example.com/signer']);
  const r = await csrs.update('', 'c4', withCert, signer, 'status');
  assert.equal(r.obj.status.certificate, b64(cert));
  assert.equal(r.obj.status.conditions, undefined, 'Approved cannot come through /status');
  const other = (await x509.X509CertificateGenerator.createSelfSigned({ name: 'CN=y', keys: key, signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } })).toString('pem');
  await assert.rejects(csrs.update('', 'c4', { ...r.obj, status: { certificate: b64(other) } }, signer, 'status'),
    (e) => invalidFields(e).some((f) => /may not modify existing certificate/.test(f)));
  await assert.rejects(csrs.update('', 'c4', { ...r.obj, status: {} }, signer, 'status'),
    (e) => invalidFields(e).some((f) => /may not modify existing certificate/.test(f)));
  await assert.rejects(csrs.update('', 'c4', { ...r.obj, status: { certificate: b64('not pem') } }, admin, 'status'), (e) => e instanceof ApiError && e.code === 422);
});

test('kubernetes.io/kube-apiserver-client refuses system:masters (CertificateSubjectRestriction)', async () => {
  const b = await body('c5', { signerName: 'kubernetes.io/kube-apiserver-client', request: b64(await csrPem('root', ['system:masters'])) });
  await assert.rejects(csrs.create('', b, admin), (e) => e instanceof ApiError && e.code === 403 && /system:masters group is not allowed/.test(e.message));
  // Another signer may be asked for it (its own policy decides).
  await csrs.create('', { ...b, spec: { ...b.spec, signerName: 'example.com/signer' } }, admin);
});
