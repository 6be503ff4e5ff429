// The certificate controllers without a server: what the signer issues
// (chain, subject, usages, validity), which requests each signer refuses, the
// signing and approving syncs against a fake API on a fake clock, and which
// CSRs the cleaner removes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { Indexer } from '../../client/index.ts';
import { ensurePki } from '../../server/pki.ts';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CSR } from './csr.ts';
import {
  DEFAULT_SIGNING_DURATION_MS, certificateDurationMs, csrFacts, loadSigningCA, parseCsr, signCertificate, signerRefusal, type SigningCA,
} from './signer.ts';
import { CSRSigningController } from './signing.ts';
import { CSRApprovingController } from './approving.ts';
import { CSRCleaner, expiredReason } from './cleaner.ts';

const T0 = Date.UTC(2025, 0, 1);
const silent = pino({ level: 'silent' });
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

let caCache: { ca: SigningCA; caPem: string } | undefined;
async function testCA(): Promise<{ ca: SigningCA; caPem: string }> {
  if (caCache) return caCache;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-csr-ca-'));
  try {
    const pki = await ensurePki(dir, { hosts: [], ips: [] });
    caCache = { ca: await loadSigningCA(pki.caCertPem, pki.caKeyPem), caPem: pki.caCertPem };
    return caCache;
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
}

async function request(cn: string, orgs: string[], sans: { type: 'dns' | 'ip'; value: string }[] = []): Promise<string> {
  const keys = await crypto.webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }], keys, signingAlgorithm: ALG,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  return Buffer.from(csr.toString('pem')).toString('base64');
}

function csrObj(name: string, spec: Partial<CSR['spec']> & { request: string }, conds: string[] = []): CSR {
  return {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: new Date(T0).toISOString() },
    spec: { signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'client auth'], username: 'system:bootstrap:abcdef', groups: ['system:bootstrappers'], ...spec },
    status: conds.length ? { conditions: conds.map((type) => ({ type, status: 'True', lastUpdateTime: new Date(T0).toISOString() })) } : {},
  };
}

test('the issued certificate chains to the CA, carries the CSR\'s subject and key, and the asked usages', async () => {
  const { ca, caPem } = await testCA();
  const req = parseCsr(await request('system:node:n1', ['system:nodes']));
  const pem = await signCertificate(ca, req, { usages: ['digital signature', 'client auth'], nowMs: T0, durationMs: 3600_000 });
  const cert = new crypto.X509Certificate(pem);
  assert.ok(cert.verify(new crypto.X509Certificate(caPem).publicKey));
  assert.ok(cert.checkIssued(new crypto.X509Certificate(caPem)));
  assert.deepEqual(cert.subject.split('\n').sort(), ['CN=system:node:n1', 'O=system:nodes']);
  assert.equal(cert.ca, false);
  assert.ok(cert.publicKey.equals(crypto.createPublicKey({ key: Buffer.from(req.publicKey.rawData), format: 'der', type: 'spki' })));
  assert.deepEqual(cert.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  // Valid from 5 minutes back (clock skew) to now + duration.
  assert.equal(Date.parse(cert.validFrom), T0 - 300_000);
  assert.equal(Date.parse(cert.validTo), T0 + 3600_000);
  // Serving certificates keep the CSR's SANs and get serverAuth.
  const serving = new crypto.X509Certificate(await signCertificate(ca, parseCsr(await request('system:node:n1', ['system:nodes'], [{ type: 'dns', value: 'n1.example' }, { type: 'ip', value: '10.0.0.5' }])),
    { usages: ['digital signature', 'server auth'], nowMs: T0, durationMs: 3600_000 }));
  assert.equal(serving.subjectAltName, 'DNS:n1.example, IP Address:10.0.0.5');
  assert.deepEqual(serving.keyUsage, ['1.3.6.1.5.5.7.3.1']);
});

test('validity: expirationSeconds honoured, at least 10 minutes, at most the signer maximum, never past the CA', async () => {
  assert.equal(certificateDurationMs(undefined, DEFAULT_SIGNING_DURATION_MS), 365 * 86_400_000);
  assert.equal(certificateDurationMs(3600, DEFAULT_SIGNING_DURATION_MS), 3600_000);
  assert.equal(certificateDurationMs(60, DEFAULT_SIGNING_DURATION_MS), 600_000);
  assert.equal(certificateDurationMs(10 * 365 * 86_400, DEFAULT_SIGNING_DURATION_MS), DEFAULT_SIGNING_DURATION_MS);
  const { ca } = await testCA();
  const req = parseCsr(await request('system:node:n1', ['system:nodes']));
  const far = new crypto.X509Certificate(await signCertificate(ca, req, { usages: ['client auth'], nowMs: Date.now(), durationMs: 100 * 365 * 86_400_000 }));
  assert.equal(Date.parse(far.validTo), ca.cert.notAfter.getTime());
});

test('each signer refuses what it does not sign', async () => {
  const facts = async (cn: string, orgs: string[], sans: { type: 'dns' | 'ip'; value: string }[] = []) => csrFacts(parseCsr(await request(cn, orgs, sans)));
  const node = await facts('system:node:n1', ['system:nodes']);
  assert.equal(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', node, ['digital signature', 'client auth']), undefined);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', node, ['server auth', 'client auth'])!, /not allowed/);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', node, ['digital signature'])!, /must include "client auth"/);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', await facts('system:node:n1', ['system:masters']), ['client auth'])!, /organization/);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', await facts('alice', ['system:nodes']), ['client auth'])!, /common name/);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client-kubelet', await facts('system:node:n1', ['system:nodes'], [{ type: 'dns', value: 'x' }]), ['client auth'])!, /subjectAltNames/);
  assert.equal(signerRefusal('kubernetes.io/kube-apiserver-client', await facts('alice', ['devs']), ['client auth']), undefined);
  assert.match(signerRefusal('kubernetes.io/kube-apiserver-client', await facts('root', ['system:masters']), ['client auth'])!, /system:masters/);
  assert.match(signerRefusal('kubernetes.io/kubelet-serving', node, ['server auth'])!, /DNS or IP/);
  assert.equal(signerRefusal('kubernetes.io/kubelet-serving', await facts('system:node:n1', ['system:nodes'], [{ type: 'ip', value: '10.0.0.1' }]), ['server auth', 'digital signature']), undefined);
  assert.match(signerRefusal('example.com/x', node, ['client auth'])!, /not served/);
});

function signingFixture(ca: SigningCA) {
  const clock = new FakeClock(T0);
  const csrs = new Indexer<CSR>();
  const written: CSR[] = [];
  const queued: string[] = [];
  const c = new CSRSigningController({
    csrs, ca, clock, logger: silent, queue: { add: (k) => queued.push(k) },
    api: { updateStatus: async (csr) => { written.push(csr); return csr; } },
  });
  return { clock, csrs, written, queued, c };
}

test('csrsigning: an approved kubelet client request gets its certificate; pending, denied, issued and foreign ones are left alone', async () => {
  const { ca, caPem } = await testCA();
  const f = signingFixture(ca);
  const approved = csrObj('a', { request: await request('system:node:n1', ['system:nodes']), expirationSeconds: 1800 }, ['Approved']);
  f.csrs.set(approved);
  f.c.handler().add!(approved);
  for (const [name, conds, signer] of [['p', [], undefined], ['d', ['Denied'], undefined], ['x', ['Approved'], 'example.com/x']] as const) {
    const o = csrObj(name, { request: approved.spec.request, ...(signer ? { signerName: signer } : {}) }, [...conds]);
    f.csrs.set(o);
    f.c.handler().add!(o);
    await f.c.sync(name);
  }
  assert.deepEqual(f.queued, ['a']);
  await f.c.sync('a');
  assert.equal(f.written.length, 1);
  const cert = new crypto.X509Certificate(Buffer.from(f.written[0]!.status!.certificate!, 'base64').toString());
  assert.ok(cert.verify(new crypto.X509Certificate(caPem).publicKey));
  assert.equal(Date.parse(cert.validTo), T0 + 1800_000);
  assert.equal(approved.status!.certificate, undefined, 'the cached object is not mutated');
  // Already issued: nothing more.
  f.csrs.set(f.written[0]!);
  await f.c.sync('a');
  assert.equal(f.written.length, 1);
});

test('csrsigning: a request the signer refuses gets Failed / SignerValidationFailure', async () => {
  const { ca } = await testCA();
  const f = signingFixture(ca);
  f.csrs.set(csrObj('bad', { request: await request('alice', ['devs']) }, ['Approved']));
  await f.c.sync('bad');
  const failed = f.written[0]!.status!.conditions!.find((c) => c.type === 'Failed')!;
  assert.equal(failed.reason, 'SignerValidationFailure');
  assert.match(failed.message!, /organization/);
  assert.equal(f.written[0]!.status!.certificate, undefined);
  // Failed is final.
  f.csrs.set(f.written[0]!);
  await f.c.sync('bad');
  assert.equal(f.written.length, 1);
});

function approvingFixture(allow: (spec: Record<string, any>) => boolean) {
  const csrs = new Indexer<CSR>();
  const approvals: CSR[] = [];
  const reviews: Record<string, unknown>[] = [];
  const c = new CSRApprovingController({
    csrs, clock: new FakeClock(T0), logger: silent, queue: { add: () => undefined },
    api: {
      updateApproval: async (csr) => { approvals.push(csr); return csr; },
      subjectAccessReview: async (spec) => { reviews.push(spec); return allow(spec); },
    },
  });
  return { csrs, approvals, reviews, c };
}

test('csrapproving: a bootstrapper\'s node client request is approved after a nodeclient SubjectAccessReview', async () => {
  const f = approvingFixture((s) => s.resourceAttributes.subresource === 'nodeclient' && s.groups.includes('system:bootstrappers'));
  f.csrs.set(csrObj('n', { request: await request('system:node:n1', ['system:nodes']) }));
  await f.c.sync('n');
  assert.equal(f.approvals.length, 1);
  const cond = f.approvals[0]!.status!.conditions![0]!;
  assert.deepEqual([cond.type, cond.status, cond.reason, cond.message], ['Approved', 'True', 'AutoApproved', 'Auto approving kubelet client certificate after SubjectAccessReview.']);
  // The requester was not the node itself: only nodeclient was asked.
  assert.deepEqual(f.reviews.map((r) => (r.resourceAttributes as { subresource: string }).subresource), ['nodeclient']);
  assert.deepEqual(f.reviews[0], {
    user: 'system:bootstrap:abcdef', uid: undefined, groups: ['system:bootstrappers'], extra: undefined,
    resourceAttributes: { group: 'certificates.k8s.io', resource: 'certificatesigningrequests', verb: 'create', subresource: 'nodeclient' },
  });
});

test('csrapproving: a node renewing its own certificate is approved as selfnodeclient', async () => {
  const f = approvingFixture((s) => s.resourceAttributes.subresource === 'selfnodeclient');
  f.csrs.set(csrObj('r', { request: await request('system:node:n1', ['system:nodes']), username: 'system:node:n1', groups: ['system:nodes'] }));
  await f.c.sync('r');
  assert.equal(f.approvals[0]!.status!.conditions![0]!.message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');
});

test('csrapproving: no approval without permission, for another node\'s name via selfnodeclient, for other signers or subjects, or when decided', async () => {
  const deny = approvingFixture(() => false);
  deny.csrs.set(csrObj('n', { request: await request('system:node:n1', ['system:nodes']) }));
  await deny.c.sync('n');
  assert.equal(deny.approvals.length, 0);
  assert.equal(deny.reviews.length, 1);

  // n2 asking for n1's certificate only ever gets the nodeclient question, which only bootstrappers pass.
  const other = approvingFixture((s) => s.resourceAttributes.subresource === 'selfnodeclient');
  other.csrs.set(csrObj('o', { request: await request('system:node:n1', ['system:nodes']), username: 'system:node:n2', groups: ['system:nodes'] }));
  await other.c.sync('o');
  assert.equal(other.approvals.length, 0);

  const all = approvingFixture(() => true);
  all.csrs.set(csrObj('s', { request: await request('system:node:n1', ['system:nodes']), signerName: 'kubernetes.io/kube-apiserver-client' }));
  all.csrs.set(csrObj('m', { request: await request('system:node:n1', ['system:masters']) }));
  all.csrs.set(csrObj('u', { request: await request('system:node:n1', ['system:nodes']), usages: ['digital signature', 'client auth', 'server auth'] }));
  all.csrs.set(csrObj('d', { request: await request('system:node:n1', ['system:nodes']) }, ['Denied']));
  for (const n of ['s', 'm', 'u', 'd']) await all.c.sync(n);
  assert.equal(all.approvals.length, 0);
  assert.equal(all.reviews.length, 0, 'nothing to review for requests that are not node client requests');
});

test('csrcleaner: pending past 24 h, denied/failed/issued past 1 h, and expired certificates go', async () => {
  const H = 3_600_000;
  const at = (ms: number): string => new Date(ms).toISOString();
  const base = csrObj('x', { request: 'AA==' });
  const withConds = (name: string, conds: { type: string; at: number }[], cert?: string): CSR =>
    ({ ...base, metadata: { ...base.metadata, name, uid: `uid-${name}` }, status: { ...(cert ? { certificate: cert } : {}), conditions: conds.map((c) => ({ type: c.type, status: 'True', lastUpdateTime: at(c.at) })) } });
  assert.equal(expiredReason(base, T0 + 23 * H), undefined);
  assert.match(expiredReason(base, T0 + 25 * H)!, /pending/);
  assert.equal(expiredReason(withConds('d', [{ type: 'Denied', at: T0 }]), T0 + 0.5 * H), undefined);
  assert.match(expiredReason(withConds('d', [{ type: 'Denied', at: T0 }]), T0 + 2 * H)!, /denied/);
  assert.match(expiredReason(withConds('f', [{ type: 'Approved', at: T0 }, { type: 'Failed', at: T0 }]), T0 + 2 * H)!, /failed/);
  assert.equal(expiredReason(withConds('a', [{ type: 'Approved', at: T0 }]), T0 + 2 * H), undefined, 'approved, not yet issued: the signer is still due');
  const { ca } = await testCA();
  const req = parseCsr(await request('system:node:n1', ['system:nodes']));
  const pem = await signCertificate(ca, req, { usages: ['client auth'], nowMs: T0, durationMs: 3 * H });
  const issued = withConds('i', [{ type: 'Approved', at: T0 }], Buffer.from(pem).toString('base64'));
  assert.equal(expiredReason(issued, T0 + 0.5 * H), undefined);
  assert.match(expiredReason(issued, T0 + 2 * H)!, /issued/);
  const short = await signCertificate(ca, req, { usages: ['client auth'], nowMs: T0, durationMs: 600_000 });
  assert.match(expiredReason(withConds('s', [{ type: 'Approved', at: T0 + 0.5 * H }], Buffer.from(short).toString('base64')), T0 + 0.6 * H)!, /certificate expired/);

  const clock = new FakeClock(T0 + 2 * H);
  const csrs = new Indexer<CSR>();
  const deleted: [string, string][] = [];
  csrs.set(withConds('d', [{ type: 'Denied', at: T0 }]));
  csrs.set(withConds('fresh', [{ type: 'Denied', at: T0 + 2 * H }]));
  const cleaner = new CSRCleaner({ csrs, clock, logger: silent, api: { delete: async (name, uid) => { deleted.push([name, uid]); } } });
  assert.deepEqual(await cleaner.sweep(), ['d']);
  assert.deepEqual(deleted, [['d', 'uid-d']]);
});
