// Where a client finds its cluster and credentials: a kubeconfig file (what
// kubectl reads) or, inside a pod, the service-account mount. Both come down to
// one ClientConfig so the REST client never cares which.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';

export interface ClientConfig {
  /** Base URL, e.g. https://127.0.0.1:6443 */
  server: string;
  /** PEM of the CA(s) that sign the server's certificate; undefined = system roots. */
  ca?: string;
  /** PEM client certificate and key (mutual TLS). */
  cert?: string;
  key?: string;
  /** Bearer token. */
  token?: string;
  /** A file holding the bearer token, re-read periodically (service-account tokens rotate). */
  tokenFile?: string;
  /** Called before every request for the current bearer token (in-process credentials that rotate). */
  tokenSource?: () => string;
  insecureSkipTLSVerify?: boolean;
  /** TLS server name to verify instead of the URL's host. */
  tlsServerName?: string;
}

export class KubeconfigError extends Error {
  constructor(message: string) { super(message); this.name = 'KubeconfigError'; }
}

/** `$KUBECONFIG`'s first entry if set, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = (env.KUBECONFIG ?? '').split(path.delimiter).find((p) => p.length > 0);
  return first ?? path.join(os.homedir(), '.kube', 'config');
}

/** Reads a kubeconfig file; relative file references resolve against its directory, as kubectl does. */
export function loadKubeconfig(file = defaultKubeconfigPath(), opts: { context?: string } = {}): ClientConfig {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(e as Error).message}`);
  }
  return parseKubeconfig(text, path.dirname(path.resolve(file)), opts);
}

type Entry = Record<string, unknown>;
interface Named { name?: unknown; cluster?: Entry; user?: Entry; context?: Entry }

/** The ClientConfig of one context (default: current-context) of a kubeconfig's text. */
export function parseKubeconfig(text: string, baseDir: string, opts: { context?: string } = {}): ClientConfig {
  const doc = parse(text) as Record<string, unknown> | null;
  if (!doc || typeof doc !== 'object') throw new KubeconfigError('kubeconfig is empty or not a mapping');
  const pick = (listName: string, name: string | undefined, field: 'cluster' | 'user' | 'context'): Entry | undefined => {
    const list = Array.isArray(doc[listName]) ? (doc[listName] as Named[]) : [];
    return list.find((x) => x && x.name === name)?.[field];
  };
  const contextName = opts.context ?? (doc['current-context'] as string | undefined);
  if (!contextName) throw new KubeconfigError('kubeconfig has no current-context');
  const ctx = pick('contexts', contextName, 'context');
  if (!ctx) throw new KubeconfigError(`context "${contextName}" not found in kubeconfig`);
  const cluster = pick('clusters', ctx.cluster as string | undefined, 'cluster');
  if (!cluster) throw new KubeconfigError(`cluster "${String(ctx.cluster)}" of context "${contextName}" not found`);
  const user = pick('users', ctx.user as string | undefined, 'user') ?? {};
  if (typeof cluster.server !== 'string' || !cluster.server) throw new KubeconfigError(`cluster "${String(ctx.cluster)}" has no server`);

  const dataOrFile = (entry: Entry, dataKey: string, fileKey: string): string | undefined => {
    const data = entry[dataKey];
    if (typeof data === 'string' && data) return Buffer.from(data, 'base64').toString('utf8');
    const f = entry[fileKey];
    if (typeof f === 'string' && f) return fs.readFileSync(path.resolve(baseDir, f), 'utf8');
    return undefined;
  };
  const cfg: ClientConfig = { server: cluster.server.replace(/\/+$/, '') };
  const ca = dataOrFile(cluster, 'certificate-authority-data', 'certificate-authority');
  if (ca) cfg.ca = ca;
  if (cluster['insecure-skip-tls-verify'] === true) cfg.insecureSkipTLSVerify = true;
  if (typeof cluster['tls-server-name'] === 'string') cfg.tlsServerName = cluster['tls-server-name'];
  const cert = dataOrFile(user, 'client-certificate-data', 'client-certificate');
  const key = dataOrFile(user, 'client-key-data', 'client-key');
  if (cert) cfg.cert = cert;
  if (key) cfg.key = key;
  if (typeof user.token === 'string' && user.token) cfg.token = user.token;
  else if (typeof user.tokenFile === 'string' && user.tokenFile) cfg.tokenFile = path.resolve(baseDir, user.tokenFile);
  return cfg;
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The config of a process running in a pod: the API at
 * KUBERNETES_SERVICE_HOST:KUBERNETES_SERVICE_PORT, the mounted CA, and the mounted
 * token (kept as a file so rotation is picked up). Throws when not in a cluster.
 */
export function inClusterConfig(env: NodeJS.ProcessEnv = process.env, dir = SERVICE_ACCOUNT_DIR): ClientConfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new KubeconfigError('not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set');
  const tokenFile = path.join(dir, 'token');
  if (!fs.existsSync(tokenFile)) throw new KubeconfigError(`not running in a cluster: ${tokenFile} is missing`);
  const caFile = path.join(dir, 'ca.crt');
  const cfg: ClientConfig = { server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`, tokenFile };
  if (fs.existsSync(caFile)) cfg.ca = fs.readFileSync(caFile, 'utf8');
  return cfg;
}
