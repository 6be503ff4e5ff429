// How a pod becomes an endpoint of a Service (upstream pkg/controller/util/endpoint
// and pkg/api/v1/pod): which pods qualify, which IP of theirs is used, which
// container port a Service port's targetPort names, and when a pod's hostname
// is published. Shared by the Endpoints and EndpointSlice controllers.

import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { isIPv6 } from '../../api/validation/names.ts';

export { isPodReady } from '../replicaset/pods.ts';

/** The Service's selector as a plain map; undefined when it selects nothing (no selector or an empty one). */
export function serviceSelector(svc: Service): Record<string, string> | undefined {
  const sel = svc.spec?.selector;
  return sel && Object.keys(sel).length > 0 ? sel : undefined;
}

/** Does the map selector select these labels (every pair present)? */
export function selects(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}

/** Services in the pod's namespace whose selector selects it (GetPodServiceMemberships). */
export function servicesSelecting(services: readonly Service[], labels: Record<string, string> | undefined): Service[] {
  return services.filter((s) => {
    const sel = serviceSelector(s);
    return !!sel && selects(sel, labels);
  });
}

/**
 * ShouldPodBeInEndpoints: the pod has an IP, is not terminal, and — unless
 * terminating pods are wanted — is not being deleted.
 */
export function shouldPodBeInEndpoints(pod: Pod, includeTerminating: boolean): boolean {
  if (!pod.status?.podIP && !pod.status?.podIPs?.length) return false;
  if (!includeTerminating && pod.metadata?.deletionTimestamp) return false;
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

/** The pod's IP of the given family ('IPv4' | 'IPv6'); undefined when it has none. */
export function podIPOfFamily(pod: Pod, family: string): string | undefined {
  const ips = pod.status?.podIPs?.length ? pod.status.podIPs.map((p) => p.ip) : [pod.status?.podIP];
  const want6 = family === 'IPv6';
  return ips.find((ip): ip is string => !!ip && isIPv6(ip) === want6);
}

/** The Service's address family for Endpoints (its first IP family; IPv4 by default). */
export function serviceFamily(svc: Service): string {
  return svc.spec?.ipFamilies?.[0] ?? 'IPv4';
}

/**
 * podutil.FindPort: the container port a Service port sends to. A named
 * targetPort is looked up among the containers' ports (same protocol); a number
 * is used as is. Undefined when the name matches no container port.
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** ShouldSetHostname: the pod asked for a hostname under this Service's subdomain. */
export function shouldSetHostname(pod: Pod, svc: Service): boolean {
  return !!pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name && pod.metadata?.namespace === svc.metadata?.namespace;
}

/** IsServiceIPSet: false for headless Services (clusterIP None) and ones without an IP. */
export function isServiceIPSet(svc: Service): boolean {
  const ip = svc.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

/** metav1.Time as Go writes RFC3339Nano: UTC, fraction only when not zero. */
export function rfc3339Nano(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}
