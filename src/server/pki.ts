// The cluster's PKI: one CA made at first start, and the certificates and keys
// signed by it. Everything lives under `<dataDir>/tls/` so a restart reuses it —
// a new CA would invalidate every kubeconfig and node certificate handed out.
//
// Keys are ECDSA P-256: generation takes a millisecond (RSA-2048 takes ~100 ms),
// and Go's crypto/tls (kubectl), Node's tls and OpenSSL all accept them.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as net from 'node:net';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(crypto.webcrypto as unknown as Crypto);

export type Pki = {
  caCertPem: string; caKeyPem: string;
  servingCertPem: string; servingKeyPem: string;
  adminCertPem: string; adminKeyPem: string;
  /** Service-account token signing keys (ES256), PEM: SPKI public, PKCS#8 private. */
  saPublicKeyPem: string; saPrivateKeyPem: string;
  /** `<dataDir>/tls` */
  dir: string;
};

/**
 * What every server of one cluster must hold alike: the CA that signs (and verifies)
 * every certificate, and the key pair that signs (and verifies) service-account tokens.
 */
export interface ClusterSecrets {
  caCertPem: string; caKeyPem: string;
  /** PKCS#8 PEM, ECDSA P-256; the public half is derived from it. */
  saPrivateKeyPem: string;
}

/**
 * Where several servers of one cluster keep their ClusterSecrets (the datastore,
 * encrypted: see cluster-bootstrap.ts). With one, ensurePki takes the CA and the
 * service-account keys from it and only issues this server's own leaf certificates.
 */
export interface SharedSecrets {
  /** The stored secrets, or undefined when none are stored yet. Must throw, never
   *  return undefined, when secrets are stored but cannot be read (a wrong token). */
  load(): Promise<ClusterSecrets | undefined>;
  /** Stores `secrets` if none are stored yet (create-if-absent); returns whichever
   *  secrets are stored afterwards — another server's when it got there first. */
  publish(secrets: ClusterSecrets): Promise<ClusterSecrets>;
}

export interface ClientCertRequest {
  /** Becomes the user name, e.g. "admin" or "system:node:worker-1". */
  cn: string;
  /** Become the user's groups, e.g. ["system:masters"] or ["system:nodes"]. */
  orgs?: string[];
  /** Validity in days (default 365). */
  days?: number;
}

/** The Service IP of `kubernetes.default` (first address of the Service CIDR 10.43.0.0/16). */
export const KUBERNETES_SERVICE_IP = '10.43.0.1';
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Leaf certificates with less than this left are re-issued at start. */
const RENEW_BEFORE_DAYS = 90;
const DAY_MS = 86_400_000;

const ALG: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };

const FILES = {
  caCert: 'ca.crt', caKey: 'ca.key',
  servingCert: 'apiserver.crt', servingKey: 'apiserver.key',
  adminCert: 'admin.crt', adminKey: 'admin.key',
  saPub: 'sa.pub', saKey: 'sa.key',
} as const;

/**
 * Makes sure the cluster PKI exists under `<dataDir>/tls/` and returns it.
 * First start: creates everything. Later starts: reuses what is there, and only
 * re-issues what is missing, not signed by the current CA, close to expiry, or (for
 * the serving certificate) not covering every requested host name and address.
 */
export async function ensurePki(dataDir: string, opts: {
  hosts: string[]; ips: string[];
  /** Several servers, one cluster: the CA and service-account keys come from (or, at the
   *  cluster's first start, go to) this source; the local files become copies of them. */
  shared?: SharedSecrets;
}): Promise<Pki> {
  const dir = path.join(dataDir, 'tls');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = (name: string): string => path.join(dir, name);

  // --- CA and service-account keys --------------------------------------------
  let caCertPem = readIfExists(file(FILES.caCert));
  let caKeyPem = readIfExists(file(FILES.caKey));
  let saPrivateKeyPem = readIfExists(file(FILES.saKey));
  if (opts.shared) {
    let secrets = await opts.shared.load();
    if (!secrets) {
      // The cluster's first server. A usable local CA (a single server being turned into
      // the first of several) becomes the cluster's, so its kubeconfigs keep working.
      const ca = caCertPem && caKeyPem && isUsableCa(caCertPem, caKeyPem)
        ? { certPem: caCertPem, keyPem: caKeyPem } : await createCa();
      secrets = await opts.shared.publish({
        caCertPem: ca.certPem, caKeyPem: ca.keyPem,
        saPrivateKeyPem: saPrivateKeyPem && isEcP256PrivateKey(saPrivateKeyPem) ? saPrivateKeyPem : newSaKey(),
      });
    }
    checkSharedSecrets(secrets);
    ({ caCertPem, caKeyPem, saPrivateKeyPem } = secrets);
    // Local copies, for people and tools that look in tls/; the shared ones rule.
    writeIfChanged(file(FILES.caKey), caKeyPem, 0o600);
    writeIfChanged(file(FILES.caCert), caCertPem, 0o644);
    writeIfChanged(file(FILES.saKey), saPrivateKeyPem, 0o600);
  } else if (!caCertPem || !caKeyPem || !isUsableCa(caCertPem, caKeyPem)) {
    const ca = await createCa();
    caCertPem = ca.certPem; caKeyPem = ca.keyPem;
    writeAtomic(file(FILES.caKey), caKeyPem, 0o600);
    writeAtomic(file(FILES.caCert), caCertPem, 0o644);
  }
  const ca = await loadCa(caCertPem, caKeyPem);

  // --- apiserver serving certificate -----------------------------------------
  const sans = servingSans(opts);
  let servingCertPem = readIfExists(file(FILES.servingCert));
  let servingKeyPem = readIfExists(file(FILES.servingKey));
  if (!servingCertPem || !servingKeyPem || !isUsableLeaf(servingCertPem, servingKeyPem, caCertPem)
      || !coversSans(servingCertPem, sans)) {
    const leaf = await issue(ca, {
      subject: [{ CN: ['kube-apiserver'] }],
      usage: x509.ExtendedKeyUsage.serverAuth,
      sans,
      days: LEAF_DAYS,
    });
    servingCertPem = leaf.certPem; servingKeyPem = leaf.keyPem;
    writeAtomic(file(FILES.servingKey), servingKeyPem, 0o600);
    writeAtomic(file(FILES.servingCert), servingCertPem, 0o644);
  }

  // --- admin client certificate ----------------------------------------------
  let adminCertPem = readIfExists(file(FILES.adminCert));
  let adminKeyPem = readIfExists(file(FILES.adminKey));
  if (!adminCertPem || !adminKeyPem || !isUsableLeaf(adminCertPem, adminKeyPem, caCertPem)) {
    const leaf = await issue(ca, { subject: subjectOf('admin', ['system:masters']), usage: x509.ExtendedKeyUsage.clientAuth, days: LEAF_DAYS });
    adminCertPem = leaf.certPem; adminKeyPem = leaf.keyPem;
    writeAtomic(file(FILES.adminKey), adminKeyPem, 0o600);
    writeAtomic(file(FILES.adminCert), adminCertPem, 0o644);
  }

  // --- service-account signing keys ------------------------------------------
  // Independent of the CA: tokens already handed out stay valid across CA re-creation.
  if (!saPrivateKeyPem || !isEcP256PrivateKey(saPrivateKeyPem)) {
    saPrivateKeyPem = newSaKey();
    writeAtomic(file(FILES.saKey), saPrivateKeyPem, 0o600);
  }
  const saPublicKeyPem = crypto.createPublicKey(saPrivateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
  if (readIfExists(file(FILES.saPub)) !== saPublicKeyPem) writeAtomic(file(FILES.saPub), saPublicKeyPem, 0o644);

  return { caCertPem, caKeyPem, servingCertPem, servingKeyPem, adminCertPem, adminKeyPem, saPublicKeyPem, saPrivateKeyPem, dir };
}

/** Issues a client certificate (CN → user name, O → groups) signed by the cluster CA. Writes nothing. */
export async function issueClientCert(pki: Pick<Pki, 'caCertPem' | 'caKeyPem'>, req: ClientCertRequest): Promise<{ certPem: string; keyPem: string }> {
  if (!req.cn) throw new Error('issueClientCert: cn must not be empty');
  const ca = await loadCa(pki.caCertPem, pki.caKeyPem);
  return issue(ca, { subject: subjectOf(req.cn, req.orgs ?? []), usage: x509.ExtendedKeyUsage.clientAuth, days: req.days ?? LEAF_DAYS });
}

/** A DNS name (RFC 1123 labels), optionally a wildcard's `*.` in front, as certificates allow. */
const DNS_SAN = /^(\*\.)?([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/i;

/** Every name and address the serving certificate must cover. Exported for tests and diagnostics. */
export function servingSans(opts: { hosts: string[]; ips: string[] }): { dns: string[]; ips: string[] } {
  const dns = new Set<string>([
    'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local',
  ]);
  const hostname = os.hostname();
  if (hostname) dns.add(hostname.toLowerCase());
  const ips = new Set<string>(['127.0.0.1', '::1', KUBERNETES_SERVICE_IP]);
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (!a.internal) ips.add(normalizeIp(a.address));
  }
  // A host given as an address belongs among the IP SANs: Go's TLS never matches IPs against DNS SANs.
  for (const h of opts.hosts) {
    if (!h) continue;
    if (net.isIP(h)) ips.add(normalizeIp(h));
    else if (DNS_SAN.test(h)) dns.add(h.toLowerCase());
    else throw new Error(`not a DNS name or IP address: ${JSON.stringify(h)}`);
  }
  for (const ip of opts.ips) {
    if (!net.isIP(ip)) throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
    ips.add(normalizeIp(ip));
  }
  return { dns: [...dns], ips: [...ips] };
}

// ---------------------------------------------------------------------------

interface LoadedCa { cert: x509.X509Certificate; keys: CryptoKeyPair }

async function createCa(): Promise<{ certPem: string; keyPem: string }> {
  const keys = await genKeys();
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: [{ CN: ['pilot-ca'] }],
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

async function loadCa(certPem: string, keyPem: string): Promise<LoadedCa> {
  const cert = new x509.X509Certificate(certPem);
  const privateKey = await importPrivateKey(keyPem);
  const publicKey = await cert.publicKey.export(ALG, ['verify']);
  return { cert, keys: { privateKey, publicKey } };
}

async function issue(ca: LoadedCa, p: {
  subject: x509.JsonName; usage: x509.ExtendedKeyUsage; days: number; sans?: { dns: string[]; ips: string[] };
}): Promise<{ certPem: string; keyPem: string }> {
  const keys = await genKeys();
  const now = Date.now();
  // Never outlive the CA: a chain with a leaf past its issuer's end is rejected by some verifiers.
  const notAfter = new Date(Math.min(now + p.days * DAY_MS, ca.cert.notAfter.getTime()));
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([p.usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (p.sans) {
    extensions.push(new x509.SubjectAlternativeNameExtension([
      ...p.sans.dns.map((value) => ({ type: 'dns' as const, value })),
      ...p.sans.ips.map((value) => ({ type: 'ip' as const, value })),
    ]));
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: p.subject,
    issuer: ca.cert.subjectName,
    notBefore: new Date(now - 3_600_000),
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: ALG,
    extensions,
  });
  return { certPem: cert.toString('pem') + '\n', keyPem: await exportKeyPem(keys.privateKey) };
}

function subjectOf(cn: string, orgs: string[]): x509.JsonName {
  // One RDN per attribute, orgs first, as Go's pkix.Name marshals (O=…, CN=…).
  return [...orgs.map((o) => ({ O: [o] })), { CN: [cn] }];
}

async function genKeys(): Promise<CryptoKeyPair> {
  return crypto.webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']) as Promise<CryptoKeyPair>;
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  // Normalise whatever PEM flavour is on disk (SEC1 "EC PRIVATE KEY" too) to PKCS#8 DER.
  const der = crypto.createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return crypto.webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']) as Promise<CryptoKey>;
}

async function exportKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.webcrypto.subtle.exportKey('pkcs8', key as crypto.webcrypto.CryptoKey);
  return x509.PemConverter.encode(der, 'PRIVATE KEY') + '\n';
}

/** 16 random bytes, positive (top bit clear) and non-zero leading byte, as RFC 5280 wants. */
function randomSerial(): string {
  const b = crypto.randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01;
  return b.toString('hex');
}

function newSaKey(): string {
  const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** Shared secrets are used as they are (another server made them): refuse, rather than
 *  replace, ones this server cannot use. */
function checkSharedSecrets(s: ClusterSecrets): void {
  let ca: crypto.X509Certificate;
  try { ca = new crypto.X509Certificate(s.caCertPem); } catch {
    throw new Error('the cluster CA certificate in the shared bootstrap data is not a valid certificate');
  }
  if (!ca.ca || !keyMatchesCert(ca, s.caKeyPem)) throw new Error('the cluster CA in the shared bootstrap data is not a CA with its key');
  if (Date.parse(ca.validTo) <= Date.now()) throw new Error(`the cluster CA in the shared bootstrap data expired on ${ca.validTo}`);
  if (!isEcP256PrivateKey(s.saPrivateKeyPem)) throw new Error('the service-account key in the shared bootstrap data is not an ECDSA P-256 private key');
}

function isEcP256PrivateKey(pem: string): boolean {
  try {
    const k = crypto.createPrivateKey(pem);
    return k.asymmetricKeyType === 'ec' && k.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  } catch { return false; }
}

function keyMatchesCert(cert: crypto.X509Certificate, keyPem: string): boolean {
  try { return cert.checkPrivateKey(crypto.createPrivateKey(keyPem)); } catch { return false; }
}

function isUsableCa(certPem: string, keyPem: string): boolean {
  try {
    const cert = new crypto.X509Certificate(certPem);
    return cert.ca && keyMatchesCert(cert, keyPem) && Date.parse(cert.validTo) > Date.now() + RENEW_BEFORE_DAYS * DAY_MS;
  } catch { return false; }
}

/** Signed by this CA, key matches, not expiring within RENEW_BEFORE_DAYS. */
function isUsableLeaf(certPem: string, keyPem: string, caCertPem: string): boolean {
  try {
    const cert = new crypto.X509Certificate(certPem);
    const ca = new crypto.X509Certificate(caCertPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    if (!keyMatchesCert(cert, keyPem)) return false;
    const left = Date.parse(cert.validTo) - Date.now();
    return left > Math.min(RENEW_BEFORE_DAYS * DAY_MS, (Date.parse(ca.validTo) - Date.now()) / 2);
  } catch { return false; }
}

function coversSans(certPem: string, want: { dns: string[]; ips: string[] }): boolean {
  try {
    const have = certSans(certPem);
    return want.dns.every((d) => have.dns.has(d.toLowerCase())) && want.ips.every((ip) => have.ips.has(normalizeIp(ip)));
  } catch { return false; }
}

/** The SANs a certificate carries, names lower-cased and addresses normalised. */
export function certSans(certPem: string): { dns: Set<string>; ips: Set<string> } {
  const cert = new x509.X509Certificate(certPem);
  const ext = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const dns = new Set<string>();
  const ips = new Set<string>();
  for (const n of ext?.names.toJSON() ?? []) {
    if (n.type === 'dns') dns.add(n.value.toLowerCase());
    else if (n.type === 'ip') ips.add(normalizeIp(n.value));
  }
  return { dns, ips };
}

/** Canonical text of an address so "::1" and "0:0:0:0:0:0:0:1" compare equal. */
function normalizeIp(ip: string): string {
  const bare = ip.replace(/%.*$/, '');
  if (net.isIPv4(bare)) return bare;
  if (!net.isIPv6(bare)) return bare;
  return compressIpv6(expandIpv6(bare.toLowerCase()));
}

function expandIpv6(ip: string): number[] {
  let s = ip;
  // IPv4-mapped tail (::ffff:1.2.3.4)
  const m = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (m) {
    const o = m[1]!.split('.').map(Number);
    s = s.slice(0, -m[1]!.length) + `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') as [string, string] : [s, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? new Array<string>(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

function compressIpv6(groups: number[]): string {
  // RFC 5952: the longest run (≥2) of zero groups becomes "::", first one on ties.
  let best = -1; let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i; while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function readIfExists(p: string): string | undefined {
  try { return fs.readFileSync(p, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function writeIfChanged(p: string, data: string, mode: number): void {
  if (readIfExists(p) !== data) writeAtomic(p, data, mode);
}

/** Write-then-rename, so a crash never leaves half a key; mode set before any byte lands. */
export function writeAtomic(p: string, data: string, mode: number): void {
  const tmp = `${p}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally { fs.closeSync(fd); }
  fs.chmodSync(tmp, mode); // umask may have narrowed or (never) widened it
  fs.renameSync(tmp, p);
}
