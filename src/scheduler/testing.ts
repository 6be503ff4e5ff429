// Builders for the scheduler's unit tests: nodes, pods and NodeInfos in a line.

import type { Container, Node, Pod, PodSpec, Taint } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from './nodeinfo.ts';
import { buildPodInfo } from './podinfo.ts';
import { Snapshot } from './snapshot.ts';

export interface NodeOpts {
  cpu?: string; memory?: string; pods?: string; labels?: Record<string, string>; taints?: Taint[];
  extra?: Record<string, string>; unschedulable?: boolean; images?: { names: string[]; sizeBytes: number }[];
}

export function mkNode(name: string, o: NodeOpts = {}): Node {
  const res = { cpu: o.cpu ?? '4', memory: o.memory ?? '8Gi', pods: o.pods ?? '110', ...(o.extra ?? {}) };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...(o.labels ?? {}) } },
    spec: { taints: o.taints, unschedulable: o.unschedulable },
    status: { capacity: res, allocatable: res, images: o.images },
  };
}

export interface PodOpts {
  ns?: string; labels?: Record<string, string>; cpu?: string; memory?: string; requests?: Record<string, string>;
  nodeName?: string; priority?: number; spec?: Partial<PodSpec>; containers?: Container[]; initContainers?: Container[];
}

export function mkPod(name: string, o: PodOpts = {}): Pod {
  const requests: Record<string, string> = { ...(o.requests ?? {}) };
  if (o.cpu) requests.cpu = o.cpu;
  if (o.memory) requests.memory = o.memory;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: o.ns ?? 'default', labels: o.labels, uid: `uid-${name}` },
    spec: {
      containers: o.containers ?? [{ name: 'c', image: 'busybox', resources: Object.keys(requests).length ? { requests } : {} }],
      initContainers: o.initContainers,
      nodeName: o.nodeName,
      priority: o.priority ?? 0,
      ...(o.spec ?? {}),
    },
  };
}

export function mkNodeInfo(node: Node, pods: Pod[] = []): NodeInfo {
  const ni = new NodeInfo(node.metadata!.name!);
  ni.setNode(node);
  for (const p of pods) ni.addPod(buildPodInfo({ ...p, spec: { ...p.spec!, nodeName: node.metadata!.name } }));
  return ni;
}

export function mkSnapshot(...nodes: NodeInfo[]): Snapshot { return Snapshot.of(nodes); }
