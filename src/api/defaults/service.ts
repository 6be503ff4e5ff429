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

