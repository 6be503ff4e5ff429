// Wires the control plane together: store → PKI → registry → bootstrap
// objects → HTTPS listener → admin kubeconfig → controller manager (a client
// of the API like any other, started in the background so "listening" never
// waits on it). One owner disposes of all of it, in reverse order.
// The store comes first because, with a cluster token, the CA lives in it
// (cluster-bootstrap.ts): several servers on one datastore share it.

import * as crypto from 'node:crypto';
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
import { ApiError } from '../base/errors.ts';
import { createAuthenticator } from '../apiserver/auth/authn.ts';
import { bootstrapTokenAuthenticator } from '../apiserver/auth/bootstrap/authenticator.ts';
import { createApiHandler } from '../apiserver/http/handler.ts';
import type { TokenReviewer } from '../apiserver/http/reviews.ts';
import { ServiceAccountTokens } from '../apiserver/auth/serviceaccount/tokens.ts';
import type { ObjectGetter } from '../apiserver/auth/serviceaccount/authenticator.ts';
import { ensurePki, issueClientCert, type Pki } from './pki.ts';
import { RestClient } from '../client/index.ts';
import { CONTROLLERS } from '../controllers/index.ts';
import type { ControllerOptions } from '../controllers/types.ts';
import { defaultIdentity, selectControllers, startControllerManager, type ControllerManager, type LeaderElectionTimings } from '../controllers/manager.ts';
import { refuseUnsharedStart, storeSharedSecrets } from './cluster-bootstrap.ts';
import { writeAdminKubeconfig } from './kubeconfig.ts';
import { bootstrapCluster, systemContext } from './bootstrap.ts';
import { ApiserverEndpointReconciler } from './apiserver-endpoints.ts';
import { versionInfo } from './version.ts';
import { DEFAULTS as BASE_DEFAULTS } from './defaults.ts';
import { startAuthorization, type AuthorizationMode } from './authorization.ts';
import { ControllerCredentials } from './controller-credentials.ts';
import { InflightLimiter } from '../apiserver/http/inflight.ts';
import { startInProcessScheduler } from './scheduler.ts';
import { startAgent, type Agent } from '../agent/agent.ts';
import { loadEncryptionConfig } from '../apiserver/encryption/config.ts';
import { createAuditor, type AuditConfig } from '../apiserver/audit/setup.ts';

/** Bumped by the server that compacts in an interval; the others on the store stand by. */
const COMPACT_LOCK_KEY = '/pilot/compact_rev_key';

export interface ServerConfig {
  dataDir: string;
  /** 0 = any free port (tests). */
  securePort: number;
  bindAddress: string;
  /** Default: sqlite://<dataDir>/state.db */
  datastore?: string;
  tokenAuthFile?: string;
  /** Upstream's --encryption-provider-config: an EncryptionConfiguration file (encryption at rest). */
  encryptionProviderConfig?: string;
  /** Upstream's --audit-policy-file, --audit-log-path and --audit-log-max{size,backup,age}. */
  audit?: AuditConfig;
  /** Upstream's --max-requests-inflight / --max-mutating-requests-inflight (0: unlimited). */
  maxRequestsInflight?: number;
  maxMutatingRequestsInflight?: number;
  /** Upstream's --authorization-mode: RBAC (default; with Node and system:masters) or AlwaysAllow. */
  authorizationMode?: AuthorizationMode;
  /** Extra names/IPs the serving certificate covers (k3s's --tls-san): a load balancer's or a DNS name. */
  tlsSans?: string[];
  /** The cluster token: shares the CA and service-account keys through the datastore,
   *  so that several servers on it serve one cluster (cluster-bootstrap.ts). */
  token?: string;
  serviceCidr: string;
  nodePortRange: [number, number];
  /** Revisions of history kept for watches (older ones answer 410). */
  compactionRetainRevisions: number;
  compactionIntervalMs: number;
  logLevel: string;
  /** Upstream's --controllers: `*` all (default), `name` one, `-name` not that one; [] none. */
  controllers?: string[];
  /** Run controllers only while holding the Lease kube-system/kube-controller-manager (default true). */
  leaderElect?: boolean;
  leaderElection?: LeaderElectionTimings;
  /** Run a node agent (kubelet) for this host in this process; undefined = none (--disable-agent, tests). */
  agent?: InProcessAgentConfig;
  /** Settings of individual controllers (--cluster-cidr, --node-monitor-grace-period, …). */
  controllerOptions?: ControllerOptions;
  /** Run no scheduler in this server (--disable-scheduler). */
  disableScheduler?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  kubeconfigPath: string;
  pki: Pki;
  store: Store;
  logger: Logger;
  /** Undefined when every controller is disabled. */
  controllerManager?: ControllerManager;
  /** Undefined unless config.agent asked for one (and it could run: root only). */
  agent?: Agent;
  close(): Promise<void>;
}

export { defaultDataDir } from './defaults.ts';
/** Flag defaults (defaults.ts), typed as the config they fill. */
export const DEFAULTS: Omit<ServerConfig, 'dataDir'> = BASE_DEFAULTS;

/** The address clients on this machine use: loopback unless bound to one address. */
function clientHost(bind: string): string {
  return bind === '0.0.0.0' || bind === '::' || bind === '' ? '127.0.0.1' : bind;
}

export async function startServer(cfg: ServerConfig): Promise<RunningServer> {
  const logger = pino({ level: cfg.logLevel, base: { component: 'apiserver' } }, pino.destination(2));
  // Bad flags fail before anything starts.
  const controllers = selectControllers(CONTROLLERS, cfg.controllers ?? ['*']);
  const encryption = cfg.encryptionProviderConfig !== undefined ? loadEncryptionConfig(cfg.encryptionProviderConfig) : undefined;
  const auditor = createAuditor(cfg.audit ?? {}, logger);
  fs.mkdirSync(cfg.dataDir, { recursive: true, mode: 0o700 });
  const host = clientHost(cfg.bindAddress);
  const store = await openStore(cfg.datastore ?? `sqlite://${path.join(cfg.dataDir, 'state.db')}`);
  const disposers: (() => Promise<void> | void)[] = [() => store.close()];
  // Flushed late, once the listener is closed and every request's last event is queued.
  disposers.unshift(() => auditor.close());
  try {
    if (cfg.token === undefined) await refuseUnsharedStart(store);
    const pki = await ensurePki(cfg.dataDir, {
      hosts: cfg.tlsSans ?? [], ips: host === '127.0.0.1' ? [] : [host],
      shared: cfg.token !== undefined ? storeSharedSecrets(store, cfg.token) : undefined,
    });
    const compactor = startCompactor(store, {
      intervalMs: cfg.compactionIntervalMs, retainRevisions: cfg.compactionRetainRevisions, lockKey: COMPACT_LOCK_KEY,
    });
    disposers.unshift(() => compactor.stop());
    const registry = new Registry(store, { serviceCidr: cfg.serviceCidr, nodePortRange: cfg.nodePortRange, encryption });
    await registry.start();
    disposers.unshift(() => registry.stop());
    const authz = await startAuthorization(registry, cfg.authorizationMode ?? 'RBAC', logger);
    disposers.unshift(() => authz.stop());

    const saTokens = new ServiceAccountTokens({ signingKeyPem: pki.saPrivateKeyPem });
    const saAuth = saTokens.authenticator(objectGetter(registry));
    // Bootstrap tokens (`<id>.<secret>`, Secrets in kube-system) let new nodes ask for their certificates.
    const bootstrapAuth = bootstrapTokenAuthenticator({
      getSecret: async (ns, name) => registry.rest('', 'v1', 'secrets')!.get(ns, name).catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 404) return undefined;
        throw e;
      }),
      onReject: (tokenId, reason) => logger.debug({ tokenId, reason }, 'bootstrap token rejected'),
    });
    const authenticator = createAuthenticator({ tokenFile: cfg.tokenAuthFile, tokenAuthenticators: [bootstrapAuth, saAuth] });
    const tokenReview: TokenReviewer = async (token, audiences) => {
      const sa = await saAuth.review(token, audiences.length ? audiences : saTokens.apiAudiences);
      if (sa) return 'user' in sa ? { user: { ...sa.user, groups: [...sa.user.groups, 'system:authenticated'] }, audiences: sa.audiences } : { error: sa.error };
      // Other tokens (the static file) are good for the API server's own audiences only.
      if (audiences.length && !audiences.some((a) => saTokens.apiAudiences.includes(a))) return { error: 'token audiences are invalid' };
      const user = await authenticator.authenticateToken(token);
      return user ? { user, audiences: saTokens.apiAudiences } : { error: 'invalid bearer token' };
    };
    const handler = createApiHandler({
      registry, logger, version: versionInfo(),
      authenticator, serviceAccountTokens: saTokens, tokenReview, authorizer: authz.authorizer,
      audit: auditor,
      inflight: new InflightLimiter({ readonly: cfg.maxRequestsInflight ?? 400, mutating: cfg.maxMutatingRequestsInflight ?? 200 }),
      advertiseAddress: `${host}:${cfg.securePort}`,
      ready: () => storeReachable(store, READYZ_STORE_TIMEOUT_MS),
    });
    const server = https.createServer({
      // The chain includes the CA: a joining node reads it from the handshake and checks it
      // against its --ca-cert-hash before trusting anything (agent/bootstrap/discovery.ts).
      key: pki.servingKeyPem, cert: pki.servingCertPem + pki.caCertPem, ca: [pki.caCertPem],
      requestCert: true, rejectUnauthorized: false,
      keepAliveTimeout: 65_000,
      // Slow clients cannot hold sockets open forever (upstream's ReadHeaderTimeout is 32 s).
      headersTimeout: 32_000, requestTimeout: 60_000,
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

    const advertiseIp = host === '127.0.0.1' ? firstHostIP() ?? host : host;
    await bootstrapCluster(registry, { ip: advertiseIp, port });
    const endpointReconciler = new ApiserverEndpointReconciler(registry, {
      serverId: serverId(cfg.dataDir), endpoint: { ip: advertiseIp, port }, logger,
    });
    await endpointReconciler.start();
    disposers.unshift(() => endpointReconciler.stop());
    const kubeconfigPath = path.join(cfg.dataDir, 'admin.kubeconfig');
    writeAdminKubeconfig(kubeconfigPath, { server: url, caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem });
    logger.info({ url, kubeconfig: kubeconfigPath }, 'pilot apiserver ready');

    let controllerManager: ControllerManager | undefined;
    if (controllers.length) {
      controllerManager = await startInProcessControllerManager(cfg, url, pki, controllers, logger,
        new ControllerCredentials({ registry, tokens: saTokens, server: url, caPem: pki.caCertPem, userAgent: 'kube-controller-manager', logger }));
      const cm = controllerManager;
      disposers.unshift(() => cm.stop());
    }
    if (!cfg.disableScheduler) {
      const sched = await startInProcessScheduler({
        url, pki, leaderElect: cfg.leaderElect ?? true, identity: defaultIdentity(serverId(cfg.dataDir)), logLevel: logger.level, timings: cfg.leaderElection,
      });
      disposers.unshift(() => sched.stop());
    }
    let agent: Agent | undefined;
    if (cfg.agent) {
      agent = await startInProcessAgent(cfg, cfg.agent, url, pki, logger);
      const a = agent;
      if (a) {
        disposers.unshift(() => a.stop());
        // As k3s marks a server's own node — with the server's rights: NodeRestriction keeps node-role labels from kubelets.
        void a.ready.then(() => registry.rest('', 'v1', 'nodes')!.patch('', a.nodeName, 'merge-patch',
          { metadata: { labels: { 'node-role.kubernetes.io/control-plane': 'true' } } }, systemContext()))
          .catch((err: unknown) => logger.warn({ err }, 'could not label the server\'s node'));
      }
    }

    let closed = false;
    return {
      url, port, kubeconfigPath, pki, store, logger, controllerManager, agent,
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

/**
 * The controller manager in this process, reaching the API over HTTPS like any
 * other client: a client certificate for system:kube-controller-manager, made
 * in memory (no file). Returns at once: leader election and informer sync run
 * in the background. Its stop() also closes its client.
 */
async function startInProcessControllerManager(cfg: ServerConfig, url: string, pki: Pki,
  controllers: ReturnType<typeof selectControllers>, logger: Logger, credentials: ControllerCredentials): Promise<ControllerManager> {
  const cert = await issueClientCert(pki, { cn: 'system:kube-controller-manager', orgs: ['system:kube-controller-manager'] });
  const v = versionInfo();
  const client = new RestClient({ server: url, ca: pki.caCertPem, cert: cert.certPem, key: cert.keyPem }, {
    userAgent: `kube-controller-manager/${v.gitVersion} (${v.platform}) pilot`,
    // The client's defaults (100/s, burst 200), not upstream's 20/30: the API is
    // local, and a namespace deletion is ~50 requests per pass.
  });
  const cm = startControllerManager({
    client, controllers, leaderElect: cfg.leaderElect ?? true, clientFor: (name) => credentials.clientFor(name), identity: defaultIdentity(serverId(cfg.dataDir)),
    // Its own logger: a child's `component` would repeat the apiserver's key, not replace it.
    logger: pino({ level: logger.level, base: { component: 'controller-manager' } }, pino.destination(2)), rootCAPem: pki.caCertPem,
    // The CSR signer signs with the cluster CA (upstream's --cluster-signing-cert-file/--cluster-signing-key-file).
    controllerOptions: { clusterSigningCertFile: path.join(pki.dir, 'ca.crt'), clusterSigningKeyFile: path.join(pki.dir, 'ca.key'), ...cfg.controllerOptions },
    ...cfg.leaderElection,
  });
  return {
    isLeading: () => cm.isLeading(),
    stop: async () => { await cm.stop(); client.close(); credentials.close(); },
  };
}

export interface InProcessAgentConfig {
  /** Default: the host name, lower-cased (as the kubelet). */
  nodeName?: string;
  /** Pod CIDR while the Node has no spec.podCIDR (default 10.42.0.0/24). */
  podCIDR?: string;
  nodeIP?: string;
}

/**
 * The node agent for this host, a client of the API like any other: a client
 * certificate for system:node:<name> in system:nodes, made in memory. Returns
 * at once (containerd and registration come up in the background); undefined
 * when not root, since the agent runs containers.
 */
async function startInProcessAgent(cfg: ServerConfig, ac: InProcessAgentConfig, url: string, pki: Pki, logger: Logger): Promise<Agent | undefined> {
  if (process.getuid?.() !== 0) {
    logger.warn('the node agent needs root to run containers: running without it (--disable-agent silences this)');
    return undefined;
  }
  const nodeName = ac.nodeName ?? os.hostname().toLowerCase();
  const cert = await issueClientCert(pki, { cn: `system:node:${nodeName}`, orgs: ['system:nodes'] });
  const v = versionInfo();
  const client = new RestClient({ server: url, ca: pki.caCertPem, cert: cert.certPem, key: cert.keyPem }, {
    userAgent: `kubelet/${v.gitVersion} (${v.platform}) pilot`,
  });
  const agent = startAgent({
    dir: path.join(cfg.dataDir, 'agent'), nodeName, client, kubeletVersion: v.gitVersion,
    podCIDR: ac.podCIDR, nodeIP: ac.nodeIP,
    logger: pino({ level: logger.level, base: { component: 'agent' } }, pino.destination(2)),
  });
  return {
    ...agent, ready: agent.ready, nodeName: agent.nodeName, criSocket: agent.criSocket,
    stop: async () => { await agent.stop(); client.close(); },
  };
}

/**
 * A random id kept in the data dir: the server's leader-election identity stays
 * the same across restarts, so a server restarted after a crash takes its own
 * Lease back at once instead of waiting for it to expire.
 */
function serverId(dataDir: string): string {
  const file = path.join(dataDir, 'server-id');
  try {
    const id = fs.readFileSync(file, 'utf8').trim();
    if (id) return id;
  } catch { /* first start */ }
  const id = crypto.randomUUID();
  fs.writeFileSync(file, `${id}\n`, { mode: 0o600 });
  return id;
}

/** The host's first non-internal IPv4 address: where Endpoints of `kubernetes` point. */
function firstHostIP(): string | undefined {
  for (const addrs of Object.values(os.networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Upstream's --etcd-healthcheck-timeout default: /readyz answers within it even when etcd is cut off. */
const READYZ_STORE_TIMEOUT_MS = 2_000;

/** Whether the store answers within `timeoutMs` (a cut link would otherwise hang /readyz). */
async function storeReachable(store: Store, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); });
  try {
    return await Promise.race([store.currentRevision().then(() => true, () => false), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the objects a service-account token names straight from the registry (current state). */
function objectGetter(registry: Registry): ObjectGetter {
  const plural = { ServiceAccount: 'serviceaccounts', Pod: 'pods', Secret: 'secrets', Node: 'nodes' } as const;
  return async (kind, ns, name) => registry.rest('', 'v1', plural[kind])!.get(ns, name).catch((e: unknown) => {
    if (e instanceof ApiError && e.code === 404) return undefined;
    throw e;
  });
}
