// Wires the control plane together: store → PKI → registry → bootstrap
// objects → HTTPS listener → admin kubeconfig. One owner disposes of all of it.
// The store comes first because, with a cluster token, the CA lives in it
// (cluster-bootstrap.ts): several servers on one datastore share it.

import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AddressInfo } from 'node:net';
import pino, { type Logger } from 'pino';
import { openStore } from '../storage/open.ts';
import { startCompactor } from '../storage/compactor.ts';
import type { Store } from '../storage/store.ts';
import { Registry } from '../apiserver/registry/registry.ts';
import { createAuthenticator } from '../apiserver/auth/authn.ts';
import { createApiHandler } from '../apiserver/http/handler.ts';
import { ensurePki, type Pki } from './pki.ts';
import { refuseUnsharedStart, storeSharedSecrets } from './cluster-bootstrap.ts';
import { writeAdminKubeconfig } from './kubeconfig.ts';
import { bootstrapCluster } from './bootstrap.ts';
import { versionInfo } from './version.ts';

export interface ServerConfig {
  dataDir: string;
  /** 0 = any free port (tests). */
  securePort: number;
  bindAddress: string;
  /** Default: sqlite://<dataDir>/state.db */
  datastore?: string;
  tokenAuthFile?: string;
  /** The cluster token: shares the CA and service-account keys through the datastore,
   *  so that several servers on it serve one cluster (cluster-bootstrap.ts). */
  token?: string;
  serviceCidr: string;
  nodePortRange: [number, number];
  /** Revisions of history kept for watches (older ones answer 410). */
  compactionRetainRevisions: number;
  compactionIntervalMs: number;
  logLevel: string;
}

export interface RunningServer {
  url: string;
  port: number;
  kubeconfigPath: string;
  pki: Pki;
  store: Store;
  logger: Logger;
  close(): Promise<void>;
}

export function defaultDataDir(): string {
  return process.getuid?.() === 0 ? '/var/lib/pilot' : path.join(os.homedir(), '.pilot');
}

export const DEFAULTS: Omit<ServerConfig, 'dataDir'> = {
  securePort: 6443,
  bindAddress: '0.0.0.0',
  serviceCidr: '10.43.0.0/16',
  nodePortRange: [30000, 32767],
  compactionRetainRevisions: 10_000,
  compactionIntervalMs: 5 * 60_000,
  logLevel: 'info',
};

/** The address clients on this machine use: loopback unless bound to one address. */
function clientHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
}

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  const logger = pino({ level: cfg.logLevel, base: { component: 'apiserver' } }, pino.destination(2));
  fs.mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const host = clientHost(cfg.bindAddress);
  const store = await openStore(cfg.datastore ?? `sqlite://${path.join(cfg.dataDir, 'state.db')}`);
  const disposers: (() => Promise<void> | void)[] = [() => store.close()];
  try {
    if (cfg.token === undefined) await refuseUnsharedStart(store);
    const pki = await ensurePki(cfg.dataDir, {
      hosts: [], ips: host === '127.0.0.1' ? [] : [host],
      shared: cfg.token !== undefined ? storeSharedSecrets(store, cfg.token) : undefined,
    });
    const compactor = startCompactor(store, { intervalMs: cfg.compactionIntervalMs, retainRevisions: cfg.compactionRetainRevisions });
    disposers.unshift(() => compactor.stop());
    const registry = new Registry(store, { serviceCidr: cfg.serviceCidr, nodePortRange: cfg.nodePortRange });
    await registry.start();
    disposers.unshift(() => registry.stop());

    const handler = createApiHandler({
      registry, logger, version: versionInfo(),
      authenticator: createAuthenticator({ tokenFile: cfg.tokenAuthFile }),
      advertiseAddress: `${host}:${cfg.securePort}`,
      ready: async () => { await store.currentRevision(); return true; },
    });
    const server = https.createServer({
      key: pki.servingKeyPem, cert: pki.servingCertPem, ca: [pki.caCertPem],
      requestCert: true, rejectUnauthorized: false,
      keepAliveTimeout: 65_000,
    }, handler);
    server.on('clientError', (err, socket) => { logger.debug({ err }, 'client error'); socket.destroy(); });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(cfg.securePort, cfg.bindAddress, () => { server.off('error', reject); resolve(); });
    });
    disposers.unshift(() => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }));
    const port = (server.address() as AddressInfo).port;
    const url = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;

    await bootstrapCluster(registry, { ip: host === '127.0.0.1' ? firstHostIP() ?? host : host, port });
    const kubeconfigPath = path.join(cfg.dataDir, 'admin.kubeconfig');
    writeAdminKubeconfig(kubeconfigPath, { server: url, caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem });
    logger.info({ url, kubeconfig: kubeconfigPath }, 'pilot apiserver ready');

    let closed = false;
    return {
      url, port, kubeconfigPath, pki, store, logger,
      async close() {
        if (closed) return;
        closed = true;
        for (const d of disposers) await d();
      },
    };
  } catch (e) {
    for (const d of disposers) await Promise.resolve(d()).catch(() => undefined);
    throw e;
  }
}

/** The host's first non-internal IPv4 address: where Endpoints of `kubernetes` point. */
function firstHostIP(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
