// The Node and Lease objects a simulated node registers, shaped like those a
// kubelet writes (labels, nodeInfo, conditions with the kubelet's reasons and
// messages, daemonEndpoints), so the scheduler and the node lifecycle
// controller cannot tell them from real ones. Pure functions: time comes in.

import { createHash } from 'node:crypto';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, NodeStatus } from 'kubernetes-types/core/v1.js';
import { SIMULATED_NODE_LABEL, type SimulatedNodesConfig } from './options.ts';

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Where a real kubelet listens; nobody connects to a simulated one. */
const KUBELET_PORT = 10250;
const ARCH = process.arch === 'x64' ? 'amd64' : process.arch;

/** Identity of one simulated node: its name and its fake addresses (never routed). */
export interface SimNodeIdentity {
  name: string;
  index: number;
  /** InternalIP, from 10.200.0.0/16. */
  ip: string;
  /** Pod addresses when the node has no spec.podCIDR: a /24 of 10.128.0.0/9. */
  fakePodCidr: string;
}

/** Node `index` of a simulated set. Up to 65,000 nodes get distinct addresses. */
export function simNodeIdentity(prefix: string, index: number): SimNodeIdentity {
  const n = index + 1;
  return {
    name: `${prefix}${index}`,
    index,
    ip: `10.200.${(n >> 8) & 255}.${n & 255}`,
    fakePodCidr: `10.${128 + ((index >> 8) & 127)}.${index & 255}.0/24`,
  };
}

/** RFC 3339 to the second, as metav1.Time. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** metav1.MicroTime: RFC 3339 with microseconds (Lease renewTime). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

function hex(seed: string, len: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, len);
}

function uuidFrom(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export function nodeLabels(id: SimNodeIdentity, cfg: Pick<SimulatedNodesConfig, 'labels'>): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': ARCH,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': ARCH,
    'kubernetes.io/hostname': id.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': 'pilot-simulated',
    [SIMULATED_NODE_LABEL]: 'true',
    ...cfg.labels,
  };
}

/** The kubelet's four node conditions, all healthy; transition times kept from `previous` where the status is unchanged. */
export function healthyConditions(now: number, previous: readonly NodeCondition[] = []): NodeCondition[] {
  const t = rfc3339(now);
  const cond = (type: string, status: string, reason: string, message: string): NodeCondition => {
    const prev = previous.find((c) => c.type === type);
    return { type, status, lastHeartbeatTime: t, lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : t, reason, message };
  };
  return [
    cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
    cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

/** Full node status as the kubelet reports it at registration. */
export function nodeStatus(id: SimNodeIdentity, cfg: Pick<SimulatedNodesConfig, 'capacity'>, kubeletVersion: string, now: number,
  previous: readonly NodeCondition[] = []): NodeStatus {
  return {
    capacity: { ...cfg.capacity },
    allocatable: { ...cfg.capacity },
    conditions: healthyConditions(now, previous),
    addresses: [{ type: 'InternalIP', address: id.ip }, { type: 'Hostname', address: id.name }],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: hex(`machine/${id.name}`, 32),
      systemUUID: uuidFrom(`system/${id.name}`),
      bootID: uuidFrom(`boot/${id.name}`),
      kernelVersion: 'pilot-simulated',
      osImage: 'Pilot simulated node',
      containerRuntimeVersion: 'pilot-sim://0.1.0',
      kubeletVersion,
      kubeProxyVersion: kubeletVersion,
      operatingSystem: 'linux',
      architecture: ARCH,
    },
  };
}

export function buildNode(id: SimNodeIdentity, cfg: Pick<SimulatedNodesConfig, 'capacity' | 'labels' | 'taints'>, kubeletVersion: string, now: number): Node {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id, cfg),
      // As the kubelet: attach/detach is the controller's job; no TTL on cached objects.
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: cfg.taints.length ? { taints: cfg.taints.map((t) => ({ ...t })) } : {},
    status: nodeStatus(id, cfg, kubeletVersion, now),
  };
}

/** The node's Lease in kube-node-lease, owned by the Node (so it goes when the Node does). */
export function buildLease(node: { name: string; uid?: string }, durationSeconds: number, now: number): Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name: node.name,
      namespace: NODE_LEASE_NAMESPACE,
      ...(node.uid ? { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.name, uid: node.uid }] } : {}),
    },
    spec: { holderIdentity: node.name, leaseDurationSeconds: durationSeconds, renewTime: microTime(now) },
  };
}
