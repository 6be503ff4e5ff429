// Services: ports, types, cluster IPs and families, traffic policies, and
// what an update may change.

import {
  type Errs, child, index, invalid, required, forbidden, duplicate, notSupported, arr, obj, str, raw,
  goStringSlice, goIntOrString,
} from './field.ts';
import { nameIsDNS1035Label, dns1123SubdomainErrors, portNumErrors, ipErrors, isIP, isIPv6, parseIPv4, parseIPv6 } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './meta.ts';
import { validateLabels, validateQualifiedName } from './selector.ts';
import { validateDNS1123Label, validatePortNumOrName, PORT_PROTOCOLS } from './container.ts';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const FAMILY_POLICIES = ['PreferDualStack', 'RequireDualStack', 'SingleStack'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];

export const isHeadless = (svc: any): boolean => {
  const ips = arr(svc?.spec?.clusterIPs);
  return ips.length === 1 && ips[0] === 'None';
};

export const externallyAccessible = (spec: Record<string, any>): boolean =>
  spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && arr(spec.externalIPs).length > 0);

/** Upstream's ValidateNonSpecialIP (no unspecified, loopback or link-local addresses). */
export function nonSpecialIPErrors(ip: string, path: string): Errs {
  const v4 = parseIPv4(ip);
  const v6 = v4 ? undefined : parseIPv6(ip);
  if (!v4 && !v6) return [invalid(path, ip, 'must be a valid IP address')];
  const errs: Errs = [];
  let unspecified: boolean;
  let loopback: boolean;
  let linkLocal: boolean;
  let linkLocalMulticast: boolean;
  if (v4) {
    unspecified = v4.every((b) => b === 0);
    loopback = v4[0] === 127;
    linkLocal = v4[0] === 169 && v4[1] === 254;
    linkLocalMulticast = v4[0] === 224 && v4[1] === 0 && v4[2] === 0;
  } else {
    const g = v6 as number[];
    const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
    if (mapped) {
      const b = [g[6] >> 8, g[6] & 255, g[7] >> 8, g[7] & 255];
      unspecified = b.every((x) => x === 0);
      loopback = b[0] === 127;
      linkLocal = b[0] === 169 && b[1] === 254;
      linkLocalMulticast = b[0] === 224 && b[1] === 0 && b[2] === 0;
    } else {
      unspecified = g.every((x) => x === 0);
      loopback = g.slice(0, 7).every((x) => x === 0) && g[7] === 1;
      linkLocal = (g[0] & 0xffc0) === 0xfe80;
      linkLocalMulticast = (g[0] & 0xff0f) === 0xff02;
    }
  }
  if (unspecified) errs.push(invalid(path, ip, `may not be unspecified (${ip})`));
  if (loopback) errs.push(invalid(path, ip, 'may not be in the loopback range (127.0.0.0/8, ::1/128)'));
  if (linkLocal) errs.push(invalid(path, ip, 'may not be in the link-local range (169.254.0.0/16, fe80::/10)'));
  if (linkLocalMulticast) errs.push(invalid(path, ip, 'may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)'));
  return errs;
}

function validateServicePort(sp: any, requireName: boolean, names: Set<string>, path: string): Errs {
  const errs: Errs = [];
  const name = str(sp?.name);
  if (requireName && !name) errs.push(required(child(path, 'name')));
  else if (name) {
    errs.push(...validateDNS1123Label(name, child(path, 'name')));
    if (names.has(name)) errs.push(duplicate(child(path, 'name'), name));
    else names.add(name);
  }
  for (const m of portNumErrors(sp?.port)) errs.push(invalid(child(path, 'port'), sp?.port ?? 0, m));
  const proto = str(sp?.protocol);
  if (!proto) errs.push(required(child(path, 'protocol')));
  else if (!PORT_PROTOCOLS.includes(proto)) errs.push(notSupported(child(path, 'protocol'), proto, PORT_PROTOCOLS));
  errs.push(...validatePortNumOrName(sp?.targetPort, child(path, 'targetPort')));
  if (typeof sp?.appProtocol === 'string') errs.push(...validateQualifiedName(sp.appProtocol, child(path, 'appProtocol')));
  return errs;
}

function validateClusterIPsRelated(svc: any): Errs {
  const spec = obj(svc?.spec);
  if (spec.type === 'ExternalName') return [];
  const errs: Errs = [];
  const ips = arr(spec.clusterIPs).map(String);
  const families = arr(spec.ipFamilies).map(String);
  const clusterIP = str(spec.clusterIP);
  if (clusterIP) {
    if (!ips.length) errs.push(required('spec.clusterIPs'));
    else if (ips[0] !== clusterIP) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'first value must match `clusterIP`'));
  } else if (ips.length) {
    errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'must be empty when `clusterIP` is not specified'));
  }
  const seen = new Set<string>();
  families.forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(index('spec.ipFamilies', i), f, IP_FAMILIES));
    if (seen.has(f)) errs.push(duplicate(index('spec.ipFamilies', i), f));
    seen.add(f);
  });
  const pol = spec.ipFamilyPolicy;
  if (pol !== undefined && pol !== null && !FAMILY_POLICIES.includes(pol)) errs.push(notSupported('spec.ipFamilyPolicy', pol, FAMILY_POLICIES));
  let badIPs = false;
  ips.forEach((ip, i) => {
    if (i === 0 && ip === 'None') {
      if (ips.length > 1) { badIPs = true; errs.push(invalid('spec.clusterIPs', goStringSlice(ips), "'None' must be the first and only value")); }
      return;
    }
    const msgs = ipErrors(ip);
    if (msgs.length) badIPs = true;
    for (const m of msgs) errs.push(invalid(index('spec.clusterIPs', i), ip, m));
  });
  if (ips.length > 2) errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may only hold up to 2 values'));
  if (badIPs) return errs;
  if (ips.length > 1 && isIPv6(ips[0]) === isIPv6(ips[1])) {
    errs.push(invalid('spec.clusterIPs', goStringSlice(ips), 'may specify no more than one IP for each IP family'));
  }
  if (!isHeadless(svc) && ips.length && families.length) {
    ips.forEach((ip, i) => {
      if (i >= families.length) return;
      if (families[i] === 'IPv4' && isIPv6(ip)) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv4 value as indicated by \`ipFamilies[${i}]\``));
      if (families[i] === 'IPv6' && !isIPv6(ip)) errs.push(invalid(index('spec.clusterIPs', i), ip, `expected an IPv6 value as indicated by \`ipFamilies[${i}]\``));
    });
  }
  return errs;
}

function servicePortText(p: any): string {
  return `core.ServicePort{Name:"", Protocol:${JSON.stringify(str(p?.protocol))}, AppProtocol:(*string)(nil), Port:${p?.port ?? 0}, TargetPort:${goIntOrString(0)}, NodePort:0}`;
}

export function validateService(svc: any): Errs {
  const errs = validateObjectMeta(svc?.metadata, true, nameIsDNS1035Label);
  const spec = obj(svc?.spec);
  const ports = arr(spec.ports);
  const headless = isHeadless(svc);
  const ann = obj(svc?.metadata?.annotations);
  const hints = ann['service.kubernetes.io/topology-aware-hints'];
  const mode = ann['service.kubernetes.io/topology-mode'];
  if (hints !== undefined && mode !== undefined && hints !== mode) {
    errs.push(invalid('metadata.annotations[service.kubernetes.io/topology-mode]', mode,
      'must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified'));
  }
  if (!ports.length && !headless && spec.type !== 'ExternalName') errs.push(required('spec.ports'));
  switch (spec.type) {
    case 'LoadBalancer':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for LoadBalancer services"));
      break;
    case 'NodePort':
      if (headless) errs.push(invalid('spec.clusterIPs[0]', 'None', "may not be set to 'None' for NodePort services"));
      break;
    case 'ExternalName': {
      if (arr(spec.clusterIPs).length) errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
      if (arr(spec.ipFamilies).length) errs.push(forbidden('spec.ipFamilies', 'may not be set for ExternalName services'));
      if (spec.ipFamilyPolicy !== undefined && spec.ipFamilyPolicy !== null) errs.push(forbidden('spec.ipFamilyPolicy', 'may not be set for ExternalName services'));
      const cname = str(spec.externalName).replace(/\.$/, '');
      if (cname) for (const m of dns1123SubdomainErrors(cname)) errs.push(invalid('spec.externalName', cname, m));
      else errs.push(required('spec.externalName'));
      break;
    }
  }
  const names = new Set<string>();
  ports.forEach((p, i) => errs.push(...validateServicePort(p, ports.length > 1, names, index('spec.ports', i))));
  if (spec.selector !== undefined && spec.selector !== null) errs.push(...validateLabels(spec.selector, 'spec.selector'));
  const aff = str(spec.sessionAffinity);
  if (!aff) errs.push(required('spec.sessionAffinity'));
  else if (!AFFINITIES.includes(aff)) errs.push(notSupported('spec.sessionAffinity', aff, AFFINITIES));
  if (aff === 'ClientIP') {
    const cfgPath = 'spec.sessionAffinityConfig';
    const cfg = spec.sessionAffinityConfig;
    const t = cfg?.clientIP?.timeoutSeconds;
    if (!cfg) errs.push(required(cfgPath, 'when session affinity type is ClientIP'));
    else if (!cfg.clientIP) errs.push(required(`${cfgPath}.clientIP`, 'when session affinity type is ClientIP'));
    else if (t === undefined || t === null) errs.push(required(`${cfgPath}.clientIP.timeoutSeconds`, 'when session affinity type is ClientIP'));
    else if (!(typeof t === 'number' && t > 0 && t <= 86400)) {
      errs.push(invalid(`${cfgPath}.clientIP.timeoutSeconds`, t, 'must be greater than 0 and less than 86400'));
    }
  } else if (aff === 'None' && spec.sessionAffinityConfig) {
    errs.push(forbidden('spec.sessionAffinityConfig', 'must not be set when session affinity is None'));
  }
  errs.push(...validateClusterIPsRelated(svc));
  arr(spec.externalIPs).forEach((ip, i) => {
    const p = index('spec.externalIPs', i);
    const s = String(ip);
    const msgs = ipErrors(s);
    if (msgs.length) for (const m of msgs) errs.push(invalid(p, s, m));
    else errs.push(...nonSpecialIPErrors(s, p));
  });
  const type = str(spec.type);
  if (!type) errs.push(required('spec.type'));
  else if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  if (type === 'ClusterIP') {
    ports.forEach((p, i) => {
      if (p?.nodePort) errs.push(forbidden(child(index('spec.ports', i), 'nodePort'), "may not be used when `type` is 'ClusterIP'"));
    });
  }
  const nodePorts = new Set<string>();
  ports.forEach((p, i) => {
    if (!p?.nodePort) return;
    const k = `${str(p.protocol)}/${p.nodePort}`;
    if (nodePorts.has(k)) errs.push(duplicate(child(index('spec.ports', i), 'nodePort'), p.nodePort));
    nodePorts.add(k);
  });
  const portKeys = new Set<string>();
  ports.forEach((p, i) => {
    const k = `${str(p?.protocol)}/${p?.port}`;
    if (portKeys.has(k)) errs.push(duplicate(index('spec.ports', i), raw(servicePortText(p))));
    portKeys.add(k);
  });
  const ranges = arr(spec.loadBalancerSourceRanges);
  if (ranges.length) {
    // upstream spells this path with a capital L
    if (type !== 'LoadBalancer') errs.push(forbidden('spec.LoadBalancerSourceRanges', "may only be used when `type` is 'LoadBalancer'"));
    ranges.forEach((r, i) => {
      const v = String(r).trim();
      if (!isCIDR(v)) errs.push(invalid(index('spec.LoadBalancerSourceRanges', i), v, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'));
    });
  }
  // traffic policies
  const etp = str(spec.externalTrafficPolicy);
  if (!externallyAccessible(spec)) {
    if (etp) errs.push(invalid('spec.externalTrafficPolicy', etp, 'may only be set for externally-accessible services'));
  } else if (!etp) errs.push(required('spec.externalTrafficPolicy'));
  else if (!TRAFFIC_POLICIES.includes(etp)) errs.push(notSupported('spec.externalTrafficPolicy', etp, TRAFFIC_POLICIES));
  const hc = spec.healthCheckNodePort;
  if (!(type === 'LoadBalancer' && etp === 'Local')) {
    if (hc) errs.push(invalid('spec.healthCheckNodePort', hc, "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"));
  } else if (hc) {
    // Upstream also requires it here, but allocates it before validating; the
    // registry allocates after, so a missing value is not reported.
    for (const m of portNumErrors(hc)) errs.push(invalid('spec.healthCheckNodePort', hc, m));
  }
  const itp = spec.internalTrafficPolicy;
  if (itp === undefined || itp === null) {
    if (['NodePort', 'LoadBalancer', 'ClusterIP'].includes(type)) errs.push(required('spec.internalTrafficPolicy', 'must be specified'));
  } else if (!TRAFFIC_POLICIES.includes(itp)) errs.push(notSupported('spec.internalTrafficPolicy', itp, TRAFFIC_POLICIES));
  if (type === 'LoadBalancer') {
    if (typeof spec.loadBalancerClass === 'string') errs.push(...validateQualifiedName(spec.loadBalancerClass, 'spec.loadBalancerClass'));
  } else if (spec.loadBalancerClass !== undefined && spec.loadBalancerClass !== null) {
    errs.push(forbidden('spec.loadBalancerClass', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type !== 'LoadBalancer' && spec.allocateLoadBalancerNodePorts !== undefined && spec.allocateLoadBalancerNodePorts !== null) {
    errs.push(forbidden('spec.allocateLoadBalancerNodePorts', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (type === 'LoadBalancer' && (spec.allocateLoadBalancerNodePorts === undefined || spec.allocateLoadBalancerNodePorts === null)) {
    errs.push(required('allocateLoadBalancerNodePorts')); // sic: upstream omits the spec prefix
  }
  return errs;
}

function isCIDR(s: string): boolean {
  const slash = s.indexOf('/');
  if (slash < 0) return false;
  const ip = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^[0-9]+$/.test(bits) || !isIP(ip)) return false;
  return Number(bits) <= (isIPv6(ip) ? 128 : 32);
}

function upgradeDowngradeClusterIPs(svc: any, old: any): Errs {
  const errs: Errs = [];
  const n = obj(svc?.spec);
  const o = obj(old?.spec);
  if (n.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  if (isHeadless(svc) && isHeadless(old)) return errs;
  const nips = arr(n.clusterIPs).map(String);
  const oips = arr(o.clusterIPs).map(String);
  const changed = () => invalid('spec.clusterIPs[0]', goStringSlice(nips), 'may not change once set');
  if (oips.length === nips.length) {
    oips.forEach((ip, i) => { if (ip !== nips[i]) errs.push(invalid(index('spec.clusterIPs', i), goStringSlice(nips), 'may not change once set')); });
  } else if (oips.length > nips.length) {
    if (!nips.length) errs.push(invalid('spec.clusterIPs[0]', goStringSlice(nips), 'primary clusterIP can not be unset'));
    if (oips.length && nips.length && nips[0] !== oips[0]) errs.push(changed());
    if (nips.length === 1 && n.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', n.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary clusterIP"));
    }
  } else if (oips.length && nips[0] !== oips[0]) {
    errs.push(changed());
  }
  return errs;
}

function upgradeDowngradeIPFamilies(svc: any, old: any): Errs {
  const errs: Errs = [];
  const n = obj(svc?.spec);
  const o = obj(old?.spec);
  if (n.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  if (isHeadless(svc) !== isHeadless(old) || isHeadless(svc)) return errs;
  const nf = arr(n.ipFamilies).map(String);
  const of = arr(o.ipFamilies).map(String);
  const nips = arr(n.clusterIPs).map(String);
  if (of.length === nf.length) {
    if (of.some((f, i) => f !== nf[i])) errs.push(invalid('spec.ipFamilies[0]', goStringSlice(nf), 'may not change once set'));
  } else if (of.length > nf.length) {
    if (!nips.length) errs.push(invalid('spec.ipFamilies[0]', goStringSlice(nf), 'primary ipFamily can not be unset'));
    if (nf.length && nf[0] !== of[0]) errs.push(invalid('spec.ipFamilies[0]', goStringSlice(nips), 'may not change once set'));
    if (nf.length === 1 && n.ipFamilyPolicy !== 'SingleStack') {
      errs.push(invalid('spec.ipFamilyPolicy', n.ipFamilyPolicy ?? null, "must be set to 'SingleStack' when releasing the secondary ipFamily"));
    }
  } else if (of.length && nf.length && nf[0] !== of[0]) {
    errs.push(invalid('spec.ipFamilies[0]', goStringSlice(nips), 'may not change once set'));
  }
  return errs;
}

export function validateServiceUpdate(svc: any, old: any): Errs {
  const errs = validateObjectMetaUpdate(svc?.metadata, old?.metadata);
  errs.push(...upgradeDowngradeClusterIPs(svc, old));
  errs.push(...upgradeDowngradeIPFamilies(svc, old));
  const n = obj(svc?.spec);
  const o = obj(old?.spec);
  if (n.type === 'LoadBalancer' && o.type === 'LoadBalancer' && (n.loadBalancerClass ?? null) !== (o.loadBalancerClass ?? null)) {
    errs.push(invalid('spec.loadBalancerClass', n.loadBalancerClass ?? null, 'may not change once set'));
  }
  errs.push(...validateService(svc));
  return errs;
}
