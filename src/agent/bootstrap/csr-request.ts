// One certificate through the certificates API: a fresh ECDSA P-256 key, a
// CSR for it, the CertificateSigningRequest object, and the wait until the
// signer issues the certificate (or the request is Denied or Failed).

import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { RestClient, type ClientConfig } from '../../client/index.ts';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

const ALG: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

export interface CertificateRequest {
  /** Subject: CN and O (groups). */
  cn: string;
  orgs: string[];
  dnsNames?: string[];
  ips?: string[];
  signerName: string;
  usages: string[];
  /** metadata.generateName of the request object. */
  generateName: string;
  expirationSeconds?: number;
  timeoutMs: number;
  log?: (msg: string) => void;
}

export interface IssuedCertificate { name: string; certPem: string; keyPem: string }

/** Submits the request with `cfg`'s credentials and waits for the certificate; checks it chains to `caPem` and fits the key. */
export async function requestCertificate(cfg: ClientConfig, caPem: string, r: CertificateRequest): Promise<IssuedCertificate> {
  const keys = await crypto.webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as CryptoKeyPair;
  const sans = [...(r.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })), ...(r.ips ?? []).map((value) => ({ type: 'ip' as const, value }))];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [...r.orgs.map((o) => ({ O: [o] })), { CN: [r.cn] }],
    keys, signingAlgorithm: ALG,
    extensions: sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [],
  });
  const keyDer = await crypto.webcrypto.subtle.exportKey('pkcs8', keys.privateKey as crypto.webcrypto.CryptoKey);
  const keyPem = x509.PemConverter.encode(keyDer, 'PRIVATE KEY') + '\n';
  const client = new RestClient(cfg, { userAgent: `pilot-agent/bootstrap (${process.platform}/${process.arch})`, maxRetries: 1 });
  try {
    const csrs = client.resource<CsrObject>('certificates.k8s.io/v1', 'CertificateSigningRequest');
    const created = await csrs.create({
      apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest',
      metadata: { generateName: r.generateName },
      spec: {
        request: Buffer.from(csr.toString('pem'), 'utf8').toString('base64'),
        signerName: r.signerName,
        usages: r.usages,
        ...(r.expirationSeconds !== undefined ? { expirationSeconds: r.expirationSeconds } : {}),
      },
    });
    const name = created.metadata!.name!;
    r.log?.(`waiting for CertificateSigningRequest ${name} to be approved and issued`);
    const certPem = await waitForCertificate(() => csrs.get(name), r.timeoutMs, name);
    const cert = new crypto.X509Certificate(certPem);
    if (!cert.verify(new crypto.X509Certificate(caPem).publicKey)) throw new Error(`the certificate issued for ${name} is not signed by the cluster CA`);
    if (!cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) throw new Error(`the certificate issued for ${name} is not for the key that asked`);
    return { name, certPem, keyPem };
  } finally {
    client.close();
  }
}

interface CsrObject {
  apiVersion?: string; kind?: string;
  metadata?: { name?: string; generateName?: string };
  spec: Record<string, unknown>;
  status?: { certificate?: string; conditions?: { type: string; reason?: string; message?: string }[] };
}

async function waitForCertificate(get: () => Promise<CsrObject>, timeoutMs: number, name: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 200; ; delay = Math.min(delay * 2, 2_000)) {
    const csr = await get();
    const bad = (csr.status?.conditions ?? []).find((c) => c.type === 'Denied' || c.type === 'Failed');
    if (bad) throw new Error(`CertificateSigningRequest ${name} was ${bad.type === 'Denied' ? 'denied' : 'not signed'}: ${bad.reason ?? ''} ${bad.message ?? ''}`.trim());
    if (csr.status?.certificate) return Buffer.from(csr.status.certificate, 'base64').toString('utf8');
    if (Date.now() >= deadline) throw new Error(`timed out waiting for CertificateSigningRequest ${name} to be approved and issued`);
    await new Promise<void>((resolve) => setTimeout(resolve, delay));
  }
}
