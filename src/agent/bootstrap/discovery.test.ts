// Discovery of the cluster CA by hash, against a TLS server that presents its
// chain (as Pilot's apiserver does), and the rotation schedule.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import { ensurePki, type Pki } from '../../server/pki.ts';
import { caCertHash, discoverClusterCA, parseCaCertHash } from './discovery.ts';
import { rotationDelay } from './credentials.ts';

let dir: string;
let pki: Pki;
let other: Pki;
const servers: https.Server[] = [];

async function serve(cert: string, key: string): Promise<string> {
  const s = https.createServer({ cert, key }, (_req, res) => res.end('ok'));
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-discovery-'));
  pki = await ensurePki(path.join(dir, 'a'), { hosts: [], ips: [] });
  other = await ensurePki(path.join(dir, 'b'), { hosts: [], ips: [] });
});
after(() => {
  for (const s of servers) { s.close(); s.closeAllConnections(); }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('caCertHash is kubeadm\'s: sha256 of the DER SubjectPublicKeyInfo', () => {
  const caFile = path.join(pki.dir, 'ca.crt');
  // openssl x509 -pubkey | openssl pkey -pubin -outform der | sha256sum — kubeadm's documented recipe.
  const pub = execFileSync('openssl', ['x509', '-pubkey', '-noout', '-in', caFile]);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const want = execFileSync('openssl', ['dgst', '-sha256', '-hex'], { input: der }).toString().trim().split(/\s+/).at(-1);
  assert.equal(caCertHash(pki.caCertPem), `sha256:${want}`);
  assert.equal(parseCaCertHash(`sha256:${want!.toUpperCase()}`), `sha256:${want}`);
  assert.throws(() => parseCaCertHash('md5:abc'), /invalid CA certificate hash/);
});

test('the CA comes from the server\'s TLS chain when its key matches the hash; otherwise the join stops', async () => {
  const url = await serve(pki.servingCertPem + pki.caCertPem, pki.servingKeyPem);
  assert.equal(await discoverClusterCA(url, { caCertHash: caCertHash(pki.caCertPem) }), pki.caCertPem);
  await assert.rejects(discoverClusterCA(url, { caCertHash: caCertHash(other.caCertPem) }), /matches the CA certificate hash/);
  await assert.rejects(discoverClusterCA(url, {}), /hash is required/);
  assert.equal(await discoverClusterCA(url, { unsafeSkipCAVerification: true }), pki.caCertPem);
  // A server attaching someone else's CA to its own certificate is caught too (the CA is not its issuer).
  const forged = await serve(other.servingCertPem + pki.caCertPem, other.servingKeyPem);
  await assert.rejects(discoverClusterCA(forged, { caCertHash: caCertHash(pki.caCertPem) }), /matches the CA certificate hash|not signed by the CA/);
  // A server sending only its leaf offers nothing to trust.
  const leafOnly = await serve(pki.servingCertPem, pki.servingKeyPem);
  await assert.rejects(discoverClusterCA(leafOnly, { caCertHash: caCertHash(pki.caCertPem) }), /matches the CA certificate hash/);
});

test('rotation happens at 80% of the certificate\'s lifetime', () => {
  assert.equal(rotationDelay({ notBefore: 0, notAfter: 1000 }, 0), 800);
  assert.equal(rotationDelay({ notBefore: 0, notAfter: 1000 }, 500), 300);
  assert.equal(rotationDelay({ notBefore: 0, notAfter: 1000 }, 900), 0);
});
