// Signing a CertificateSigningRequest with the cluster CA (upstream's
// pkg/controller/certificates/signer): which requests each well-known signer
// accepts, and the certificate it issues — the CSR's subject, SANs and public
// key, the requested usages, valid from 5 minutes ago (clock skew) for
// expirationSeconds (at least 10 minutes) capped by the signer's maximum and
// by the CA's own end.

import * as crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export const KUBE_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const KUBE_APISERVER_CLIENT_KUBELET = 'kubernetes.io/kube-apiserver-client-kubelet';
export const KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const LEGACY_UNKNOWN = 'kubernetes.io/legacy-unknown';

/** The signers this controller signs for (legacy-unknown is never signed, as upstream). */
export const SIGNERS = [KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING];

export const DEFAULT_SIGNING_DURATION_MS = 365 * 24 * 3_600_000;
const MIN_DURATION_MS = 600_000;
const BACKDATE_MS = 5 * 60_000;
const SAN_OID = '2.5.29.17';

export interface CsrSpecLike {
  request?: string;
  signerName?: string;
  usages?: string[];
  expirationSeconds?: number;
}

/** spec.request (base64 of PEM) parsed; throws with a readable reason. */
export function parseCsr(requestB64: string | undefined): x509.Pkcs10CertificateRequest {
  if (!requestB64) throw new Error('the request is empty');
  const pem = Buffer.from(requestB64, 'base64').toString('utf8');
  const m = /-----BEGIN CERTIFICATE REQUEST-----([\s\S]*?)-----END CERTIFICATE REQUEST-----/.exec(pem);
  if (!m) throw new Error('PEM block type must be CERTIFICATE REQUEST');
  return new x509.Pkcs10CertificateRequest(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

export interface CsrFacts {
  cn: string;
  orgs: string[];
  dns: string[];
  ips: string[];
  emails: string[];
  uris: string[];
}

export function csrFacts(csr: x509.Pkcs10CertificateRequest): CsrFacts {
  const facts: CsrFacts = { cn: csr.subjectName.getField('CN')[0] ?? '', orgs: csr.subjectName.getField('O'), dns: [], ips: [], emails: [], uris: [] };
  const ext = csr.extensions.find((e) => e.type === SAN_OID);
  if (ext) {
    const san = ext instanceof x509.SubjectAlternativeNameExtension ? ext : new x509.SubjectAlternativeNameExtension(ext.rawData);
    for (const n of san.names.toJSON()) {
      if (n.type === 'dns') facts.dns.push(n.value);
      else if (n.type === 'ip') facts.ips.push(n.value);
      else if (n.type === 'email') facts.emails.push(n.value);
      else if (n.type === 'url') facts.uris.push(n.value);
    }
  }
  return facts;
}

const sameSet = (a: string[], b: string[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Why `signerName` refuses this request (upstream's per-signer checks), or
 * undefined when it may be signed. `usages` must be allowed by the signer and
 * include its essential one.
 */
export function signerRefusal(signerName: string, f: CsrFacts, usages: string[]): string | undefined {
  const usageCheck = (allowed: string[], must: string): string | undefined => {
    const bad = usages.filter((u) => !allowed.includes(u));
    if (bad.length) return `usages did not match ${JSON.stringify(allowed)}: ${JSON.stringify(bad)} not allowed`;
    if (!usages.includes(must)) return `usages must include ${JSON.stringify(must)}`;
    return undefined;
  };
  switch (signerName) {
    case KUBE_APISERVER_CLIENT:
      if (f.orgs.includes('system:masters')) return 'use of kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed';
      return usageCheck(['digital signature', 'key encipherment', 'client auth'], 'client auth');
    case KUBE_APISERVER_CLIENT_KUBELET:
      if (!sameSet(f.orgs, ['system:nodes'])) return 'subject organization is not system:nodes';
      if (!f.cn.startsWith('system:node:') || f.cn === 'system:node:') return 'subject common name does not begin with system:node:';
      if (f.dns.length || f.ips.length || f.emails.length || f.uris.length) return 'DNS, email, IP and URI subjectAltNames are not allowed';
      return usageCheck(['digital signature', 'key encipherment', 'client auth'], 'client auth');
    case KUBELET_SERVING:
      if (!sameSet(f.orgs, ['system:nodes'])) return 'subject organization is not system:nodes';
      if (!f.cn.startsWith('system:node:') || f.cn === 'system:node:') return 'subject common name does not begin with system:node:';
      if (!f.dns.length && !f.ips.length) return 'DNS or IP subjectAltName is required';
      if (f.emails.length || f.uris.length) return 'email and URI subjectAltNames are not allowed';
      return usageCheck(['digital signature', 'key encipherment', 'server auth'], 'server auth');
    default:
      return `signer ${JSON.stringify(signerName)} is not served by this signer`;
  }
}

/** Upstream's duration: expirationSeconds (never under 10 minutes) capped by the signer's maximum. */
export function certificateDurationMs(expirationSeconds: number | undefined, maxMs: number): number {
  if (expirationSeconds === undefined || expirationSeconds === null) return maxMs;
  return Math.min(maxMs, Math.max(expirationSeconds * 1000, MIN_DURATION_MS));
}

export interface SigningCA {
  cert: x509.X509Certificate;
  key: CryptoKey;
  alg: EcdsaParams | Algorithm;
}

/** Loads the signing CA from PEM (ECDSA or RSA key). */
export async function loadSigningCA(certPem: string, keyPem: string): Promise<SigningCA> {
  const cert = new x509.X509Certificate(certPem);
  const k = crypto.createPrivateKey(keyPem);
  const der = k.export({ type: 'pkcs8', format: 'der' });
  if (k.asymmetricKeyType === 'ec') {
    const curve = ({ prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' } as Record<string, string>)[k.asymmetricKeyDetails?.namedCurve ?? ''];
    if (!curve) throw new Error(`unsupported CA key curve ${k.asymmetricKeyDetails?.namedCurve}`);
    const hash = curve === 'P-256' ? 'SHA-256' : curve === 'P-384' ? 'SHA-384' : 'SHA-512';
    const alg = { name: 'ECDSA', namedCurve: curve, hash };
    return { cert, alg, key: await crypto.webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']) as CryptoKey };
  }
  if (k.asymmetricKeyType === 'rsa') {
    const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    return { cert, alg, key: await crypto.webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']) as CryptoKey };
  }
  throw new Error(`unsupported CA key type ${k.asymmetricKeyType}`);
}

const KEY_USAGE: Record<string, number> = {
  'signing': x509.KeyUsageFlags.digitalSignature,
  'digital signature': x509.KeyUsageFlags.digitalSignature,
  'content commitment': x509.KeyUsageFlags.nonRepudiation,
  'key encipherment': x509.KeyUsageFlags.keyEncipherment,
  'key agreement': x509.KeyUsageFlags.keyAgreement,
  'data encipherment': x509.KeyUsageFlags.dataEncipherment,
  'cert sign': x509.KeyUsageFlags.keyCertSign,
  'crl sign': x509.KeyUsageFlags.cRLSign,
  'encipher only': x509.KeyUsageFlags.encipherOnly,
  'decipher only': x509.KeyUsageFlags.decipherOnly,
};
const EXT_KEY_USAGE: Record<string, string> = {
  'any': '2.5.29.37.0',
  'server auth': x509.ExtendedKeyUsage.serverAuth,
  'client auth': x509.ExtendedKeyUsage.clientAuth,
  'code signing': x509.ExtendedKeyUsage.codeSigning,
  'email protection': x509.ExtendedKeyUsage.emailProtection,
  's/mime': x509.ExtendedKeyUsage.emailProtection,
  'ipsec end system': '1.3.6.1.5.5.7.3.5',
  'ipsec tunnel': '1.3.6.1.5.5.7.3.6',
  'ipsec user': '1.3.6.1.5.5.7.3.7',
  'timestamping': x509.ExtendedKeyUsage.timeStamping,
  'ocsp signing': x509.ExtendedKeyUsage.ocspSigning,
  'microsoft sgc': '1.3.6.1.4.1.311.10.3.3',
  'netscape sgc': '2.16.840.1.113730.4.1',
};

/**
 * Issues the certificate for an approved request: PEM of the leaf. The caller
 * has checked the signer's rules (signerRefusal) and the request's signature.
 */
export async function signCertificate(ca: SigningCA, csr: x509.Pkcs10CertificateRequest, opts: {
  usages: string[]; nowMs: number; durationMs: number;
}): Promise<string> {
  const f = csrFacts(csr);
  let flags = 0;
  for (const u of opts.usages) flags |= KEY_USAGE[u] ?? 0;
  const eku = opts.usages.map((u) => EXT_KEY_USAGE[u]).filter((x): x is string => !!x);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  // As Go's x509: no KeyUsage extension at all rather than an empty one (which verifiers reject).
  if (flags) extensions.push(new x509.KeyUsagesExtension(flags, true));
  if (eku.length) extensions.push(new x509.ExtendedKeyUsageExtension(eku));
  const sans = [
    ...f.dns.map((value) => ({ type: 'dns' as const, value })),
    ...f.ips.map((value) => ({ type: 'ip' as const, value })),
    ...f.emails.map((value) => ({ type: 'email' as const, value })),
    ...f.uris.map((value) => ({ type: 'url' as const, value })),
  ];
  if (sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(sans));
  const serial = crypto.randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  const notAfter = Math.min(opts.nowMs + opts.durationMs, ca.cert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial.toString('hex'),
    subject: csr.subjectName,
    issuer: ca.cert.subjectName,
    notBefore: new Date(opts.nowMs - BACKDATE_MS),
    notAfter: new Date(notAfter),
    publicKey: csr.publicKey,
    signingKey: ca.key,
    signingAlgorithm: ca.alg,
    extensions,
  });
  return cert.toString('pem') + '\n';
}
