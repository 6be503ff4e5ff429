import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { once } from 'node:events';
import { ensurePki, issueClientCert, certSans, servingSans, KUBERNETES_SERVICE_IP } from './pki.ts';

function tmpDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-pki-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

test('first start creates a CA, serving, admin and SA keys with private modes', async (t) => {
  const dir = tmpDir(t);
  const pki = await ensurePki(dir, { hosts: ['pilot.example'], ips: ['192.0.2.7'] });
  assert.equal(pki.dir, path.join(dir, 'tls'));
  for (const f of ['ca.key', 'apiserver.key', 'admin.key', 'sa.key']) {
    assert.equal(fs.statSync(path.join(pki.dir, f)).mode & 0o777, 0o600, f);
  }
  for (const f of ['ca.crt', 'apiserver.crt', 'admin.crt', 'sa.pub']) assert.ok(fs.existsSync(path.join(pki.dir, f)), f);

  const ca = new crypto.X509Certificate(pki.caCertPem);
  assert.ok(ca.ca);
  assert.match(ca.subject, /CN=pilot-ca/);
  assert.ok(Date.parse(ca.validTo) - Date.now() > 9 * 365 * 86_400_000, 'CA valid ~10 years');

  // Keys load in Node as PKCS#8 and match their certificates.
  for (const pem of [pki.caKeyPem, pki.servingKeyPem, pki.adminKeyPem, pki.saPrivateKeyPem]) {
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----/);
    const k = crypto.createPrivateKey(pem);
    assert.equal(k.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  }
  const serving = new crypto.X509Certificate(pki.servingCertPem);
  assert.ok(serving.checkIssued(ca) && serving.verify(ca.publicKey));
  assert.ok(serving.checkPrivateKey(crypto.createPrivateKey(pki.servingKeyPem)));

  const sans = certSans(pki.servingCertPem);
  for (const d of ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc',
    'kubernetes.default.svc.cluster.local', os.hostname().toLowerCase(), 'pilot.example']) assert.ok(sans.dns.has(d), d);
  for (const ip of ['127.0.0.1', '::1', KUBERNETES_SERVICE_IP, '192.0.2.7']) assert.ok(sans.ips.has(ip), ip);
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal && a.family === 'IPv4') assert.ok(sans.ips.has(a.address), a.address);
  }

  const admin = new crypto.X509Certificate(pki.adminCertPem);
  assert.ok(admin.verify(ca.publicKey));
  assert.match(admin.subject, /O=system:masters/);
  assert.match(admin.subject, /CN=admin/);

  // The SA pair is a working ES256 pair.
  const sig = crypto.sign('sha256', Buffer.from('x'), pki.saPrivateKeyPem);
  assert.ok(crypto.verify('sha256', Buffer.from('x'), pki.saPublicKeyPem, sig));
});

test('a restart reuses everything; new SANs re-issue only the serving certificate', async (t) => {
  const dir = tmpDir(t);
  const a = await ensurePki(dir, { hosts: [], ips: [] });
  const b = await ensurePki(dir, { hosts: [], ips: [] });
  assert.deepEqual(b, a);

  const c = await ensurePki(dir, { hosts: ['new.example', '198.51.100.9'], ips: ['2001:db8::0:0:1'] });
  assert.equal(c.caCertPem, a.caCertPem);
  assert.equal(c.adminCertPem, a.adminCertPem);
  assert.equal(c.saPrivateKeyPem, a.saPrivateKeyPem);
  assert.notEqual(c.servingCertPem, a.servingCertPem);
  const sans = certSans(c.servingCertPem);
  assert.ok(sans.dns.has('new.example'));
  assert.ok(sans.ips.has('198.51.100.9'), 'an address given as a host is an IP SAN');
  assert.ok(sans.ips.has('2001:db8::1'));

  // A subset of what is covered changes nothing.
  const d = await ensurePki(dir, { hosts: ['new.example'], ips: [] });
  assert.equal(d.servingCertPem, c.servingCertPem);
});

test('a lost CA re-issues every certificate but keeps the SA keys', async (t) => {
  const dir = tmpDir(t);
  const a = await ensurePki(dir, { hosts: [], ips: [] });
  fs.rmSync(path.join(a.dir, 'ca.key'));
  const b = await ensurePki(dir, { hosts: [], ips: [] });
  assert.notEqual(b.caCertPem, a.caCertPem);
  assert.notEqual(b.servingCertPem, a.servingCertPem);
  assert.notEqual(b.adminCertPem, a.adminCertPem);
  assert.equal(b.saPrivateKeyPem, a.saPrivateKeyPem);
  assert.ok(new crypto.X509Certificate(b.adminCertPem).verify(new crypto.X509Certificate(b.caCertPem).publicKey));
});

test('a certificate close to expiry is re-issued at start', async (t) => {
  const dir = tmpDir(t);
  const a = await ensurePki(dir, { hosts: [], ips: [] });
  const short = await issueClientCert(a, { cn: 'admin', orgs: ['system:masters'], days: 10 });
  fs.writeFileSync(path.join(a.dir, 'admin.crt'), short.certPem);
  fs.writeFileSync(path.join(a.dir, 'admin.key'), short.keyPem);
  const b = await ensurePki(dir, { hosts: [], ips: [] });
  assert.notEqual(b.adminCertPem, short.certPem);
  assert.ok(Date.parse(new crypto.X509Certificate(b.adminCertPem).validTo) - Date.now() > 300 * 86_400_000);
});

test('issueClientCert: CN and several O, signed by the CA, valid for the asked days', async (t) => {
  const pki = await ensurePki(tmpDir(t), { hosts: [], ips: [] });
  const { certPem, keyPem } = await issueClientCert(pki, { cn: 'system:node:worker-1', orgs: ['system:nodes', 'extra'], days: 30 });
  const cert = new crypto.X509Certificate(certPem);
  assert.ok(cert.verify(new crypto.X509Certificate(pki.caCertPem).publicKey));
  assert.ok(cert.checkPrivateKey(crypto.createPrivateKey(keyPem)));
  assert.match(cert.subject, /CN=system:node:worker-1/);
  assert.match(cert.subject, /O=system:nodes/);
  assert.match(cert.subject, /O=extra/);
  const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
  assert.ok(days > 29 && days <= 30.1, String(days));
  await assert.rejects(issueClientCert(pki, { cn: '' }));
});

test('servingSans rejects a non-address in ips', () => {
  assert.throws(() => servingSans({ hosts: [], ips: ['not-an-ip'] }), /not an IP address/);
});

test('servingSans takes --tls-san names and addresses, and refuses anything else', () => {
  const sans = servingSans({ hosts: ['API.example.com', '*.lb.example.com', '203.0.113.7'], ips: [] });
  assert.ok(sans.dns.includes('api.example.com') && sans.dns.includes('*.lb.example.com'));
  assert.ok(sans.ips.includes('203.0.113.7') && !sans.dns.includes('203.0.113.7'));
  for (const bad of ['under_score.example', 'a..b', 'http://x', '-lead.example']) {
    assert.throws(() => servingSans({ hosts: [bad], ips: [] }), /not a DNS name or IP address/, bad);
  }
});

test('a serving certificate made without a --tls-san name is reissued to cover it', async (t) => {
  const dir = tmpDir(t);
  const a = await ensurePki(dir, { hosts: [], ips: [] });
  assert.ok(!certSans(a.servingCertPem).dns.has('pilot.example.org'));
  const b = await ensurePki(dir, { hosts: ['pilot.example.org'], ips: [] });
  assert.ok(certSans(b.servingCertPem).dns.has('pilot.example.org'));
  assert.equal(b.caCertPem, a.caCertPem, 'same CA: existing kubeconfigs keep working');
});

test('Node tls accepts the serving certificate by name and by address', async (t) => {
  const pki = await ensurePki(tmpDir(t), { hosts: [], ips: [] });
  const server = tls.createServer({ cert: pki.servingCertPem, key: pki.servingKeyPem }, (s) => s.end('ok'));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const port = (server.address() as { port: number }).port;
  for (const servername of [undefined, 'kubernetes.default.svc', 'localhost']) {
    const s = tls.connect({ host: '127.0.0.1', port, ca: [pki.caCertPem], ...(servername ? { servername } : {}) });
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    await once(s, 'end');
    assert.equal(Buffer.concat(chunks).toString(), 'ok');
    s.destroy();
  }
});
