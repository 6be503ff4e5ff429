// Cluster DNS as a component: informers on Services, EndpointSlices and
// Namespaces feed the ClusterIndex; the server answers from it and forwards
// other names to the resolvers of a resolv.conf. `pilot dns` runs it alone;
// the node agent can start it in-process with startClusterDns().

import * as fs from 'node:fs';
import type { Namespace, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { SharedInformerFactory, type KubeObject, type RestClient } from '../client/index.ts';
import type { AnswerConfig } from './answer.ts';
import { ResponseCache, type CacheOptions } from './cache.ts';
import { ClusterIndex } from './cluster-index.ts';
import { Forwarder, upstreamsFromResolvConf, type Upstream } from './forward.ts';
import { createDnsHandler, listenDns, type DnsHandler } from './server.ts';

export const DNS_DEFAULTS = {
  clusterDomain: 'cluster.local',
  ttl: 5,
  resolvConf: '/etc/resolv.conf',
  listen: '0.0.0.0:53',
};

export interface ClusterDnsOptions {
  client: RestClient;
  /** "host:port" ("[::1]:53" for IPv6); port 0 picks a free one. */
  listen: string;
  clusterDomain?: string;
  ttl?: number;
  /** resolv.conf whose nameservers get the names outside the zone. Default /etc/resolv.conf. */
  upstreamResolvConf?: string;
  /** Upstreams given directly (instead of a resolv.conf). */
  upstreams?: Upstream[];
  /** Per upstream attempt, ms. */
  upstreamTimeoutMs?: number;
  cache?: CacheOptions;
  logger?: Logger;
  /**
   * How long startClusterDns waits for the caches to sync before serving anyway
   * (default 5000 ms, as CoreDNS; 0: do not wait). Until they sync, names not
   * found get SERVFAIL rather than NXDOMAIN.
   */
  syncTimeoutMs?: number;
}

export interface ClusterDns {
  host: string;
  port: number;
  index: ClusterIndex;
  forwarder: Forwarder;
  handler: DnsHandler;
  synced(): boolean;
  stop(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(listen) ?? /^([^:]+):(\d+)$/.exec(listen);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid listen address "${listen}": want host:port`);
  return { host: m[1], port };
}

/** Reduces objects to what DNS reads, so a cluster's worth of them stays small in memory. */
function slimService(s: Service): Service {
  return { metadata: { name: s.metadata?.name, namespace: s.metadata?.namespace, resourceVersion: s.metadata?.resourceVersion }, spec: s.spec && {
    type: s.spec.type, clusterIP: s.spec.clusterIP, clusterIPs: s.spec.clusterIPs, externalName: s.spec.externalName,
    ports: s.spec.ports, publishNotReadyAddresses: s.spec.publishNotReadyAddresses,
  } } as Service;
}

function slimSlice(s: EndpointSlice): EndpointSlice {
  return {
    metadata: { name: s.metadata?.name, namespace: s.metadata?.namespace, resourceVersion: s.metadata?.resourceVersion, labels: s.metadata?.labels },
    addressType: s.addressType, ports: s.ports,
    endpoints: (s.endpoints ?? []).map((e) => ({ addresses: e.addresses, hostname: e.hostname, conditions: e.conditions })),
  } as EndpointSlice;
}

export async function startClusterDns(o: ClusterDnsOptions): Promise<ClusterDns> {
  const { host, port } = parseListen(o.listen);
  const zone = (o.clusterDomain ?? DNS_DEFAULTS.clusterDomain).replace(/\.$/, '').toLowerCase();
  const ttl = o.ttl ?? DNS_DEFAULTS.ttl;
  const index = new ClusterIndex();
  const factory = new SharedInformerFactory(o.client, { logger: o.logger });
  const services = factory.informerFor<Service>('v1', 'Service', { transform: slimService as (o: KubeObject) => KubeObject });
  const slices = factory.informerFor<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice', { transform: slimSlice as unknown as (o: KubeObject) => KubeObject });
  const namespaces = factory.informerFor<Namespace>('v1', 'Namespace', { transform: (n) => ({ metadata: { name: n.metadata?.name, resourceVersion: n.metadata?.resourceVersion } }) as Namespace });
  const handles = [
    services.on({ add: (s) => index.setService(s), update: (_o, s) => index.setService(s), delete: (s) => index.deleteService(s) }),
    slices.on({ add: (s) => index.setEndpointSlice(s), update: (_o, s) => index.setEndpointSlice(s), delete: (s) => index.deleteEndpointSlice(s) }),
    namespaces.on({ add: (n) => index.setNamespace(n), update: (_o, n) => index.setNamespace(n), delete: (n) => index.deleteNamespace(n) }),
  ];

  let upstreams = o.upstreams;
  if (!upstreams) {
    const path = o.upstreamResolvConf ?? DNS_DEFAULTS.resolvConf;
    let text = '';
    try { text = fs.readFileSync(path, 'utf8'); } catch (e) { o.logger?.warn({ err: e, path }, 'cannot read resolv.conf: names outside the cluster domain will fail'); }
    upstreams = upstreamsFromResolvConf(text, { host, port });
  }
  const forwarder = new Forwarder({ upstreams, timeoutMs: o.upstreamTimeoutMs, cache: new ResponseCache(o.cache) });

  const abort = new AbortController();
  let synced = false;
  const nsAddresses = host === '0.0.0.0' || host === '::' ? [] : [host];
  const handler = createDnsHandler({
    index, forwarder,
    config: (): AnswerConfig => ({ zone, ttl, nsAddresses, synced }),
    onError: (err) => o.logger?.error({ err }, 'DNS query failed'),
  });
  factory.start(abort.signal);
  let listener;
  try {
    listener = await listenDns(host, port, handler);
  } catch (e) {
    abort.abort();
    await factory.stop();
    forwarder.close();
    throw e;
  }
  const syncing = factory.waitForCacheSync(abort.signal).then(() => { synced = true; }, () => undefined);
  const waitMs = o.syncTimeoutMs ?? 5000;
  if (waitMs > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([syncing, new Promise<void>((r) => { timer = setTimeout(r, waitMs); })]);
    clearTimeout(timer);
    if (!synced) o.logger?.warn({ waitedMs: waitMs }, 'caches not synced with the API yet: serving anyway (SERVFAIL for names not found)');
  }

  let stopped = false;
  return {
    host: listener.host, port: listener.port, index, forwarder, handler,
    synced: () => synced,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      abort.abort();
      for (const h of handles) h.dispose();
      await listener.close();
      forwarder.close();
      await factory.stop();
    },
  };
}
