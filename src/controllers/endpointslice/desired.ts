// What a Service's EndpointSlices should hold (upstream's reconciler input):
// its selected pods as discovery endpoints, grouped by the ports each pod
// serves — pods whose named targetPorts resolve differently land in
// different slices.

import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Lister } from '../../client/index.ts';
import { findPort, isPodReady, isServiceIPSet, podIPOfFamily, shouldPodBeInEndpoints, shouldSetHostname } from '../endpoints/pods.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpointslice-controller.k8s.io';
export const HEADLESS_LABEL = 'service.kubernetes.io/headless';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** The endpoints of one port mapping, by identity (endpointKey). */
export interface PortGroup {
  ports: EndpointPort[];
  endpoints: Map<string, Endpoint>;
}

/** A stable key of a port list, independent of order (NewPortMapKey). */
export function portMapKey(ports: readonly EndpointPort[] | null | undefined): string {
  return (ports ?? []).map((p) => `${p.name ?? ''}/${p.port ?? ''}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`).sort().join(',');
}

/** Which endpoint this is, whatever its conditions (upstream's hashEndpoint): addresses, hostname, target. */
export function endpointKey(e: Endpoint): string {
  return `${[...e.addresses].sort().join(',')}|${e.hostname ?? ''}|${e.targetRef?.namespace ?? ''}/${e.targetRef?.name ?? ''}`;
}

/** getEndpointPorts: every Service port the pod serves, in the Service's order. */
export function endpointPorts(svc: Service, pod: Pod): EndpointPort[] {
  const out: EndpointPort[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const port = findPort(pod, sp);
    if (port === undefined) continue;
    const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
    if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
    out.push(ep);
  }
  return out;
}

/** podToEndpoint. */
export function podToEndpoint(pod: Pod, node: Node | undefined, svc: Service, addressType: string): Endpoint | undefined {
  const ip = podIPOfFamily(pod, addressType);
  if (!ip) return undefined;
  const serving = isPodReady(pod);
  const terminating = !!pod.metadata?.deletionTimestamp;
  // A terminating pod is never "ready", unless the Service publishes not-ready addresses.
  const ready = !!svc.spec?.publishNotReadyAddresses || (serving && !terminating);
  const e: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating } };
  if (shouldSetHostname(pod, svc)) e.hostname = pod.spec!.hostname;
  e.targetRef = { kind: 'Pod', namespace: pod.metadata?.namespace, name: pod.metadata?.name, uid: pod.metadata?.uid };
  if (pod.spec?.nodeName) e.nodeName = pod.spec.nodeName;
  const zone = node?.metadata?.labels?.[ZONE_LABEL];
  if (zone) e.zone = zone;
  return e;
}

export interface DesiredState {
  groups: Map<string, PortGroup>;
  /** Pods left out because their node is unknown (retried later). */
  missingNodes: string[];
}

/** The desired endpoints of one address type, by port mapping. */
export function desiredEndpoints(svc: Service, pods: readonly Pod[], nodes: Lister<Node>, addressType: string): DesiredState {
  const groups = new Map<string, PortGroup>();
  const missingNodes: string[] = [];
  const sorted = [...pods].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  for (const pod of sorted) {
    if (!shouldPodBeInEndpoints(pod, true)) continue;
    const ports = endpointPorts(svc, pod);
    const key = portMapKey(ports);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { ports, endpoints: new Map() }));
    const node = pod.spec?.nodeName ? nodes.get(undefined, pod.spec.nodeName) : undefined;
    if (!node && !svc.spec?.publishNotReadyAddresses) {
      // A pod whose node does not exist (yet): left out for now, so a stale
      // reference cannot wedge the slice; the Service is retried.
      missingNodes.push(`${pod.metadata?.name}@${pod.spec?.nodeName ?? ''}`);
      continue;
    }
    const e = podToEndpoint(pod, node, svc, addressType);
    if (e) g.endpoints.set(endpointKey(e), e);
  }
  return { groups, missingNodes };
}

/** setEndpointSliceLabels: the Service's own labels, the headless marker, and ours. */
export function sliceLabels(svc: Service): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.metadata?.labels ?? {})) {
    if (k === SERVICE_NAME_LABEL || k === MANAGED_BY_LABEL) continue;
    labels[k] = v;
  }
  if (!isServiceIPSet(svc)) labels[HEADLESS_LABEL] = '';
  else delete labels[HEADLESS_LABEL];
  labels[SERVICE_NAME_LABEL] = svc.metadata?.name ?? '';
  labels[MANAGED_BY_LABEL] = CONTROLLER_NAME;
  return labels;
}

/** newEndpointSlice: an unnamed slice (the server picks `<service>-<5 chars>`), owned by the Service. */
export function newEndpointSlice(svc: Service, ports: EndpointPort[], addressType: string): EndpointSlice {
  const name = svc.metadata?.name ?? '';
  return {
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: {
      // The dash only when the name leaves room for the random suffix.
      generateName: name.length + 1 <= 253 - 5 ? `${name}-` : name,
      namespace: svc.metadata?.namespace,
      labels: sliceLabels(svc),
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name, uid: svc.metadata?.uid ?? '', controller: true, blockOwnerDeletion: true }],
    },
    addressType,
    endpoints: [],
    ports,
  };
}
