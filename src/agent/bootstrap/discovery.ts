// Finding and trusting the cluster CA before the node has any credentials
// (kubeadm's "discovery"). The API server sends its CA certificate in the TLS
// handshake after its serving certificate (server.ts), so the node connects
// once without verification, takes the chain's root, and trusts it only if its
// public key hashes to the --ca-cert-hash it was given out of band — kubeadm's
// discovery-token-ca-cert-hash: `sha256:` + hex SHA-256 of the DER
// SubjectPublicKeyInfo. Nothing secret is sent on that first connection.
//
// Why not upstream's kube-public/cluster-info ConfigMap read anonymously: Pilot
// answers anonymous requests only on health and version endpoints, and the
// hash check gives the same guarantee without opening the API to anonymous users.

import * as crypto from 'node:crypto';
import * as tls from 'node:tls';

/** `sha256:<hex>` of the CA certificate's public key (SubjectPublicKeyInfo, DER), as kubeadm prints it. */
export function caCertHash(caPem: string): string {
  const spki = new crypto.X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${crypto.createHash('sha256').update(spki).digest('hex')}`;
}

/** Accepts `sha256:<64 hex>` (any case); throws otherwise. Returns the normalised form. */
export function parseCaCertHash(text: string): string {
  const m = /^sha256:([0-9a-fA-F]{64})$/.exec(text.trim());
  if (!m) throw new Error(`invalid CA certificate hash ${JSON.stringify(text)}: want sha256:<64 hex digits>`);
  return `sha256:${m[1]!.toLowerCase()}`;
}

function toPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n').replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

/**
 * The certificates the server at `url` presents (leaf first), read without
 * verifying them. Only use what comes back after checking it against a hash.
 */
export function fetchServerChain(url: string, timeoutMs = 10_000): Promise<string[]> {
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const sock = tls.connect({
      host, port: Number(u.port || 443), rejectUnauthorized: false,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
    }, () => {
      const chain: string[] = [];
      const seen = new Set<string>();
      let c: tls.DetailedPeerCertificate | undefined = sock.getPeerCertificate(true);
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(toPem(c.raw));
        c = c.issuerCertificate;
      }
      sock.end();
      resolve(chain);
    });
    sock.setTimeout(timeoutMs, () => { sock.destroy(new Error(`timed out connecting to ${url}`)); });
    sock.once('error', reject);
  });
}

/**
 * The cluster CA of the server at `url`: the CA certificate from its TLS chain
 * whose public key matches `caCertHash`. With `unsafeSkipCAVerification` (and
 * no hash) the chain's root is taken on trust, as kubeadm's
 * --discovery-token-unsafe-skip-ca-verification.
 */
export async function discoverClusterCA(url: string, opts: { caCertHash?: string; unsafeSkipCAVerification?: boolean }): Promise<string> {
  if (!opts.caCertHash && !opts.unsafeSkipCAVerification) {
    throw new Error('a CA certificate hash is required to trust the server (or skip the check explicitly)');
  }
  const chain = await fetchServerChain(url);
  const cas = chain.filter((pem) => new crypto.X509Certificate(pem).ca);
  if (opts.caCertHash) {
    const want = parseCaCertHash(opts.caCertHash);
    const ca = cas.find((pem) => caCertHash(pem) === want);
    if (!ca) throw new Error(`none of the CA certificates ${url} presents matches the CA certificate hash ${want}`);
    return checkIssued(chain[0], ca, url);
  }
  const root = cas.at(-1);
  if (!root) throw new Error(`${url} presents no CA certificate in its TLS handshake`);
  return checkIssued(chain[0], root, url);
}

/** The serving certificate must come from that CA: otherwise the CA was merely attached, not the server's. */
function checkIssued(leafPem: string | undefined, caPem: string, url: string): string {
  if (!leafPem) throw new Error(`${url} presented no certificate`);
  const leaf = new crypto.X509Certificate(leafPem);
  const ca = new crypto.X509Certificate(caPem);
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) throw new Error(`the serving certificate of ${url} is not signed by the CA it presents`);
  return caPem;
}
