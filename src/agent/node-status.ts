// The node's side of the Node object: registration, status (capacity,
// allocatable, addresses, nodeInfo, conditions, images) and the heartbeat Lease
// in kube-node-lease, as the kubelet keeps them. Status goes out as a strategic
// merge patch of nodes/status, so conditions other components own (and the
// node lifecycle controller's changes) are left alone.

import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Logger } from 'pino';
import { sleep, type Clock } from '../base/clock.ts';
import { isAlreadyExists, isNotFound, type ResourceClient, type RestClient } from '../client/index.ts';
import type { HostFacts } from './host.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Upstream defaults: the kubelet renews every 10 s a lease of 40 s. */
export const LEASE_DURATION_SECONDS = 40;
export const LEASE_RENEW_INTERVAL_MS = 10_000;
/** A full status update at least this often even when nothing changed (upstream: 5 min with leases; shorter here). */
export const STATUS_REPORT_INTERVAL_MS = 60_000;

/** Upstream's default hard eviction thresholds, subtracted from capacity to give allocatable. */
const EVICTION_MEMORY_BYTES = 100 * 1024 * 1024;
const EVICTION_NODEFS_FRACTION = 0.1;

export const MAX_PODS = 110;

export interface RuntimeState {
  /** containerd://1.6.20 */
  runtimeVersion: string;
  runtimeReady: boolean;
  networkReady: boolean;
  /** Why not ready, as the runtime said. */
  message?: string;
  images: { names: string[]; sizeBytes: number }[];
}

export interface NodeIdentity {
  name: string;
  kubeletVersion: string;
  /** Extra labels (e.g. node-role.kubernetes.io/control-plane on a server's own node). */
  labels?: Record<string, string>;
  /** Overrides the host's first IPv4 address. */
  nodeIP?: string;
}

function kib(bytes: number): string { return `${Math.floor(bytes / 1024)}Ki`; }

export function nodeLabels(id: NodeIdentity, host: HostFacts): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': host.architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': host.architecture,
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    ...id.labels,
  };
}

/** The object registered when the node first joins. */
export function initialNode(id: NodeIdentity, host: HostFacts): Node {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id, host),
      annotations: { 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: {},
  };
}

/**
 * The condition set as the kubelet reports it. `previous` keeps each
 * condition's lastTransitionTime while its status stays the same.
 */
export function nodeConditions(now: string, rt: RuntimeState, previous: readonly NodeCondition[] = []): NodeCondition[] {
  const readyMessage = !rt.runtimeReady ? `container runtime is down${rt.message ? `: ${rt.message}` : ''}`
    : !rt.networkReady ? `container runtime network not ready: NetworkReady=false${rt.message ? ` ${rt.message}` : ''}`
      : 'kubelet is posting ready status';
  const ready = rt.runtimeReady && rt.networkReady;
  const want: Omit<NodeCondition, 'lastHeartbeatTime' | 'lastTransitionTime'>[] = [
    { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory', message: 'kubelet has sufficient memory available' },
    { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure', message: 'kubelet has no disk pressure' },
    { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID', message: 'kubelet has sufficient PID available' },
    { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'KubeletReady' : 'KubeletNotReady', message: readyMessage },
  ];
  return want.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const transition = prev && prev.status === c.status && prev.lastTransitionTime ? prev.lastTransitionTime : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime: transition };
  });
}

export function nodeStatus(id: NodeIdentity, host: HostFacts, rt: RuntimeState, now: string, previous?: NodeStatus): NodeStatus {
  const capacity = {
    cpu: String(host.cpus),
    memory: kib(host.memoryBytes),
    pods: String(MAX_PODS),
    'ephemeral-storage': kib(host.ephemeralStorageBytes),
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
  };
  const allocatable = {
    ...capacity,
    memory: kib(Math.max(0, host.memoryBytes - EVICTION_MEMORY_BYTES)),
    // Upstream reports this one in bytes, without a suffix.
    'ephemeral-storage': String(Math.floor(host.ephemeralStorageBytes * (1 - EVICTION_NODEFS_FRACTION))),
  };
  const ip = id.nodeIP ?? host.internalIP;
  return {
    capacity, allocatable,
    conditions: nodeConditions(now, rt, previous?.conditions),
    addresses: [...(ip ? [{ type: 'InternalIP', address: ip }] : []), { type: 'Hostname', address: id.name }],
    nodeInfo: {
      machineID: host.machineID,
      systemUUID: host.systemUUID,
      bootID: host.bootID,
      kernelVersion: host.kernelVersion,
      osImage: host.osImage,
      containerRuntimeVersion: rt.runtimeVersion,
      kubeletVersion: id.kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: host.architecture,
    },
    // Upstream lists at most 50 images, largest first.
    images: [...rt.images].sort((a, b) => b.sizeBytes - a.sizeBytes).slice(0, 50),
  };
}

/** metav1.MicroTime: RFC 3339 with microseconds. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** metav1.Time: RFC 3339 in seconds. */
export function rfc3339(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface NodeStatusManagerOptions {
  client: RestClient;
  identity: NodeIdentity;
  host: () => HostFacts;
  runtime: () => Promise<RuntimeState>;
  clock: Clock;
  logger: Logger;
  /** Told when the node object's spec.podCIDR is seen (at registration and on every status pass). */
  onPodCIDR?: (cidr: string | undefined) => void;
}

export class NodeStatusManager {
  private readonly nodes: ResourceClient<Node>;
  private readonly leases: ResourceClient<Lease>;
  private node?: Node;
  private lastReady?: string;
  private readonly abort = new AbortController();
  private loops: Promise<void>[] = [];

  constructor(private readonly o: NodeStatusManagerOptions) {
    this.nodes = o.client.resource<Node>('v1', 'Node');
    this.leases = o.client.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace(NODE_LEASE_NAMESPACE);
  }

  get current(): Node | undefined { return this.node; }

  /** Creates the Node (or adopts an existing one of the same name) and posts the first status. */
  async register(): Promise<Node> {
    const host = this.o.host();
    const want = initialNode(this.o.identity, host);
    try {
      this.node = await this.nodes.create(want);
      this.o.logger.info({ node: this.o.identity.name }, 'node registered');
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      // Re-registration after a restart: keep spec (podCIDR, taints, unschedulable), refresh our labels.
      const existing = await this.nodes.get(this.o.identity.name);
      const labels = { ...existing.metadata?.labels, ...want.metadata!.labels };
      this.node = await this.nodes.patch(this.o.identity.name, 'merge', { metadata: { labels } });
    }
    await this.updateStatus();
    return this.node!;
  }

  /** Starts the lease and status loops (after register()). */
  start(): void {
    const signal = this.abort.signal;
    this.loops.push(this.every(LEASE_RENEW_INTERVAL_MS, () => this.renewLease(), 'lease renewal', signal, true));
    this.loops.push(this.every(LEASE_RENEW_INTERVAL_MS, () => this.updateStatusIfNeeded(), 'node status update', signal, false));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async every(ms: number, fn: () => Promise<void>, what: string, signal: AbortSignal, immediately: boolean): Promise<void> {
    if (!immediately) await sleep(this.o.clock, ms, signal);
    while (!signal.aborted) {
      try { await fn(); } catch (err) { if (!signal.aborted) this.o.logger.warn({ err }, `${what} failed`); }
      await sleep(this.o.clock, ms, signal);
    }
  }

  private lastFullUpdate = 0;

  /** Posts status when Ready changed or the report interval passed; otherwise the lease is the heartbeat. */
  private async updateStatusIfNeeded(): Promise<void> {
    const rt = await this.o.runtime();
    const ready = rt.runtimeReady && rt.networkReady ? 'True' : 'False';
    if (ready !== this.lastReady || this.o.clock.now() - this.lastFullUpdate >= STATUS_REPORT_INTERVAL_MS) {
      await this.updateStatus(rt);
    } else {
      // Still pick up a pod CIDR assigned since the last pass.
      const node = await this.nodes.get(this.o.identity.name);
      this.node = node;
      this.o.onPodCIDR?.(node.spec?.podCIDR);
    }
  }

  async updateStatus(rt?: RuntimeState): Promise<void> {
    const runtime = rt ?? await this.o.runtime();
    const now = rfc3339(this.o.clock.now());
    const status = nodeStatus(this.o.identity, this.o.host(), runtime, now, this.node?.status);
    this.node = await this.nodes.patch(this.o.identity.name, 'strategic', { status }, { subresource: 'status' });
    this.lastFullUpdate = this.o.clock.now();
    this.lastReady = status.conditions?.find((c) => c.type === 'Ready')?.status;
    this.o.onPodCIDR?.(this.node.spec?.podCIDR);
  }

  async renewLease(): Promise<void> {
    const name = this.o.identity.name;
    const now = microTime(this.o.clock.now());
    try {
      const lease = await this.leases.get(name);
      await this.leases.update({
        ...lease,
        spec: { ...lease.spec, holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      const owner = this.node?.metadata?.uid
        ? [{ apiVersion: 'v1', kind: 'Node', name, uid: this.node.metadata.uid }] : undefined;
      await this.leases.create({
        apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
        metadata: { name, namespace: NODE_LEASE_NAMESPACE, ownerReferences: owner },
        spec: { holderIdentity: name, leaseDurationSeconds: LEASE_DURATION_SECONDS, renewTime: now },
      });
    }
  }
}
