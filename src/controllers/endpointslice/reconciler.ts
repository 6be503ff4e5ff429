// Turning existing EndpointSlices into the desired ones with as few writes as
// possible (upstream's reconciler): endpoints stay in the slice they are in;
// a slice is rewritten only when one of its endpoints changed or went;
// new endpoints first fill slices being rewritten anyway (fullest first), then
// one unchanged slice they fit in entirely, then new slices; a slice that
// would be deleted is reused instead of creating one. Pure: no I/O.

import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { semanticEqual } from '../replicaset/util.ts';
import { endpointKey, newEndpointSlice, portMapKey, sliceLabels, type PortGroup } from './desired.ts';

/** Who the slices belong to: a Service (this controller) or mirrored Endpoints (the mirroring controller). */
export interface SliceOwner {
  /** The labels every slice must carry (rewritten when they differ). */
  labels: Record<string, string>;
  /** When set, the annotations every slice must carry (rewritten when they differ). */
  annotations?: Record<string, string>;
  /** A new, unnamed slice. */
  newSlice(ports: EndpointPort[], addressType: string): EndpointSlice;
  /** Whether an existing slice is this owner's (else it is deleted). */
  owns(slice: EndpointSlice): boolean;
  /** Keep one empty slice when there are no endpoints (Services do; mirrored Endpoints do not). */
  placeholder: boolean;
}

/** The owner of a Service's slices. */
export function serviceSliceOwner(svc: Service): SliceOwner {
  return {
    labels: sliceLabels(svc),
    newSlice: (ports, addressType) => newEndpointSlice(svc, ports, addressType),
    owns: (slice) => ownedBy(slice, svc),
    placeholder: true,
  };
}

/** Upstream's --max-endpoints-per-slice default. */
export const MAX_ENDPOINTS_PER_SLICE = 100;

export interface SliceChanges {
  create: EndpointSlice[];
  update: EndpointSlice[];
  delete: EndpointSlice[];
}

function ownedBy(slice: EndpointSlice, svc: Service): boolean {
  return !!slice.metadata?.ownerReferences?.some((r) => r.kind === 'Service' && r.apiVersion === 'v1' && r.uid === svc.metadata?.uid);
}

/**
 * Plans the writes for one Service. `existing`: its slices (ours, not being
 * deleted); `desired`: per address type, the endpoints by port mapping.
 */
export function reconcile(owner: SliceOwner, existing: readonly EndpointSlice[], desired: Map<string, Map<string, PortGroup>>, max = MAX_ENDPOINTS_PER_SLICE): SliceChanges {
  const out: SliceChanges = { create: [], update: [], delete: [] };
  const byType = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    // Slices of another address type, or left over from a deleted Service of the same name, go.
    if (!desired.has(s.addressType) || !owner.owns(s)) { out.delete.push(s); continue; }
    const list = byType.get(s.addressType) ?? [];
    list.push(s);
    byType.set(s.addressType, list);
  }
  for (const [addressType, groups] of desired) {
    const slices = byType.get(addressType) ?? [];
    const r = reconcileAddressType(owner, addressType, slices, groups, max);
    out.create.push(...r.create);
    out.update.push(...r.update);
    out.delete.push(...r.delete);
  }
  // Reuse slices about to be deleted rather than creating new ones.
  for (let i = 0; i < out.delete.length && out.create.length > 0;) {
    const victim = out.delete[i];
    const candidate = out.create[out.create.length - 1];
    if (victim.addressType === candidate.addressType && owner.owns(victim)) {
      out.create.pop();
      const meta = { ...structuredClone(victim.metadata!), labels: candidate.metadata!.labels, ownerReferences: candidate.metadata!.ownerReferences };
      if (owner.annotations) meta.annotations = { ...owner.annotations };
      const reused: EndpointSlice = { ...candidate, metadata: meta };
      out.update.push(reused);
      out.delete.splice(i, 1);
    } else {
      i++;
    }
  }
  return out;
}

function reconcileAddressType(owner: SliceOwner, addressType: string, existing: readonly EndpointSlice[], groups: Map<string, PortGroup>, max: number): SliceChanges {
  const out: SliceChanges = { create: [], update: [], delete: [] };
  const byPorts = new Map<string, EndpointSlice[]>();
  for (const s of existing) {
    const k = portMapKey(s.ports);
    const list = byPorts.get(k) ?? [];
    list.push(s);
    byPorts.set(k, list);
  }
  for (const [key, group] of groups) {
    const r = reconcilePortMapping(owner, addressType, byPorts.get(key) ?? [], group, max);
    out.create.push(...r.create);
    out.update.push(...r.update);
    out.delete.push(...r.delete);
  }
  // Port mappings no longer wanted.
  for (const [key, slices] of byPorts) if (!groups.has(key)) out.delete.push(...slices);
  // A Service with no endpoints still gets one (empty) slice: its placeholder.
  if (owner.placeholder && existing.length === out.delete.length && out.create.length === 0) {
    const placeholder = owner.newSlice([], addressType);
    const keep = out.delete.length === 1 && isPlaceholder(out.delete[0], placeholder) ? out.delete.pop() : undefined;
    if (!keep) out.create.push(placeholder);
  }
  return out;
}

function isPlaceholder(s: EndpointSlice, placeholder: EndpointSlice): boolean {
  return !s.endpoints?.length && !s.ports?.length && s.addressType === placeholder.addressType
    && semanticEqual(s.metadata?.labels, placeholder.metadata?.labels) && semanticEqual(s.metadata?.ownerReferences, placeholder.metadata?.ownerReferences);
}

function reconcilePortMapping(owner: SliceOwner, addressType: string, existing: readonly EndpointSlice[], group: PortGroup, max: number): SliceChanges {
  const want = new Map(group.endpoints);
  const fix = (s: EndpointSlice, endpoints: Endpoint[]): EndpointSlice => withEndpoints(s, endpoints, owner);
  const toUpdate = new Map<string, EndpointSlice>();
  const unchanged = new Map<string, EndpointSlice>();
  const toDelete: EndpointSlice[] = [];

  // 1. Keep desired endpoints where they are; drop the others; note changed ones.
  for (const s of existing) {
    const kept: Endpoint[] = [];
    let changed = false;
    for (const e of s.endpoints ?? []) {
      const k = endpointKey(e);
      const d = want.get(k);
      if (!d) continue;
      kept.push(d);
      if (!semanticEqual(d, e)) changed = true;
      want.delete(k);
    }
    const labelsChanged = !semanticEqual(s.metadata?.labels, owner.labels)
      || (!!owner.annotations && !semanticEqual(s.metadata?.annotations, owner.annotations));
    const name = s.metadata!.name!;
    if (changed || kept.length !== (s.endpoints?.length ?? 0)) {
      if (kept.length === 0) toDelete.push(s);
      else toUpdate.set(name, fix(s, kept));
    } else if (labelsChanged) {
      toUpdate.set(name, fix(s, kept));
    } else {
      unchanged.set(name, s);
    }
  }
  const remaining = [...want.values()];

  // 2. Fill the slices being rewritten anyway, fullest first.
  if (remaining.length && toUpdate.size) {
    const slices = [...toUpdate.values()].sort((a, b) => (b.endpoints?.length ?? 0) - (a.endpoints?.length ?? 0));
    for (const s of slices) while (remaining.length && s.endpoints.length < max) s.endpoints.push(remaining.shift()!);
  }

  // 3. What is left goes in one unchanged slice it fits in entirely, else in new slices.
  const create: EndpointSlice[] = [];
  while (remaining.length) {
    let fill: EndpointSlice | undefined;
    if (remaining.length < max && unchanged.size) {
      let best: EndpointSlice | undefined;
      for (const s of unchanged.values()) {
        const n = s.endpoints?.length ?? 0;
        if (n + remaining.length <= max && (!best || n > (best.endpoints?.length ?? 0))) best = s;
      }
      if (best) {
        unchanged.delete(best.metadata!.name!);
        fill = fix(best, [...(best.endpoints ?? [])]);
        toUpdate.set(fill.metadata!.name!, fill);
      }
    }
    if (!fill) {
      fill = owner.newSlice(group.ports, addressType);
      create.push(fill);
    }
    while (remaining.length && fill.endpoints.length < max) fill.endpoints.push(remaining.shift()!);
  }
  return { create, update: [...toUpdate.values()], delete: toDelete };
}

function withEndpoints(s: EndpointSlice, endpoints: Endpoint[], owner: SliceOwner): EndpointSlice {
  const copy = structuredClone(s) as EndpointSlice;
  copy.endpoints = endpoints;
  copy.metadata = { ...copy.metadata, labels: { ...owner.labels } };
  if (owner.annotations) {
    if (Object.keys(owner.annotations).length) copy.metadata.annotations = { ...owner.annotations };
    else delete copy.metadata.annotations;
  }
  return copy;
}
