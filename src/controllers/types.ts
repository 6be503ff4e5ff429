// What every controller gets and must provide. A controller is informers + a
// work queue + an idempotent sync(key) that re-reads the informer caches; it
// talks to the cluster only through the client library (never the store).
//
// The start protocol (manager.ts), each time this manager becomes leader:
//  1. one fresh SharedInformerFactory and one fresh ControllerContext;
//  2. every enabled controller's run(ctx) is called, one after another, in
//     one synchronous pass: the code of run() before its first `await` must
//     request every informer it needs (ctx.informers.informerFor) and register
//     its handlers;
//  3. after one more microtask turn the manager starts the factory (informers
//     requested later still start, at once — but may miss the shared sync);
//  4. each controller waits for its informers to sync (waitForSync in
//     worker.ts, or informer.waitForSync(ctx.signal)) before it processes keys,
//     so no sync ever sees a half-filled cache;
//  5. on stop() or lost leadership ctx.signal aborts: run() must shut its
//     queue down, let in-flight syncs finish, and return; then the manager
//     stops the factory (every watch ends) and flushes event recorders.
//     Nothing a controller made may outlive its run() (timers, watches).

import type { Logger } from 'pino';
import type { Clock } from '../base/clock.ts';
import type { RestClient, SharedInformerFactory, EventRecorder } from '../client/index.ts';

export interface ControllerContext {
  client: RestClient;
  /** Shared by all controllers: one informer per resource. Start happens after every controller registered. */
  informers: SharedInformerFactory;
  /** An event recorder reporting as `component` (e.g. "deployment-controller"). */
  recorder(component: string): EventRecorder;
  clock: Clock;
  /** Already carries the controller's name (`controller` field). */
  logger: Logger;
  /** Aborted when the controller manager stops (or loses leadership). */
  signal: AbortSignal;
  /**
   * The cluster CA certificate(s), PEM — upstream's --root-ca-file: what the
   * root-ca-cert-publisher puts in every namespace. Undefined when not known.
   */
  rootCAPem?: string;
  /** Per-controller settings from the server's flags; a field left unset means the controller's default. */
  options?: ControllerOptions;
}

/**
 * Settings of individual controllers, as kube-controller-manager's flags
 * (named after them). Every field is optional: controllers fall back to
 * upstream's defaults.
 */
export interface ControllerOptions {
  /** --cluster-cidr: pod IPs of the cluster, one CIDR per IP family, comma-separated (node IPAM). */
  clusterCidr?: string;
  /** --node-cidr-mask-size: prefix length of each node's pod CIDR (IPv4; IPv6 uses 64 unless set). */
  nodeCidrMaskSize?: number;
  /** --node-cidr-mask-size-ipv6. */
  nodeCidrMaskSizeIPv6?: number;
  /** --node-monitor-period in ms: how often node health is checked (node lifecycle). */
  nodeMonitorPeriodMs?: number;
  /** --node-monitor-grace-period in ms: how long a node may go without heartbeats before it is Unknown. */
  nodeMonitorGracePeriodMs?: number;
  /** --node-startup-grace-period in ms: the same for a node that never posted status. */
  nodeStartupGracePeriodMs?: number;
  /** --node-eviction-rate: nodes per second whose NoExecute taints may be applied. */
  nodeEvictionRate?: number;
  /** --cluster-signing-cert-file / --cluster-signing-key-file: the CA (PEM files) the CSR signer signs with. */
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  /** --cluster-signing-duration in ms: the longest certificate the CSR signer issues (default 1 year). */
  clusterSigningDurationMs?: number;
}

export interface Controller {
  /** Upstream's name, e.g. "namespace", "garbage-collector", "replicaset". */
  name: string;
  /**
   * Register informers and handlers, then process work until ctx.signal aborts.
   * Must request its informers before awaiting anything (the manager starts
   * the factory once every controller has registered), and must return once the
   * signal aborts, leaving no timers or watches behind.
   */
  run(ctx: ControllerContext): Promise<void>;
}
