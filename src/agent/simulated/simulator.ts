// Simulated nodes, like kwok: N Node objects that register, keep their Leases
// and status fresh, and run the pods bound to them on paper (Running/Ready,
// scripted completions and failures, graceful deletion), through the API
// only. For scale tests of the scheduler and controllers; one process holds
// thousands of nodes because nothing is per node but two timers and a record.
//
//   const sim = await startSimulatedNodes({ client, count: 100 });
//   …
//   await sim.stop();   // renewals stop; the nodes go NotReady in time

import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import pino, { type Logger } from 'pino';
import { realClock, type Clock } from '../../base/clock.ts';
import { isAlreadyExists, isConflict, isNotFound, ResourceInformer, type RestClient } from '../../client/index.ts';
import { Heartbeats } from './heartbeat.ts';
import { InflightLimit } from './inflight.ts';
import { PodAddressPool } from './ipam.ts';
import { buildLease, buildNode, healthyConditions, microTime, NODE_LEASE_NAMESPACE, nodeLabels, nodeStatus, simNodeIdentity, type SimNodeIdentity } from './node.ts';
import { SIMULATED_DEFAULTS, SIMULATED_NODE_LABEL, type SimulatedNodesConfig } from './options.ts';
import { PodSimulator, type SimNodeState } from './pods.ts';

export interface StartSimulatedNodesOptions extends Partial<Omit<SimulatedNodesConfig, 'count'>> {
  /** Its rate limit should be off (qps 0): the in-flight cap is what paces the simulator. */
  client: RestClient;
  count: number;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** Called as nodes finish registering (count so far). */
  onRegistered?: (registered: number) => void;
}

export interface SimulatedNodesStats {
  nodes: number;
  leaseRenewals: number;
  statusReports: number;
  heartbeatErrors: number;
  pods: number;
  podStatusWrites: number;
  podDeletes: number;
  podErrors: number;
}

export interface SimulatedNodes {
  readonly nodeNames: readonly string[];
  readonly config: SimulatedNodesConfig;
  stats(): SimulatedNodesStats;
  /** Stops renewals and pod handling; the Node objects stay (their Leases then expire). */
  stop(): Promise<void>;
}

interface NodeRecord extends SimNodeState {
  id: SimNodeIdentity;
  uid?: string;
  lease?: Lease;
  podCidr?: string;
}

/** The Lease as we send it back on renewal: managedFields stay on the server (an update without them keeps them). */
function slimLease(lease: Lease): Lease {
  const { managedFields: _unused, ...metadata } = lease.metadata ?? {};
  return { ...lease, metadata };
}

export function validateConfig(cfg: SimulatedNodesConfig): void {
  if (!Number.isInteger(cfg.count) || cfg.count < 1 || cfg.count > 65_000) throw new Error(`node count must be an integer from 1 to 65000, not ${cfg.count}`);
  if (!(cfg.podFailRatio >= 0 && cfg.podFailRatio <= 1)) throw new Error(`pod fail ratio must be within 0–1, not ${cfg.podFailRatio}`);
  if (!(cfg.podStartDelayMs >= 0)) throw new Error(`pod start delay must not be negative, not ${cfg.podStartDelayMs}`);
  if (!(cfg.leaseRenewIntervalMs > 0) || !(cfg.nodeStatusReportIntervalMs > 0)) throw new Error('heartbeat intervals must be positive');
  if (!(cfg.leaseDurationSeconds > 0)) throw new Error('lease duration must be positive');
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9-])?$/.test(cfg.namePrefix) && cfg.namePrefix !== '') throw new Error(`node name prefix "${cfg.namePrefix}" would not make valid node names`);
}

export async function startSimulatedNodes(opts: StartSimulatedNodesOptions): Promise<SimulatedNodes> {
  const { client, clock = realClock, random = Math.random, onRegistered } = opts;
  const logger = opts.logger ?? pino({ level: process.env.PILOT_LOG_LEVEL ?? 'warn', base: { component: 'simulated-nodes' } }, pino.destination(2));
  const cfg: SimulatedNodesConfig = { ...SIMULATED_DEFAULTS, count: opts.count };
  for (const k of Object.keys(SIMULATED_DEFAULTS) as (keyof typeof SIMULATED_DEFAULTS)[]) {
    if (opts[k] !== undefined) (cfg as unknown as Record<string, unknown>)[k] = opts[k];
  }
  validateConfig(cfg);

  const version = await client.request<{ gitVersion?: string }>('GET', '/version');
  const kubeletVersion = version?.gitVersion ?? 'v0.0.0';
  const nodesApi = client.resource<Node>('v1', 'Node');
  const leasesApi = client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace(NODE_LEASE_NAMESPACE);
  // Node writes (registration, Leases, status) and pod writes have limits of
  // their own: a server slow to absorb 5,000 nodes' heartbeats must not starve
  // pods, nor a burst of pods delay the Leases that keep nodes Ready.
  const limit = new InflightLimit(cfg.maxInflight);
  const podLimit = new InflightLimit(cfg.maxInflight);
  const records = new Map<string, NodeRecord>();
  for (let i = 0; i < cfg.count; i++) {
    const id = simNodeIdentity(cfg.namePrefix, i);
    records.set(id.name, { id, name: id.name, ip: id.ip, pool: new PodAddressPool(id.fakePodCidr) });
  }

  const noteNode = (rec: NodeRecord, node: Node): void => {
    rec.uid = node.metadata?.uid;
    const cidr = node.spec?.podCIDR;
    if (cidr && cidr !== rec.podCidr) {
      try {
        rec.pool.setCidr(cidr);
        rec.podCidr = cidr;
      } catch (e) {
        logger.warn({ node: rec.name, err: e }, 'ignoring the node\'s pod CIDR');
        rec.podCidr = cidr;
      }
    }
  };

  const register = async (rec: NodeRecord): Promise<void> => {
    const now = clock.now();
    try {
      noteNode(rec, await limit.run(() => nodesApi.create(buildNode(rec.id, cfg, kubeletVersion, now))));
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Registered before (an agent restart): as the kubelet, take the node over —
      // refresh our labels and the whole status, leave spec (taints, cordon) to its owners.
      const existing = await limit.run(() => nodesApi.get(rec.name));
      noteNode(rec, existing);
      await limit.run(() => nodesApi.patch(rec.name, 'merge', { metadata: { labels: nodeLabels(rec.id, cfg) } }));
      await limit.run(() => nodesApi.patch(rec.name, 'merge',
        { status: nodeStatus(rec.id, cfg, kubeletVersion, now, existing.status?.conditions ?? []) }, { subresource: 'status' }));
    }
    await renewLease(rec);
  };

  const renewLease = async (rec: NodeRecord): Promise<void> => {
    const now = microTime(clock.now());
    if (rec.lease) {
      const next: Lease = { ...rec.lease, spec: { ...rec.lease.spec, holderIdentity: rec.name, leaseDurationSeconds: cfg.leaseDurationSeconds, renewTime: now } };
      try {
        rec.lease = slimLease(await limit.run(() => leasesApi.update(next)));
        return;
      } catch (e) {
        if (!isConflict(e) && !isNotFound(e)) throw e;
        rec.lease = undefined; // someone else wrote it (or it went): read it afresh below
      }
    }
    try {
      const current = await limit.run(() => leasesApi.get(rec.name));
      const ownerReferences = current.metadata?.ownerReferences?.length || !rec.uid ? current.metadata?.ownerReferences
        : [{ apiVersion: 'v1', kind: 'Node', name: rec.name, uid: rec.uid }];
      rec.lease = slimLease(await limit.run(() => leasesApi.update({
        ...current, metadata: { ...current.metadata, ownerReferences },
        spec: { ...current.spec, holderIdentity: rec.name, leaseDurationSeconds: cfg.leaseDurationSeconds, renewTime: now },
      })));
    } catch (e) {
      if (!isNotFound(e)) throw e;
      rec.lease = slimLease(await limit.run(() => leasesApi.create(buildLease({ name: rec.name, uid: rec.uid }, cfg.leaseDurationSeconds, clock.now()))));
    }
  };

  const reportStatus = async (rec: NodeRecord): Promise<void> => {
    const node = await limit.run(() => nodesApi.get(rec.name));
    noteNode(rec, node);
    const conditions = healthyConditions(clock.now(), node.status?.conditions ?? []);
    await limit.run(() => nodesApi.patch(rec.name, 'merge', { status: { conditions } }, { subresource: 'status' }));
  };

  const heartbeats = new Heartbeats({
    renewLease: (name) => renewLease(records.get(name)!),
    reportStatus: (name) => reportStatus(records.get(name)!),
  }, {
    clock, random, leaseRenewIntervalMs: cfg.leaseRenewIntervalMs, nodeStatusReportIntervalMs: cfg.nodeStatusReportIntervalMs,
    onError: (node, what, err) => logger.warn({ node, err }, what === 'lease' ? 'lease renewal failed; retrying' : 'node status report failed'),
  });

  // Register every node, at most maxInflight requests at once (the limit queues the rest).
  let registered = 0;
  const failures: unknown[] = [];
  await Promise.all([...records.values()].map(async (rec) => {
    try {
      await register(rec);
      heartbeats.add(rec.name);
      onRegistered?.(++registered);
    } catch (e) {
      failures.push(e);
      logger.error({ node: rec.name, err: e }, 'node registration failed');
    }
  }));
  if (failures.length) {
    limit.close();
    await heartbeats.stop();
    const first = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    throw new Error(`${failures.length} of ${cfg.count} simulated nodes failed to register: ${first}`);
  }

  // Node IPAM may give a node its spec.podCIDR after registration: follow our nodes
  // (slim copies) so pods get addresses from it as soon as it is there.
  const nodeInformer = new ResourceInformer<Node>(nodesApi, {
    labelSelector: `${SIMULATED_NODE_LABEL}=true`, freeze: false, clock, name: 'simulated-nodes', pageSize: 1000,
    transform: (n) => ({ metadata: { name: n.metadata?.name, uid: n.metadata?.uid, resourceVersion: n.metadata?.resourceVersion }, spec: { podCIDR: n.spec?.podCIDR } }),
  });
  const nodeAbort = new AbortController();
  const follow = (n: Node): void => { const rec = records.get(n.metadata?.name ?? ''); if (rec) noteNode(rec, n); };
  nodeInformer.on({ add: follow, update: (_old, n) => follow(n) });
  nodeInformer.start(nodeAbort.signal);
  await nodeInformer.waitForSync(nodeAbort.signal);

  const pods = new PodSimulator({
    client, nodes: records, limit: podLimit, clock, logger, workers: cfg.maxInflight,
    podStartDelayMs: cfg.podStartDelayMs, podFailRatio: cfg.podFailRatio,
  });
  await pods.start();

  let stopping: Promise<void> | undefined;
  return {
    nodeNames: [...records.keys()],
    config: cfg,
    stats: () => ({
      nodes: heartbeats.size,
      leaseRenewals: heartbeats.stats.leaseRenewals,
      statusReports: heartbeats.stats.statusReports,
      heartbeatErrors: heartbeats.stats.errors,
      pods: pods.count(),
      podStatusWrites: pods.stats.statusWrites,
      podDeletes: pods.stats.deletes,
      podErrors: pods.stats.errors,
    }),
    stop: () => {
      if (!stopping) {
        // Requests not yet sent are dropped; those on the wire finish.
        limit.close();
        podLimit.close();
        stopping = Promise.all([heartbeats.stop(), pods.stop(), nodeInformer.stop()]).then(() => undefined);
      }
      return stopping;
    },
  };
}
