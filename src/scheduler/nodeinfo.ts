// NodeInfo: one node and the pods on it (bound or assumed), with the totals
// the filters and scores need kept up to date as pods come and go, so a
// filter is O(1) in the number of pods on the node.

import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { cloneResource, emptyResource, nodeAllocatable, type Resource } from './resources.ts';
import type { PodInfo } from './types.ts';

export class NodeInfo {
  node?: Node;
  readonly name: string;
  readonly pods = new Map<string, PodInfo>();
  /** Pods with any (anti-)affinity term; InterPodAffinity walks only these. */
  readonly podsWithAffinity = new Map<string, PodInfo>();
  readonly podsWithRequiredAntiAffinity = new Map<string, PodInfo>();
  requested: Resource = emptyResource();
  /** Requests with the scoring defaults for containers that ask for nothing. */
  nonZeroRequested = { milliCPU: 0, memory: 0 };
  allocatable: Resource = emptyResource();
  /** "ip/protocol/port" → count of pods using it. */
  readonly usedPorts = new Map<string, number>();
  /** Normalized image name → size in bytes, from node.status.images (ImageLocality). */
  imageSizes = new Map<string, number>();
  /** Bumped on every change (the snapshot follows changes by it). */
  generation = 0;

  constructor(name: string) { this.name = name; }

  get labels(): Record<string, string> { return (this.node?.metadata?.labels ?? {}) as Record<string, string>; }
  get taints(): readonly Taint[] { return this.node?.spec?.taints ?? []; }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.imageSizes = new Map();
    for (const img of node.status?.images ?? []) {
      for (const n of img.names ?? []) this.imageSizes.set(normalizeImageName(n), img.sizeBytes ?? 0);
    }
    this.generation++;
  }

  addPod(p: PodInfo): void {
    if (this.pods.has(p.key)) this.removePod(p.key);
    this.pods.set(p.key, p);
    if (p.requiredAffinity.length || p.requiredAntiAffinity.length || p.preferredAffinity.length || p.preferredAntiAffinity.length) {
      this.podsWithAffinity.set(p.key, p);
    }
    if (p.requiredAntiAffinity.length) this.podsWithRequiredAntiAffinity.set(p.key, p);
    this.account(p, 1);
  }

  /** Returns the removed PodInfo, if the pod was here. */
  removePod(key: string): PodInfo | undefined {
    const p = this.pods.get(key);
    if (!p) return undefined;
    this.pods.delete(key);
    this.podsWithAffinity.delete(key);
    this.podsWithRequiredAntiAffinity.delete(key);
    this.account(p, -1);
    return p;
  }

  private account(p: PodInfo, sign: 1 | -1): void {
    const r = this.requested;
    r.milliCPU += sign * p.requests.milliCPU;
    r.memory += sign * p.requests.memory;
    r.ephemeralStorage += sign * p.requests.ephemeralStorage;
    for (const [k, v] of p.requests.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + sign * v);
    this.nonZeroRequested.milliCPU += sign * p.nonZero.milliCPU;
    this.nonZeroRequested.memory += sign * p.nonZero.memory;
    for (const hp of p.hostPorts) {
      const k = `${hp.ip}/${hp.protocol}/${hp.port}`;
      const n = (this.usedPorts.get(k) ?? 0) + sign;
      if (n > 0) this.usedPorts.set(k, n); else this.usedPorts.delete(k);
    }
    this.generation++;
  }

  /** A copy that can be changed without touching this one (preemption's what-if). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.name);
    c.node = this.node;
    for (const [k, p] of this.pods) c.pods.set(k, p);
    for (const [k, p] of this.podsWithAffinity) c.podsWithAffinity.set(k, p);
    for (const [k, p] of this.podsWithRequiredAntiAffinity) c.podsWithRequiredAntiAffinity.set(k, p);
    c.requested = cloneResource(this.requested);
    c.nonZeroRequested = { ...this.nonZeroRequested };
    c.allocatable = this.allocatable;
    for (const [k, v] of this.usedPorts) c.usedPorts.set(k, v);
    c.imageSizes = this.imageSizes;
    c.generation = this.generation;
    return c;
  }
}

/** Upstream's normalization: a name without tag or digest means ":latest". */
export function normalizeImageName(name: string): string {
  if (name.includes('@')) return name;
  const slash = name.lastIndexOf('/');
  return name.slice(slash + 1).includes(':') ? name : `${name}:latest`;
}
