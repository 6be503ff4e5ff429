// What cluster DNS knows about the cluster, shaped for O(1) lookups: Services
// by namespace/name, their endpoints (merged from every EndpointSlice of the
// Service), Namespaces, and reverse maps from IP to Service and to endpoint.
// Kept current by informer events (cluster-dns.ts); read by the pure
// answer() function. Objects are reduced to the fields DNS reads.

import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { canonicalIP } from './wire.ts';

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface DnsPort { name: string; port: number; protocol: string }

export interface DnsService {
  namespace: string;
  name: string;
  type: string;
  headless: boolean;
  clusterIPs: string[];
  externalName?: string;
  ports: DnsPort[];
  publishNotReadyAddresses: boolean;
}

export interface DnsEndpoint {
  ip: string;
  family: 4 | 6;
  /** The endpoint's DNS label: spec hostname, or its IP with '.'/':' turned into '-' (as CoreDNS does). */
  hostname: string;
  /** Ports from the slice; a slice with no ports gives one sentinel port -1 (A records but no SRV). */
  ports: DnsPort[];
}

interface SliceEntry {
  serviceKey: string;
  addressType: string;
  ports: DnsPort[];
  endpoints: { addresses: string[]; hostname?: string; ready: boolean; serving: boolean }[];
}

/** The dash form of an IP used as an endpoint's name when it has no hostname. */
export function dashedIP(ip: string): string {
  return ip.includes('.') ? ip.replaceAll('.', '-') : ip.replaceAll(':', '-');
}

export function serviceFromObject(s: Service): DnsService | undefined {
  const md = s.metadata;
  if (!md?.name || !md.namespace) return undefined;
  const spec = s.spec ?? {};
  const type = spec.type ?? 'ClusterIP';
  const clusterIPs = (spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : [])
    .filter((ip) => ip !== 'None').map((ip) => canonicalIP(ip)).filter((ip): ip is string => !!ip);
  return {
    namespace: md.namespace,
    name: md.name.toLowerCase(),
    type,
    headless: type !== 'ExternalName' && spec.clusterIP === 'None',
    clusterIPs: type === 'ExternalName' ? [] : clusterIPs,
    externalName: type === 'ExternalName' ? spec.externalName?.replace(/\.$/, '') : undefined,
    ports: (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' })),
    publishNotReadyAddresses: spec.publishNotReadyAddresses === true,
  };
}

export class ClusterIndex {
  private readonly namespaces = new Set<string>();
  private readonly services = new Map<string, DnsService>();
  private readonly slices = new Map<string, SliceEntry>();
  /** serviceKey → keys of its slices. */
  private readonly slicesOfService = new Map<string, Set<string>>();
  /** serviceKey → merged endpoints (recomputed when the service or one of its slices changes). */
  private readonly endpoints = new Map<string, DnsEndpoint[]>();
  /** Cluster IP → service keys. */
  private readonly byClusterIP = new Map<string, Set<string>>();
  /** Endpoint IP → "serviceKey\x00hostname" entries. */
  private readonly byEndpointIP = new Map<string, Set<string>>();
  /** The reverse entries each service contributed, to withdraw them on change. */
  private readonly endpointIPsOfService = new Map<string, Set<string>>();
  private modified = 0;

  constructor(private readonly now: () => number = Date.now) {
    this.touch();
  }

  /** SOA serial: Unix seconds of the last change (as CoreDNS's kubernetes plugin). */
  serial(): number { return this.modified; }

  private touch(): void { this.modified = Math.floor(this.now() / 1000) >>> 0; }

  hasNamespace(ns: string): boolean { return this.namespaces.has(ns); }
  service(ns: string, name: string): DnsService | undefined { return this.services.get(`${ns}/${name}`); }
  serviceEndpoints(ns: string, name: string): DnsEndpoint[] { return this.endpoints.get(`${ns}/${name}`) ?? []; }
  servicesByClusterIP(ip: string): DnsService[] {
    return [...this.byClusterIP.get(ip) ?? []].map((k) => this.services.get(k)).filter((s): s is DnsService => !!s);
  }
  /** Endpoints with this IP, as [service, hostname] pairs. */
  endpointsByIP(ip: string): { service: DnsService; hostname: string }[] {
    const out: { service: DnsService; hostname: string }[] = [];
    for (const e of this.byEndpointIP.get(ip) ?? []) {
      const [key, hostname] = e.split('\x00');
      const service = this.services.get(key);
      if (service) out.push({ service, hostname });
    }
    return out;
  }
  get serviceCount(): number { return this.services.size; }

  // ---- updates (from informer events) ----

  setNamespace(ns: Namespace): void {
    if (ns.metadata?.name) { this.namespaces.add(ns.metadata.name); this.touch(); }
  }
  deleteNamespace(ns: Namespace): void {
    if (ns.metadata?.name) { this.namespaces.delete(ns.metadata.name); this.touch(); }
  }

  setService(obj: Service): void {
    const svc = serviceFromObject(obj);
    if (!svc) return;
    const key = `${svc.namespace}/${svc.name}`;
    this.removeClusterIPs(key);
    this.services.set(key, svc);
    for (const ip of svc.clusterIPs) addTo(this.byClusterIP, ip, key);
    this.rebuildEndpoints(key);
    this.touch();
  }

  deleteService(obj: Service): void {
    const md = obj.metadata;
    if (!md?.name || !md.namespace) return;
    const key = `${md.namespace}/${md.name.toLowerCase()}`;
    this.removeClusterIPs(key);
    this.services.delete(key);
    this.rebuildEndpoints(key);
    this.touch();
  }

  setEndpointSlice(obj: EndpointSlice): void {
    const md = obj.metadata;
    if (!md?.name || !md.namespace) return;
    const sliceKey = `${md.namespace}/${md.name}`;
    const old = this.slices.get(sliceKey);
    const svcName = md.labels?.[SERVICE_NAME_LABEL];
    if (!svcName) { if (old) this.deleteEndpointSlice(obj); return; }
    const serviceKey = `${md.namespace}/${svcName.toLowerCase()}`;
    const ports = (obj.ports?.length ? obj.ports : [])
      .filter((p) => p.port !== undefined && p.port !== null)
      .map((p) => ({ name: p.name ?? '', port: p.port!, protocol: p.protocol ?? 'TCP' }));
    const entry: SliceEntry = {
      serviceKey, addressType: obj.addressType, ports,
      endpoints: (obj.endpoints ?? []).map((e) => ({
        addresses: e.addresses ?? [], hostname: e.hostname ?? undefined,
        // A nil ready condition means ready (EndpointSlice API contract).
        ready: e.conditions?.ready !== false, serving: e.conditions?.serving !== false,
      })),
    };
    this.slices.set(sliceKey, entry);
    if (old && old.serviceKey !== serviceKey) {
      this.slicesOfService.get(old.serviceKey)?.delete(sliceKey);
      this.rebuildEndpoints(old.serviceKey);
    }
    addTo(this.slicesOfService, serviceKey, sliceKey);
    this.rebuildEndpoints(serviceKey);
    this.touch();
  }

  deleteEndpointSlice(obj: EndpointSlice): void {
    const md = obj.metadata;
    if (!md?.name || !md.namespace) return;
    const sliceKey = `${md.namespace}/${md.name}`;
    const old = this.slices.get(sliceKey);
    if (!old) return;
    this.slices.delete(sliceKey);
    const set = this.slicesOfService.get(old.serviceKey);
    set?.delete(sliceKey);
    if (set?.size === 0) this.slicesOfService.delete(old.serviceKey);
    this.rebuildEndpoints(old.serviceKey);
    this.touch();
  }

  private removeClusterIPs(key: string): void {
    const old = this.services.get(key);
    for (const ip of old?.clusterIPs ?? []) removeFrom(this.byClusterIP, ip, key);
  }

  /** Merges the service's slices into its endpoint list and refreshes the reverse map. */
  private rebuildEndpoints(serviceKey: string): void {
    for (const e of this.endpointIPsOfService.get(serviceKey) ?? []) removeFrom(this.byEndpointIP, e.split('\x01')[0], e.split('\x01')[1]);
    this.endpointIPsOfService.delete(serviceKey);
    const svc = this.services.get(serviceKey);
    const sliceKeys = this.slicesOfService.get(serviceKey);
    if (!svc || !sliceKeys?.size) { this.endpoints.delete(serviceKey); return; }
    const list: DnsEndpoint[] = [];
    const contributed = new Set<string>();
    for (const sk of sliceKeys) {
      const s = this.slices.get(sk);
      if (!s || (s.addressType !== 'IPv4' && s.addressType !== 'IPv6')) continue; // FQDN slices: nothing to serve
      const ports = s.ports.length ? s.ports : [{ name: '', port: -1, protocol: '' }];
      for (const e of s.endpoints) {
        // Like the EndpointSlice controller's own rule: publishNotReadyAddresses publishes every endpoint.
        if (!e.ready && !svc.publishNotReadyAddresses) continue;
        for (const raw of e.addresses) {
          const ip = canonicalIP(raw);
          if (!ip) continue;
          const hostname = (e.hostname ?? dashedIP(ip)).toLowerCase();
          list.push({ ip, family: ip.includes(':') ? 6 : 4, hostname, ports });
          const entry = `${serviceKey}\x00${hostname}`;
          addTo(this.byEndpointIP, ip, entry);
          contributed.add(`${ip}\x01${entry}`);
        }
      }
    }
    this.endpoints.set(serviceKey, list);
    this.endpointIPsOfService.set(serviceKey, contributed);
  }
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) { s = new Set(); m.set(k, s); }
  s.add(v);
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}
