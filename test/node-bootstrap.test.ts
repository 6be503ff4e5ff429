// Node TLS bootstrap end to end through a real `pilot server` and the real
// kubectl: `pilot token create` makes a bootstrap token; a node joins with it
// (CSR auto-approved by csrapproving, signed by csrsigning) and its
// credentials authenticate as system:node:<name>; it renews them with its own
// certificate; expired, wrong and unknown tokens are refused (401); a CA hash
// that does not match stops the join before the token is sent; a person's CSR
// waits for `kubectl certificate approve`, which needs `approve` on the signer.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import { Pilot, PILOT_BIN, KUBECTL, run } from './helpers/pilot.ts';
import { bootstrapNodeCredentials, caCertHash, requestServingCertificate } from '../src/agent/bootstrap/index.ts';
import { ApiError } from '../src/base/errors.ts';
import { FakeClock } from '../src/base/clock.ts';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

let pilot: Pilot;
let tmp: string;

before(async () => {
  pilot = await new Pilot({ extraArgs: ['--controllers', 'csrsigning,csrapproving,csrcleaner,tokencleaner'] }).start();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-bootstrap-'));
});
after(async () => {
  await pilot?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const pilotCli = (args: string[]) => run(PILOT_BIN, [...args, '--data-dir', pilot.dataDir]);
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const caPem = (): string => fs.readFileSync(path.join(pilot.dataDir, 'tls/ca.crt'), 'utf8');

async function poll<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 45_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** kubectl with only a kubeconfig of our own (no admin credentials). */
function kubectlWith(kubeconfig: string, args: string[]) {
  return run(KUBECTL, ['--kubeconfig', kubeconfig, '--cache-dir', pilot.cacheDir, ...args]);
}

function writeKubeconfig(file: string, cred: { certPem?: string; keyPem?: string; token?: string }): string {
  const user: Record<string, string> = cred.token ? { token: cred.token } : { 'client-certificate-data': b64(cred.certPem!), 'client-key-data': b64(cred.keyPem!) };
  fs.writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config',
    clusters: [{ name: 'c', cluster: { server: pilot.url, 'certificate-authority-data': b64(caPem()) } }],
    users: [{ name: 'u', user }],
    contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }],
    'current-context': 'c',
  }), { mode: 0o600 });
  return file;
}

async function newCsr(cn: string, orgs: string[]): Promise<{ csrPem: string; keyPem: string }> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']) as CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }], keys, signingAlgorithm: alg });
  const der = await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey as crypto.webcrypto.CryptoKey);
  return { csrPem: csr.toString('pem'), keyPem: x509.PemConverter.encode(der, 'PRIVATE KEY') };
}

let joinToken = '';
let joinHash = '';

test('pilot token create: a bootstrap token Secret and a join command with the CA hash', async () => {
  const r = await pilotCli(['token', 'create', '--ttl', '1h', '--description', 'for n1']);
  assert.equal(r.code, 0, r.stderr);
  const m = /^([a-z0-9]{6})\.([a-z0-9]{16})$/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  joinToken = m[0];
  const join = /pilot agent --server (\S+) --token (\S+) --ca-cert-hash (sha256:[0-9a-f]{64})/.exec(r.stdout);
  assert.ok(join, r.stdout);
  assert.equal(join[1], pilot.url);
  assert.equal(join[2], joinToken);
  joinHash = join[3]!;
  assert.equal(joinHash, caCertHash(caPem()));

  const s = await pilot.json(['get', 'secret', '-n', 'kube-system', `bootstrap-token-${m[1]}`]);
  assert.equal(s.type, 'bootstrap.kubernetes.io/token');
  const data = Object.fromEntries(Object.entries(s.data as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
  assert.equal(data['token-id'], m[1]);
  assert.equal(data['token-secret'], m[2]);
  assert.equal(data['usage-bootstrap-authentication'], 'true');
  assert.equal(data['usage-bootstrap-signing'], 'true');
  assert.equal(data['auth-extra-groups'], 'system:bootstrappers:pilot:default-node-token');
  assert.equal(data.description, 'for n1');
  const ttl = Date.parse(data.expiration!) - Date.now();
  assert.ok(ttl > 55 * 60_000 && ttl <= 3600_000, data.expiration);

  // The token itself authenticates as system:bootstrap:<id>.
  const who = await kubectlWith(writeKubeconfig(path.join(tmp, 'bootstrap.kubeconfig'), { token: joinToken }), ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const ui = JSON.parse(who.stdout).status.userInfo;
  assert.equal(ui.username, `system:bootstrap:${m[1]}`);
  assert.deepEqual(ui.groups, ['system:bootstrappers', 'system:bootstrappers:pilot:default-node-token', 'system:authenticated']);
  // It may ask for certificates, and nothing more.
  const bootstrapKubeconfig = path.join(tmp, 'bootstrap.kubeconfig');
  assert.equal((await kubectlWith(bootstrapKubeconfig, ['auth', 'can-i', 'create', 'certificatesigningrequests'])).stdout.trim(), 'yes');
  const secrets = await kubectlWith(bootstrapKubeconfig, ['get', 'secrets', '-n', 'kube-system']);
  assert.notEqual(secrets.code, 0);
  assert.match(secrets.stderr, /User "system:bootstrap:[a-z0-9]{6}" cannot list resource "secrets"/);
});

test('a node joins with the token: its CSR is auto-approved and issued; the credentials are system:node:n1; rotation renews them', async () => {
  assert.ok(joinToken, 'needs the token of the previous test');
  const dir = path.join(tmp, 'n1');
  const node = await bootstrapNodeCredentials({ server: pilot.url, token: joinToken, caCertHash: joinHash, nodeName: 'n1', dir, timeoutMs: 45_000 });
  for (const f of ['ca.crt', 'client.crt', 'client.key', 'kubeconfig']) assert.ok(fs.existsSync(path.join(dir, f)), f);
  assert.equal((fs.statSync(path.join(dir, 'client.key')).mode & 0o777), 0o600);
  const cert = new crypto.X509Certificate(node.certPem);
  assert.ok(cert.verify(new crypto.X509Certificate(caPem()).publicKey), 'issued by the cluster CA');
  // Default validity: a year (the signer's maximum), give or take the backdating.
  const days = (node.notAfter - Date.now()) / 86_400_000;
  assert.ok(days > 364 && days <= 365.01, String(days));

  const who = await kubectlWith(node.kubeconfigPath, ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  const ui = JSON.parse(who.stdout).status.userInfo;
  assert.equal(ui.username, 'system:node:n1');
  assert.deepEqual(ui.groups, ['system:nodes', 'system:authenticated']);

  const csrs = (await pilot.json(['get', 'csr'])).items as any[];
  const mine = csrs.find((c) => c.spec.username === `system:bootstrap:${joinToken.slice(0, 6)}`);
  assert.ok(mine, JSON.stringify(csrs.map((c) => c.spec.username)));
  assert.match(mine.metadata.name, /^node-csr-/);
  assert.equal(mine.spec.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
  assert.deepEqual(mine.spec.groups, ['system:bootstrappers', 'system:bootstrappers:pilot:default-node-token', 'system:authenticated']);
  const approved = mine.status.conditions.find((c: { type: string }) => c.type === 'Approved');
  assert.equal(approved.reason, 'AutoApproved');
  assert.equal(approved.message, 'Auto approving kubelet client certificate after SubjectAccessReview.');
  const table = await pilot.k(['get', 'csr', mine.metadata.name]);
  assert.match(table, /^NAME\s+AGE\s+SIGNERNAME\s+REQUESTOR\s+REQUESTEDDURATION\s+CONDITION/);
  assert.match(table, /kubernetes\.io\/kube-apiserver-client-kubelet\s+system:bootstrap:[a-z0-9]{6}\s+<none>\s+Approved,Issued/);

  // Renewal with the node's own certificate: approved as selfnodeclient.
  const firstPem = node.certPem;
  const renewed = await node.rotate();
  assert.notEqual(renewed.certPem, firstPem);
  assert.equal(node.certPem, renewed.certPem, 'the node object carries the current credentials');
  assert.equal(fs.readFileSync(path.join(dir, 'client.crt'), 'utf8'), renewed.certPem);
  assert.notEqual(new crypto.X509Certificate(renewed.certPem).serialNumber, cert.serialNumber);
  const who2 = await kubectlWith(renewed.kubeconfigPath, ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
  assert.equal(who2.stdout, 'system:node:n1', who2.stderr);
  const self = ((await pilot.json(['get', 'csr'])).items as any[]).find((c) => c.spec.username === 'system:node:n1');
  assert.ok(self);
  assert.equal(self.status.conditions.find((c: { type: string }) => c.type === 'Approved').message, 'Auto approving self kubelet client certificate after SubjectAccessReview.');

  // Started again with valid credentials in its dir, the node keeps them (no new CSR).
  const count = ((await pilot.json(['get', 'csr'])).items as unknown[]).length;
  const again = await bootstrapNodeCredentials({ server: pilot.url, token: 'aaaaaa.bbbbbbbbbbbbbbbb', caCertHash: joinHash, nodeName: 'n1', dir });
  assert.equal(again.certPem, renewed.certPem);
  assert.equal(((await pilot.json(['get', 'csr'])).items as unknown[]).length, count);
});

test('a node\'s serving certificate (kubelet-serving) waits for an administrator, then serves TLS that the cluster CA verifies', async () => {
  const node = await bootstrapNodeCredentials({ server: pilot.url, token: joinToken, caCertHash: joinHash, nodeName: 'n1', dir: path.join(tmp, 'n1') });
  const pending = requestServingCertificate(node, { nodeName: 'n1', dnsNames: ['n1.example'], ips: ['127.0.0.1'], timeoutMs: 45_000 });
  const name = await poll('the serving CSR', async () => ((await pilot.json(['get', 'csr'])).items as any[])
    .find((c) => c.spec.signerName === 'kubernetes.io/kubelet-serving' && c.spec.username === 'system:node:n1')?.metadata.name as string | undefined);
  // Not auto-approved (as upstream): the SANs are the node's own claim.
  assert.equal((await pilot.json(['get', 'csr', name])).status.conditions, undefined);
  await pilot.k(['certificate', 'approve', name]);
  const serving = await pending;
  const cert = new crypto.X509Certificate(serving.certPem);
  assert.equal(cert.subjectAltName, 'DNS:n1.example, IP Address:127.0.0.1');
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem }, (_q, r) => r.end('kubelet'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const body = await new Promise<string>((resolve, reject) => {
      https.get({ host: '127.0.0.1', port, ca: caPem(), servername: 'n1.example', path: '/' }, (res) => {
        let b = ''; res.on('data', (d: Buffer) => { b += d.toString(); }); res.on('end', () => resolve(b));
      }).on('error', reject);
    });
    assert.equal(body, 'kubelet');
  } finally {
    server.close();
    server.closeAllConnections();
  }
});

test('rotation: a short-lived certificate is renewed at 80% of its lifetime with the node\'s own certificate', async () => {
  assert.ok(joinToken, 'needs the token of the first test');
  const clock = new FakeClock(Date.now());
  const rotated: string[] = [];
  const errors: unknown[] = [];
  const node = await bootstrapNodeCredentials({ server: pilot.url, token: joinToken, caCertHash: joinHash, nodeName: 'n3', dir: path.join(tmp, 'n3'), expirationSeconds: 600, clock });
  // 10 minutes asked, valid from 5 minutes back: renewal is due at 80% of 15 minutes from notBefore.
  assert.equal(node.notAfter - node.notBefore, 15 * 60_000);
  const handle = node.startRotation({ onRotated: (c) => rotated.push(c.certPem), onError: (e) => errors.push(e) });
  try {
    await clock.advance(node.notBefore + 12 * 60_000 - clock.now() - 1000);
    assert.deepEqual(rotated, [], 'not before 80%');
    await clock.advance(1000);
    await poll('the rotation', async () => (rotated.length || errors.length ? true : undefined));
    assert.deepEqual(errors, []);
    assert.notEqual(rotated[0], undefined);
    const who = await kubectlWith(path.join(tmp, 'n3', 'kubeconfig'), ['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}']);
    assert.equal(who.stdout, 'system:node:n3', who.stderr);
    assert.equal(fs.readFileSync(path.join(tmp, 'n3', 'client.crt'), 'utf8'), rotated[0]);
  } finally {
    handle.dispose();
  }
});

test('an expired token is refused (401) and cleaned up; wrong and unknown tokens too; a wrong CA hash stops the join', async () => {
  const past = new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const secret = {
    apiVersion: 'v1', kind: 'Secret', type: 'bootstrap.kubernetes.io/token',
    metadata: { name: 'bootstrap-token-exp123', namespace: 'kube-system' },
    stringData: { 'token-id': 'exp123', 'token-secret': '0123456789abcdef', expiration: past, 'usage-bootstrap-authentication': 'true', 'auth-extra-groups': 'system:bootstrappers:pilot:default-node-token' },
  };
  await pilot.k(['apply', '-f', '-'], { input: JSON.stringify(secret) });
  const join = (token: string, hash = joinHash) => bootstrapNodeCredentials({ server: pilot.url, token, caCertHash: hash, nodeName: 'n2', dir: path.join(tmp, 'n2'), timeoutMs: 20_000 });
  await assert.rejects(join('exp123.0123456789abcdef'), (e: unknown) => e instanceof ApiError && e.code === 401);
  await assert.rejects(join(`${joinToken.slice(0, 7)}ffffffffffffffff`), (e: unknown) => e instanceof ApiError && e.code === 401);
  await assert.rejects(join('zzzzzz.0123456789abcdef'), (e: unknown) => e instanceof ApiError && e.code === 401);
  await assert.rejects(join(joinToken, `sha256:${'0'.repeat(64)}`), /matches the CA certificate hash/);
  assert.ok(!fs.existsSync(path.join(tmp, 'n2', 'client.crt')));
  // The token cleaner deletes the expired token's Secret.
  await poll('the expired bootstrap token secret to be deleted', async () =>
    (await pilot.kubectl(['get', 'secret', '-n', 'kube-system', 'bootstrap-token-exp123'])).code !== 0 ? true : undefined);
});

async function createUserCsr(name: string, cn: string, orgs: string[]): Promise<string> {
  const { csrPem, keyPem } = await newCsr(cn, orgs);
  await pilot.k(['create', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
    spec: { request: b64(csrPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'], expirationSeconds: 3600,
      // Claimed by the client, replaced by the server with who really asked.
      username: 'someone-else', groups: ['system:masters'] },
  }) });
  return keyPem;
}

async function issuedCert(name: string): Promise<string> {
  return poll(`the certificate of ${name}`, async () => {
    const c = await pilot.json(['get', 'csr', name]);
    return c.status?.certificate ? Buffer.from(c.status.certificate, 'base64').toString() : undefined;
  });
}

test('kubectl certificate approve: a person\'s CSR waits for approval, then its certificate works; approving needs approve on the signer', async () => {
  const aliceKey = await createUserCsr('alice', 'alice', ['devs']);
  const csr = await pilot.json(['get', 'csr', 'alice']);
  assert.equal(csr.spec.username, 'admin');
  assert.deepEqual(csr.spec.groups, ['system:masters', 'system:authenticated']);
  assert.match(await pilot.k(['get', 'csr', 'alice']), /alice\s+\S+\s+kubernetes\.io\/kube-apiserver-client\s+admin\s+60m\s+Pending/);

  assert.match(await pilot.k(['certificate', 'approve', 'alice']), /certificatesigningrequest.certificates.k8s.io\/alice approved/);
  const aliceCert = await issuedCert('alice');
  const approved = (await pilot.json(['get', 'csr', 'alice'])).status.conditions[0];
  assert.equal(approved.type, 'Approved');
  assert.equal(approved.reason, 'KubectlApprove');
  const c = new crypto.X509Certificate(aliceCert);
  const hours = (Date.parse(c.validTo) - Date.now()) / 3_600_000;
  assert.ok(hours > 0.95 && hours <= 1.0, `expirationSeconds honoured: ${hours}h`);
  const who = await kubectlWith(writeKubeconfig(path.join(tmp, 'alice.kubeconfig'), { certPem: aliceCert, keyPem: aliceKey }), ['auth', 'whoami', '-o', 'json']);
  assert.equal(who.code, 0, who.stderr);
  assert.equal(JSON.parse(who.stdout).status.userInfo.username, 'alice');
  assert.deepEqual(JSON.parse(who.stdout).status.userInfo.groups, ['devs', 'system:authenticated']);

  // bob may update CSR approvals but holds no `approve` on any signer: refused.
  const bobKey = await createUserCsr('bob', 'bob', []);
  await pilot.k(['certificate', 'approve', 'bob']);
  const bob = writeKubeconfig(path.join(tmp, 'bob.kubeconfig'), { certPem: await issuedCert('bob'), keyPem: bobKey });
  await pilot.k(['create', 'clusterrole', 'csr-approver', '--verb=get,list,watch', '--resource=certificatesigningrequests']);
  await pilot.k(['patch', 'clusterrole', 'csr-approver', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/rules/-', value: { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval'], verbs: ['update'] } }])]);
  await pilot.k(['create', 'clusterrolebinding', 'bob-csr-approver', '--clusterrole=csr-approver', '--user=bob']);
  await createUserCsr('carol', 'carol', []);
  const denied = await poll('bob\'s RBAC to apply', async () => {
    const r = await kubectlWith(bob, ['certificate', 'approve', 'carol']);
    return /user not permitted to approve requests with signerName "kubernetes.io\/kube-apiserver-client"/.test(r.stderr) ? r : undefined;
  });
  assert.notEqual(denied.code, 0);
  assert.equal((await pilot.json(['get', 'csr', 'carol'])).status.conditions, undefined);
  // `approve` on every signer of the domain (`kubernetes.io/*`) is enough.
  await pilot.k(['patch', 'clusterrole', 'csr-approver', '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/rules/-', value: { apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/*'], verbs: ['approve'] } }])]);
  await poll('bob to approve carol', async () => ((await kubectlWith(bob, ['certificate', 'approve', 'carol'])).code === 0 ? true : undefined));
  await issuedCert('carol');

  // Deny: the Denied condition, and the signer leaves it alone.
  await createUserCsr('dave', 'dave', []);
  assert.match(await pilot.k(['certificate', 'deny', 'dave']), /certificatesigningrequest.certificates.k8s.io\/dave denied/);
  const dave = await pilot.json(['get', 'csr', 'dave']);
  assert.deepEqual(dave.status.conditions.map((x: { type: string; reason: string }) => [x.type, x.reason]), [['Denied', 'KubectlDeny']]);
  assert.match(await pilot.k(['get', 'csr', 'dave']), /\sDenied\s*$/m);
  // A decision is final: Approved and Denied exclude each other.
  const both = await pilot.kubectl(['certificate', 'approve', 'dave']);
  assert.notEqual(both.code, 0);
});

test('CSR validation: a request that is not a PEM CSR, a missing signer, system:masters from the client signer', async () => {
  const bad = await pilot.kubectl(['create', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'bad' },
    spec: { request: b64('not a csr'), usages: ['client auth'] },
  }) });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /spec.request: Invalid value/);
  assert.match(bad.stderr, /spec.signerName: Required value/);
  const { csrPem } = await newCsr('root', ['system:masters']);
  const masters = await pilot.kubectl(['create', '-f', '-'], { input: JSON.stringify({
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'masters' },
    spec: { request: b64(csrPem), signerName: 'kubernetes.io/kube-apiserver-client', usages: ['client auth'] },
  }) });
  assert.notEqual(masters.code, 0);
  assert.match(masters.stderr, /use of kubernetes.io\/kube-apiserver-client signer with system:masters group is not allowed/);
});

test('pilot token list and delete', async () => {
  const created = await pilotCli(['token', 'create', 'abcdef.0123456789abcdef', '--ttl', '0', '--description', 'forever']);
  assert.equal(created.code, 0, created.stderr);
  const list = await pilotCli(['token', 'list']);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS/);
  assert.match(list.stdout, /abcdef\.0123456789abcdef\s+<forever>\s+<never>\s+authentication,signing\s+forever\s+system:bootstrappers:pilot:default-node-token/);
  assert.match(list.stdout, new RegExp(`${joinToken.replace('.', '\\.')}\\s+(59m|60m|\\d+m)\\s+\\S+Z\\s+authentication,signing\\s+for n1`));
  const del = await pilotCli(['token', 'delete', 'abcdef']);
  assert.equal(del.code, 0, del.stderr);
  assert.match(del.stdout, /bootstrap token "abcdef" deleted/);
  assert.notEqual((await pilot.kubectl(['get', 'secret', '-n', 'kube-system', 'bootstrap-token-abcdef'])).code, 0);
  const again = await pilotCli(['token', 'delete', 'abcdef']);
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /not found/);
});
