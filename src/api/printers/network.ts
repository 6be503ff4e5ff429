// Services and their endpoints (core Endpoints and discovery EndpointSlices).

import { AGE, NAME, ageOf, col, formatLabels, listWithMore, nameOf, num, str, type Printer } from './common.ts';

function externalIP(svc: any): string {
  const spec = svc?.spec ?? {};
  const external: string[] = spec.externalIPs ?? [];
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return external.length ? external.join(',') : '<none>';
    case 'LoadBalancer': {
      // Distinct ingress IPs (else hostnames), sorted; never truncated since the server prints wide.
      const lb = new Set<string>();
      for (const ing of svc?.status?.loadBalancer?.ingress ?? []) {
        if (ing?.ip) lb.add(ing.ip);
        else if (ing?.hostname) lb.add(ing.hostname);
      }
      const all = [...[...lb].sort(), ...external];
      return all.length ? all.join(',') : '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

function ports(svc: any): string {
  const out = (svc?.spec?.ports ?? []).map((p: any) => {
    const proto = str(p?.protocol) || 'TCP';
    return num(p?.nodePort) > 0 ? `${num(p?.port)}:${num(p?.nodePort)}/${proto}` : `${num(p?.port)}/${proto}`;
  });
  return out.join(',') || '<none>';
}

export const servicePrinter: Printer = {
  columns: [
    NAME,
    col('Type', 'string', 'How the service is exposed.'),
    col('Cluster-IP', 'string', 'Virtual IP of the service inside the cluster.'),
    col('External-IP', 'string', 'Addresses reachable from outside the cluster.'),
    col('Port(s)', 'string', 'Service ports, with node ports where allocated.'),
    AGE,
    col('Selector', 'string', 'Labels of the pods that back the service.', { priority: 1 }),
  ],
  row(svc, now) {
    const clusterIP = str(svc?.spec?.clusterIPs?.[0] ?? svc?.spec?.clusterIP) || '<none>';
    return [nameOf(svc), str(svc?.spec?.type), clusterIP, externalIP(svc), ports(svc), ageOf(svc, now),
      formatLabels(svc?.spec?.selector)];
  },
};

/** `ip:port` (brackets for IPv6), as net.JoinHostPort writes it. */
const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

/** At most three addresses, every port of every subset, then `+ N more...`. */
function formatEndpoints(ep: any): string {
  const subsets: any[] = ep?.subsets ?? [];
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const list: string[] = [];
  let count = 0;
  for (const ss of subsets) {
    const addrs: any[] = ss?.addresses ?? [];
    const ps: any[] = ss?.ports ?? [];
    if (ps.length === 0) {
      // Headless services may have no ports.
      count += addrs.length;
      for (const a of addrs) { if (list.length === max) break; list.push(str(a?.ip)); }
      continue;
    }
    for (const p of ps) {
      count += addrs.length;
      for (const a of addrs) { if (list.length === max) break; list.push(hostPort(str(a?.ip), num(p?.port))); }
    }
  }
  const joined = list.join(',');
  return count > max ? `${joined} + ${count - max} more...` : joined;
}

export const endpointsPrinter: Printer = {
  columns: [NAME, col('Endpoints', 'string', 'Addresses and ports that back the service.'), AGE],
  row: (ep, now) => [nameOf(ep), formatEndpoints(ep), ageOf(ep, now)],
};

function slicePorts(slice: any): string {
  const ps: any[] = slice?.ports ?? [];
  const list = ps.map((p) => (typeof p?.port === 'number' ? String(p.port) : typeof p?.name === 'string' ? p.name : '*'));
  return listWithMore(list, list.length, 3, '<unset>');
}

function sliceEndpoints(slice: any): string {
  const addrs: string[] = [];
  for (const e of slice?.endpoints ?? []) for (const a of e?.addresses ?? []) addrs.push(str(a));
  return listWithMore(addrs, addrs.length, 3, '<unset>');
}

export const endpointSlicePrinter: Printer = {
  columns: [
    NAME,
    col('AddressType', 'string', 'Kind of addresses in the slice (IPv4, IPv6, FQDN).'),
    col('Ports', 'string', 'Ports exposed by the endpoints.'),
    col('Endpoints', 'string', 'Addresses of the endpoints.'),
    AGE,
  ],
  row: (s, now) => [nameOf(s), str(s?.addressType), slicePorts(s), sliceEndpoints(s), ageOf(s, now)],
};
