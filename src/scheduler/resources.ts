// Resource arithmetic for scheduling: a pod's effective requests (upstream's
// rule: the larger of the sum of app containers and the largest init container,
// with restartable init containers — sidecars — counted as running alongside,
// plus spec.overhead) and a node's allocatable, in integers (milli-CPU, bytes).
// Quantity strings repeat endlessly across pods, so parses are memoized.

import type { Pod, Node, Container } from 'kubernetes-types/core/v1.js';
import { milliValue, parseQuantity, wholeValue } from '../api/validation/quantity.ts';

export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** Requests or capacity: cpu in millicores, memory/storage in bytes, scalars (extended resources) in whole units. */
export interface Resource {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  allowedPodNumber: number;
  /** Extended and hugepages resources, e.g. nvidia.com/gpu. */
  scalar: Map<string, number>;
}

export function emptyResource(): Resource {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, allowedPodNumber: 0, scalar: new Map() };
}

export function cloneResource(r: Resource): Resource {
  return { ...r, scalar: new Map(r.scalar) };
}

const milliMemo = new Map<string, number>();
const wholeMemo = new Map<string, number>();

/** Millicores of a CPU quantity; 0 for garbage (validation keeps it out of stored objects). */
export function milliOf(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  let v = milliMemo.get(s);
  if (v === undefined) {
    const p = parseQuantity(s);
    v = p ? Number(milliValue(p)) : 0;
    if (milliMemo.size > 10_000) milliMemo.clear();
    milliMemo.set(s, v);
  }
  return v;
}

/** Whole units (bytes, counts) of a quantity, rounded up. */
export function valueOf(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const s = String(q);
  let v = wholeMemo.get(s);
  if (v === undefined) {
    const p = parseQuantity(s);
    v = p ? Number(wholeValue(p)) : 0;
    if (wholeMemo.size > 10_000) wholeMemo.clear();
    wholeMemo.set(s, v);
  }
  return v;
}

/** Adds a resource list (requests, capacity) into `r`, scaled by `sign`. */
export function addList(r: Resource, list: Record<string, string | number> | undefined, sign = 1): void {
  if (!list) return;
  for (const name of Object.keys(list)) {
    const q = list[name];
    switch (name) {
      case CPU: r.milliCPU += sign * milliOf(q); break;
      case MEMORY: r.memory += sign * valueOf(q); break;
      case EPHEMERAL_STORAGE: r.ephemeralStorage += sign * valueOf(q); break;
      case PODS: r.allowedPodNumber += sign * valueOf(q); break;
      default:
        if (isScalarResource(name)) r.scalar.set(name, (r.scalar.get(name) ?? 0) + sign * valueOf(q));
    }
  }
}

/** Resources counted in Resource.scalar: extended resources, hugepages and attachable volumes. */
export function isScalarResource(name: string): boolean {
  if (name.startsWith('hugepages-') || name.startsWith('attachable-volumes-')) return true;
  // Extended resources (example.com/foo) and prefixed native ones (kubernetes.io/…).
  return name.includes('/') && !name.startsWith('requests.');
}

function maxInto(r: Resource, o: Resource): void {
  r.milliCPU = Math.max(r.milliCPU, o.milliCPU);
  r.memory = Math.max(r.memory, o.memory);
  r.ephemeralStorage = Math.max(r.ephemeralStorage, o.ephemeralStorage);
  for (const [k, v] of o.scalar) r.scalar.set(k, Math.max(r.scalar.get(k) ?? 0, v));
}

function addInto(r: Resource, o: Resource): void {
  r.milliCPU += o.milliCPU;
  r.memory += o.memory;
  r.ephemeralStorage += o.ephemeralStorage;
  for (const [k, v] of o.scalar) r.scalar.set(k, (r.scalar.get(k) ?? 0) + v);
}

function containerRequests(c: Container): Resource {
  const r = emptyResource();
  addList(r, c.resources?.requests as Record<string, string> | undefined);
  return r;
}

/**
 * What a pod asks of a node (upstream's PodRequests): app containers summed;
 * each init container runs alone (plus the sidecars started before it), so the
 * pod needs the max of that and the app total; sidecars also run with the app
 * containers. Overhead (RuntimeClass) is added on top.
 */
export function podRequests(pod: Pod): Resource {
  const reqs = emptyResource();
  for (const c of pod.spec?.containers ?? []) addInto(reqs, containerRequests(c));
  const sidecars = emptyResource();
  const initMax = emptyResource();
  for (const c of pod.spec?.initContainers ?? []) {
    const cr = containerRequests(c);
    if (c.restartPolicy === 'Always') {
      addInto(sidecars, cr);
      maxInto(initMax, sidecars);
    } else {
      const during = cloneResource(cr);
      addInto(during, sidecars);
      maxInto(initMax, during);
    }
  }
  addInto(reqs, sidecars);
  maxInto(reqs, initMax);
  addList(reqs, pod.spec?.overhead as Record<string, string> | undefined);
  return reqs;
}

/** Upstream's defaults for scoring a container that requests nothing: 0.1 core, 200 MiB. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/** cpu/memory requests with the non-zero defaults per container, for scoring (spreads best-effort pods). */
export function podNonZeroRequests(pod: Pod): { milliCPU: number; memory: number } {
  const one = (c: Container): { milliCPU: number; memory: number } => {
    const req = c.resources?.requests as Record<string, string> | undefined;
    return {
      milliCPU: req?.cpu !== undefined ? milliOf(req.cpu) : DEFAULT_MILLI_CPU_REQUEST,
      memory: req?.memory !== undefined ? valueOf(req.memory) : DEFAULT_MEMORY_REQUEST,
    };
  };
  let cpu = 0, mem = 0;
  for (const c of pod.spec?.containers ?? []) { const r = one(c); cpu += r.milliCPU; mem += r.memory; }
  for (const c of pod.spec?.initContainers ?? []) {
    const r = one(c);
    if (c.restartPolicy === 'Always') { cpu += r.milliCPU; mem += r.memory; } else { cpu = Math.max(cpu, r.milliCPU); mem = Math.max(mem, r.memory); }
  }
  const oh = pod.spec?.overhead as Record<string, string> | undefined;
  if (oh) { cpu += milliOf(oh.cpu); mem += valueOf(oh.memory); }
  return { milliCPU: cpu, memory: mem };
}

/** A node's allocatable (falling back to capacity, as the kubelet reports both). */
export function nodeAllocatable(node: Node): Resource {
  const r = emptyResource();
  addList(r, (node.status?.allocatable ?? node.status?.capacity) as Record<string, string> | undefined);
  return r;
}
