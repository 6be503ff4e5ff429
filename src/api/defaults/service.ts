// Service defaults: SetDefaults_Service plus the IP-family fields upstream's
// Service registry fills in before a Service is stored.

import { type Obj, isSet, ensure, setDefault, each } from './util.ts';
import { isIPv6 } from '../validation/names.ts';

const externallyAccessible = (spec: Obj): boolean =>
  spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);

function familyOf(ip: string): string { return isIPv6(ip) ? 'IPv6' : 'IPv4'; }

export function serviceDefaults(svc: Obj): void {
  const spec = ensure(svc, 'spec');
  if (!spec) return;
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && !isSet(spec.sessionAffinityConfig?.clientIP?.timeoutSeconds)) {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: 10800 } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  each(spec.ports, (p) => {
    setDefault(p, 'protocol', 'TCP');
    if (!isSet(p.targetPort) || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  });
  if (externallyAccessible(spec)) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (!isSet(spec.internalTrafficPolicy) && ['NodePort', 'LoadBalancer', 'ClusterIP'].includes(spec.type)) {
    spec.internalTrafficPolicy = 'Cluster';
  }
  if (spec.type === 'LoadBalancer') {
    if (!isSet(spec.allocateLoadBalancerNodePorts)) spec.allocateLoadBalancerNodePorts = true;
    each(svc.status?.loadBalancer?.ingress, (ing) => { if (ing.ip && !isSet(ing.ipMode)) ing.ipMode = 'VIP'; });
  }
  if (spec.type === 'ExternalName') return;
  // Registry-level normalization: the singular field seeds the plural one,
  // and a single-stack IPv4 cluster picks the family and policy.
  if (typeof spec.clusterIP === 'string' && spec.clusterIP && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length)) {
    spec.clusterIPs = [spec.clusterIP];
  }
  const ips: string[] = Array.isArray(spec.clusterIPs) ? spec.clusterIPs.filter((x: unknown) => typeof x === 'string') : [];
  if (!isSet(spec.ipFamilyPolicy)) {
    const families = Array.isArray(spec.ipFamilies) ? spec.ipFamilies.length : 0;
    spec.ipFamilyPolicy = families === 2 || ips.length === 2 ? 'RequireDualStack' : 'SingleStack';
  }
  if (!(Array.isArray(spec.ipFamilies) && spec.ipFamilies.length)) {
    const real = ips.filter((ip) => ip !== 'None');
    spec.ipFamilies = real.length ? real.map(familyOf) : ['IPv4'];
  }
}

export function endpointsDefaults(ep: Obj): void {
  each(ep.subsets, (ss) => each(ss.ports, (p) => setDefault(p, 'protocol', 'TCP')));
}

export function endpointSliceDefaults(es: Obj): void {
  each(es.ports, (p) => {
    if (!isSet(p.name)) p.name = '';
    if (!isSet(p.protocol)) p.protocol = 'TCP';
  });
}


// --- updates: what upstream's Service registry does before validating ---

const needsClusterIP = (spec: Obj): boolean => spec.type !== 'ExternalName';
const needsNodePort = (spec: Obj): boolean => spec.type === 'NodePort' || spec.type === 'LoadBalancer';
const needsHealthCheck = (spec: Obj): boolean => spec.type === 'LoadBalancer' && spec.externalTrafficPolicy === 'Local';
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/**
 * Prepares a Service update the way upstream does before validation: values
 * the client left out that the server allocated are kept (cluster IPs, node
 * ports, health-check port, IP families), clusterIP and clusterIPs are kept
 * in step, and fields that no longer apply to a changed type are dropped when
 * the client did not change them. Mutates `svc`; `old` is the stored object.
 */
export function prepareServiceUpdate(svc: Obj, old: Obj): void {
  const spec = ensure(svc, 'spec');
  const o: Obj = old?.spec ?? {};
  if (!spec) return;
  // keep allocated values
  if (needsClusterIP(o) && needsClusterIP(spec)) {
    if (!spec.clusterIP) spec.clusterIP = o.clusterIP;
    if (!(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length) && Array.isArray(o.clusterIPs) && o.clusterIPs.length) spec.clusterIPs = o.clusterIPs;
    if (!(Array.isArray(spec.ipFamilies) && spec.ipFamilies.length) && Array.isArray(o.ipFamilies)) spec.ipFamilies = o.ipFamilies;
    if (!isSet(spec.ipFamilyPolicy) && isSet(o.ipFamilyPolicy)) spec.ipFamilyPolicy = o.ipFamilyPolicy;
  }
  if (needsNodePort(o) && needsNodePort(spec)) {
    const oldPorts: Obj[] = Array.isArray(o.ports) ? o.ports : [];
    const newPorts: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
    const used = new Set(newPorts.map((p) => p?.nodePort).filter((n) => n && oldPorts.some((q) => q?.nodePort === n)));
    const byName = new Map(oldPorts.map((p) => [p?.name ?? '', p?.nodePort]));
    for (const p of newPorts) {
      if (p && !p.nodePort) {
        const v = byName.get(p.name ?? '');
        if (v && !used.has(v)) p.nodePort = v;
      }
    }
  }
  if (needsHealthCheck(o) && needsHealthCheck(spec) && !spec.healthCheckNodePort) spec.healthCheckNodePort = o.healthCheckNodePort;
  // keep clusterIP and clusterIPs in step
  if (Array.isArray(o.clusterIPs) && o.clusterIPs.length && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length) && o.clusterIP === spec.clusterIP) {
    spec.clusterIPs = o.clusterIPs;
  }
  if ((o.clusterIP ?? '') !== (spec.clusterIP ?? '')) {
    if (o.clusterIP && !spec.clusterIP && same(o.clusterIPs, spec.clusterIPs)) delete spec.clusterIPs;
    if (spec.clusterIP && same(o.clusterIPs, spec.clusterIPs)) spec.clusterIPs = [spec.clusterIP];
  }
  // drop what the new type does not use, unless the client changed it too
  if (needsClusterIP(o) && !needsClusterIP(spec)) {
    if (same(o.clusterIP, spec.clusterIP) && same(o.clusterIPs, spec.clusterIPs)) { delete spec.clusterIP; delete spec.clusterIPs; }
    if (same(o.ipFamilies, spec.ipFamilies)) delete spec.ipFamilies;
    if (same(o.ipFamilyPolicy, spec.ipFamilyPolicy)) delete spec.ipFamilyPolicy;
  }
  if (needsNodePort(o) && !needsNodePort(spec)) {
    const ports: Obj[] = Array.isArray(spec.ports) ? spec.ports : [];
    const oldPorts: Obj[] = Array.isArray(o.ports) ? o.ports : [];
    if (same(ports.map((p) => p?.nodePort ?? 0), oldPorts.map((p) => p?.nodePort ?? 0))) for (const p of ports) if (p) delete p.nodePort;
  }
  if (needsHealthCheck(o) && !needsHealthCheck(spec) && o.healthCheckNodePort === spec.healthCheckNodePort) delete spec.healthCheckNodePort;
  if (o.type === 'LoadBalancer' && spec.type !== 'LoadBalancer') {
    if (isSet(spec.allocateLoadBalancerNodePorts) && spec.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) delete spec.allocateLoadBalancerNodePorts;
    if (same(o.loadBalancerClass, spec.loadBalancerClass)) delete spec.loadBalancerClass;
  }
  if (externallyAccessible(o) && !externallyAccessible(spec) && o.externalTrafficPolicy === spec.externalTrafficPolicy) delete spec.externalTrafficPolicy;
  if (spec.type !== 'LoadBalancer' && isSet(svc.status)) svc.status = { ...svc.status, loadBalancer: {} };
}
