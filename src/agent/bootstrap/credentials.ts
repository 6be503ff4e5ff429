// Node TLS bootstrap (the kubelet's --bootstrap-kubeconfig flow): a new node
// holding only a bootstrap token asks the cluster for its own client
// certificate through a CertificateSigningRequest, and later renews it with
// that certificate before it runs out.
//
//   1. trust: find the cluster CA and check it against --ca-cert-hash (discovery.ts);
//   2. ask:   a fresh ECDSA P-256 key and a CSR for CN=system:node:<name>,
//             O=system:nodes, signer kubernetes.io/kube-apiserver-client-kubelet,
//             created with the bootstrap token (auto-approved: csrapproving);
//   3. wait:  until the CSR carries the certificate (or is Denied/Failed);
//   4. keep:  ca.crt, client.key, client.crt and a kubeconfig in `dir`.
// Renewal (rotate) is the same with the node's current certificate as the
// credential (auto-approved as selfnodeclient), done at 80% of its lifetime.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { realClock, type Clock } from '../../base/clock.ts';
import type { Disposable } from '../../base/clock.ts';
import type { ClientConfig } from '../../client/index.ts';
import { discoverClusterCA } from './discovery.ts';
import { requestCertificate } from './csr-request.ts';

export const KUBELET_CLIENT_SIGNER = 'kubernetes.io/kube-apiserver-client-kubelet';
/** Renew once this share of the certificate's lifetime has passed. */
export const ROTATE_AT_FRACTION = 0.8;

export const FILES = { ca: 'ca.crt', cert: 'client.crt', key: 'client.key', kubeconfig: 'kubeconfig' } as const;

export interface BootstrapOptions {
  /** https://host:port of the API server. */
  server: string;
  /** The bootstrap token `<id>.<secret>`. */
  token: string;
  /** `sha256:<hex>` of the cluster CA's public key (`pilot token create` prints it). */
  caCertHash?: string;
  /** Trust whatever CA the server presents (no hash): only on a network you trust. */
  unsafeSkipCAVerification?: boolean;
  nodeName: string;
  /** Where the key, certificates and kubeconfig are kept. */
  dir: string;
  /** Asked validity of the certificate (spec.expirationSeconds); default: the signer's. */
  expirationSeconds?: number;
  /** How long to wait for the certificate (default 5 min). */
  timeoutMs?: number;
  /** Decides when certificates are renewed (and whether those on disk are still valid); waiting on the API uses real time. */
  clock?: Clock;
  /** Reports progress ("waiting for approval…"). */
  log?: (msg: string) => void;
}

export interface NodeCredentials {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  kubeconfigPath: string;
  notBefore: number;
  notAfter: number;
}

export interface BootstrappedNode extends NodeCredentials {
  /** Renews the certificate now with the current one as the credential; files are replaced atomically. */
  rotate(): Promise<NodeCredentials>;
  /**
   * Renews at 80% of each certificate's lifetime until disposed; `onRotated`
   * gets the new credentials (the agent swaps its client), `onError` failures
   * (retried after a minute).
   */
  startRotation(cb?: { onRotated?(c: NodeCredentials): void; onError?(e: unknown): void }): Disposable;
}

/**
 * Credentials of node `nodeName`: the ones already in `dir` when they are
 * still valid for this server's CA, else new ones through the bootstrap token.
 */
export async function bootstrapNodeCredentials(o: BootstrapOptions): Promise<BootstrappedNode> {
  const clock = o.clock ?? realClock;
  fs.mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const caPem = await discoverClusterCA(o.server, { caCertHash: o.caCertHash, unsafeSkipCAVerification: o.unsafeSkipCAVerification });
  let creds = loadExisting(o, caPem, clock.now());
  if (!creds) {
    o.log?.(`requesting a client certificate for node ${o.nodeName} with the bootstrap token`);
    creds = await requestClientCertificate(o, caPem, { server: o.server, ca: caPem, token: o.token });
  }
  let current = creds;
  const node: BootstrappedNode = {
    ...current,
    async rotate() {
      o.log?.(`renewing the client certificate of node ${o.nodeName}`);
      current = await requestClientCertificate(o, caPem, { server: o.server, ca: caPem, cert: current.certPem, key: current.keyPem });
      Object.assign(node, current);
      return current;
    },
    startRotation(cb = {}) {
      let timer: Disposable | undefined;
      let stopped = false;
      const schedule = (ms: number): void => {
        if (stopped) return;
        timer = clock.setTimeout(() => {
          node.rotate().then((c) => { cb.onRotated?.(c); schedule(rotationDelay(c, clock.now())); }, (e: unknown) => { cb.onError?.(e); schedule(60_000); });
        }, ms);
      };
      schedule(rotationDelay(current, clock.now()));
      return { dispose: () => { stopped = true; timer?.dispose(); } };
    },
  };
  return node;
}

/** ms until the certificate reaches ROTATE_AT_FRACTION of its lifetime (0 if past). */
export function rotationDelay(c: Pick<NodeCredentials, 'notBefore' | 'notAfter'>, nowMs: number): number {
  return Math.max(0, c.notBefore + (c.notAfter - c.notBefore) * ROTATE_AT_FRACTION - nowMs);
}

function loadExisting(o: BootstrapOptions, caPem: string, now: number): NodeCredentials | undefined {
  try {
    const certPem = fs.readFileSync(path.join(o.dir, FILES.cert), 'utf8');
    const keyPem = fs.readFileSync(path.join(o.dir, FILES.key), 'utf8');
    const cert = new crypto.X509Certificate(certPem);
    const ca = new crypto.X509Certificate(caPem);
    if (!cert.verify(ca.publicKey) || !cert.checkPrivateKey(crypto.createPrivateKey(keyPem))) return undefined;
    if (!cert.subject.split('\n').includes(`CN=system:node:${o.nodeName}`)) return undefined;
    const notAfter = Date.parse(cert.validTo);
    if (notAfter <= now) return undefined;
    writeKubeconfig(o, caPem, certPem, keyPem);
    return { server: o.server, caPem, certPem, keyPem, kubeconfigPath: path.join(o.dir, FILES.kubeconfig), notBefore: Date.parse(cert.validFrom), notAfter };
  } catch {
    return undefined;
  }
}

/** A new key and certificate from the cluster (the kubelet's request: node-csr-…); files written. */
async function requestClientCertificate(o: BootstrapOptions, caPem: string, cfg: ClientConfig): Promise<NodeCredentials> {
  const { certPem, keyPem } = await requestCertificate(cfg, caPem, {
    cn: `system:node:${o.nodeName}`, orgs: ['system:nodes'],
    signerName: KUBELET_CLIENT_SIGNER,
    // ECDSA keys sign; they do not encipher (the kubelet asks the same).
    usages: ['digital signature', 'client auth'],
    // The kubelet names its requests node-csr-<…>; generateName keeps retries from colliding.
    generateName: 'node-csr-',
    expirationSeconds: o.expirationSeconds, timeoutMs: o.timeoutMs ?? 300_000, log: o.log,
  });
  const cert = new crypto.X509Certificate(certPem);
  writeFile(path.join(o.dir, FILES.ca), caPem, 0o644);
  writeFile(path.join(o.dir, FILES.key), keyPem, 0o600);
  writeFile(path.join(o.dir, FILES.cert), certPem, 0o644);
  writeKubeconfig(o, caPem, certPem, keyPem);
  return {
    server: o.server, caPem, certPem, keyPem, kubeconfigPath: path.join(o.dir, FILES.kubeconfig),
    notBefore: Date.parse(cert.validFrom), notAfter: Date.parse(cert.validTo),
  };
}

function writeKubeconfig(o: BootstrapOptions, caPem: string, certPem: string, keyPem: string): void {
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const user = `system:node:${o.nodeName}`;
  const doc = {
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: 'default-cluster', cluster: { server: o.server, 'certificate-authority-data': b64(caPem) } }],
    users: [{ name: user, user: { 'client-certificate-data': b64(certPem), 'client-key-data': b64(keyPem) } }],
    contexts: [{ name: 'default-context', context: { cluster: 'default-cluster', user } }],
    'current-context': 'default-context',
  };
  writeFile(path.join(o.dir, FILES.kubeconfig), stringify(doc, { lineWidth: 0 }), 0o600);
}

/** Write-then-rename: a crash never leaves half a key, and the mode is set before any byte lands. */
function writeFile(p: string, data: string, mode: number): void {
  const tmp = `${p}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  fs.writeFileSync(tmp, data, { mode, flag: 'wx' });
  fs.renameSync(tmp, p);
}

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';

/**
 * A serving certificate for the node's own HTTPS endpoint (the kubelet's
 * --rotate-server-certificates): CN=system:node:<name>, O=system:nodes, the
 * node's host names and addresses as SANs, signer kubernetes.io/kubelet-serving,
 * asked with the node's client credentials. As upstream, nothing approves these
 * automatically: an administrator does (`kubectl certificate approve`), since
 * the SANs are the node's claim. Writes nothing.
 */
export async function requestServingCertificate(creds: NodeCredentials, o: {
  nodeName: string; dnsNames?: string[]; ips?: string[]; expirationSeconds?: number; timeoutMs?: number; log?: (msg: string) => void;
}): Promise<{ name: string; certPem: string; keyPem: string }> {
  if (!o.dnsNames?.length && !o.ips?.length) throw new Error('a serving certificate needs at least one DNS name or IP address');
  return requestCertificate({ server: creds.server, ca: creds.caPem, cert: creds.certPem, key: creds.keyPem }, creds.caPem, {
    cn: `system:node:${o.nodeName}`, orgs: ['system:nodes'], dnsNames: o.dnsNames, ips: o.ips,
    signerName: KUBELET_SERVING_SIGNER, usages: ['digital signature', 'server auth'],
    generateName: 'csr-', expirationSeconds: o.expirationSeconds, timeoutMs: o.timeoutMs ?? 300_000, log: o.log,
  });
}
