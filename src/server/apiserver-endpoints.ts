// The `kubernetes` Service's Endpoints and EndpointSlice list every live
// apiserver of the cluster, like upstream's "lease" endpoint reconciler: each
// server keeps a Lease of its own in kube-system (labelled as upstream's
// apiserver identity leases, with its address in an annotation), renews it
// every `renewMs`, and rewrites the Endpoints from the leases that have not
// expired. A server that stops cleanly deletes its lease and takes itself out
// at once; one that dies drops out when its lease expires (15 s by default).
//
// Liveness is judged by each server's own clock against the leases' renewTime,
// so clocks of servers on different machines must agree to within a few
// seconds (NTP), as upstream's identity-lease GC also assumes.

import * as crypto from 'node:crypto';
import * as os from 'node:os';
import type { Logger } from 'pino';
import { ApiError } from '../base/errors.ts';
import type { Registry } from '../apiserver/registry/registry.ts';
import type { Obj } from '../apiserver/registry/codec.ts';
import { systemContext } from './bootstrap.ts';

export const IDENTITY_LABEL = 'apiserver.kubernetes.io/identity';
export const ENDPOINT_ANNOTATION = 'pilot.dev/apiserver-endpoint';
/** Leases expired for longer than this are deleted (upstream's apiserver lease GC keeps them an hour). */
const EXPIRED_LEASE_GC_MS = 60 * 60_000;

export interface ApiserverEndpoint { ip: string; port: number }

export interface EndpointReconcilerOptions {
  /** Stable per server (its leader-election id): the lease name derives from it. */
  serverId: string;
  endpoint: ApiserverEndpoint;
  leaseDurationSeconds?: number;
  renewMs?: number;
  logger: Logger;
  now?: () => number;
}

export function leaseNameFor(serverId: string): string {
  return `apiserver-${crypto.createHash('sha256').update(serverId).digest('hex').slice(0, 26)}`;
}

/** The live apiservers' endpoints from their leases, sorted (the Endpoints are then stable). Pure. */
export function liveEndpoints(leases: Obj[], nowMs: number): ApiserverEndpoint[] {
  const out = new Map<string, ApiserverEndpoint>();
  for (const l of leases) {
    if (l.metadata?.deletionTimestamp) continue;
    const ep = parseEndpoint(l.metadata?.annotations?.[ENDPOINT_ANNOTATION]);
    if (!ep || leaseExpiry(l) <= nowMs) continue;
    out.set(`${ep.ip}:${ep.port}`, ep);
  }
  return [...out.values()].sort((a, b) => a.ip.localeCompare(b.ip) || a.port - b.port);
}

function leaseExpiry(l: Obj): number {
  const renew = Date.parse(l.spec?.renewTime ?? l.spec?.acquireTime ?? '');
  if (Number.isNaN(renew)) return 0;
  return renew + Number(l.spec?.leaseDurationSeconds ?? 0) * 1000;
}

function parseEndpoint(s: unknown): ApiserverEndpoint | undefined {
  if (typeof s !== 'string') return undefined;
  const i = s.lastIndexOf(':');
  const port = Number(s.slice(i + 1));
  const ip = s.slice(0, i).replace(/^\[|\]$/g, '');
  if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return { ip, port };
}

/**
 * Endpoints subsets for the live servers: one subset per port (servers on one
 * machine differ only by port), addresses sorted. Empty when none is live.
 */
export function kubernetesSubsets(eps: ApiserverEndpoint[]): Obj[] {
  const byPort = new Map<number, string[]>();
  for (const e of eps) byPort.set(e.port, [...(byPort.get(e.port) ?? []), e.ip]);
  return [...byPort.entries()].sort((a, b) => a[0] - b[0]).map(([port, ips]) => ({
    addresses: ips.map((ip) => ({ ip })),
    ports: [{ name: 'https', port, protocol: 'TCP' }],
  }));
}

/** EndpointSlices for the live servers: `kubernetes` for the first port, `kubernetes-<port>` for others. */
export function kubernetesSlices(eps: ApiserverEndpoint[]): Obj[] {
  return kubernetesSubsets(eps).map((s, i) => {
    const port = s.ports[0].port as number;
    const ips = (s.addresses as { ip: string }[]).map((a) => a.ip);
    return {
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: i === 0 ? 'kubernetes' : `kubernetes-${port}`, namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
      addressType: ips.every((ip) => !ip.includes(':')) ? 'IPv4' : 'IPv6',
      endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'https', port, protocol: 'TCP' }],
    };
  });
}

export class ApiserverEndpointReconciler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private readonly leaseName: string;
  private readonly durationS: number;
  private readonly now: () => number;

  constructor(private readonly registry: Registry, private readonly opts: EndpointReconcilerOptions) {
    this.leaseName = leaseNameFor(opts.serverId);
    this.durationS = opts.leaseDurationSeconds ?? 15;
    this.now = opts.now ?? Date.now;
  }

  /** Takes this server in (first pass awaited, so the Endpoints list it once start() returns), then keeps renewing. */
  async start(): Promise<void> {
    await this.pass();
    const tick = (): void => {
      this.timer = setTimeout(() => {
        this.running = this.pass().catch((err: unknown) => this.opts.logger.warn({ err }, 'kubernetes endpoints reconcile failed'))
          .finally(() => { if (!this.stopped) tick(); });
      }, this.opts.renewMs ?? 10_000);
      this.timer.unref();
    };
    tick();
  }

  /** Removes this server: its lease goes, and the Endpoints list only the others. Best effort. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    try {
      await this.leases().delete('kube-system', this.leaseName, {}, systemContext()).catch(ignoreNotFound);
      await this.reconcile();
    } catch (err) {
      this.opts.logger.warn({ err }, 'could not remove this apiserver from the kubernetes endpoints');
    }
  }

  private leases() { return this.registry.rest('coordination.k8s.io', 'v1', 'leases')!; }

  private async pass(): Promise<void> {
    await this.renew();
    await this.reconcile();
  }

  private async renew(): Promise<void> {
    const { ip, port } = this.opts.endpoint;
    const now = new Date(this.now()).toISOString().replace(/Z$/, '000Z');
    const lease = {
      apiVersion: 'coordination.k8s.io/v1', kind: 'Lease',
      metadata: {
        name: this.leaseName, namespace: 'kube-system',
        labels: { [IDENTITY_LABEL]: 'kube-apiserver', 'kubernetes.io/hostname': os.hostname().toLowerCase() },
        annotations: { [ENDPOINT_ANNOTATION]: ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}` },
      },
      spec: { holderIdentity: this.opts.serverId, leaseDurationSeconds: this.durationS, renewTime: now },
    };
    const leases = this.leases();
    await leases.update('kube-system', this.leaseName, lease, systemContext()).catch(async (e: unknown) => {
      if (!(e instanceof ApiError && e.code === 404)) throw e;
      await leases.create('kube-system', { ...lease, spec: { ...lease.spec, acquireTime: now } }, systemContext());
    });
  }

  private async reconcile(): Promise<void> {
    const leases = this.leases();
    const page = await leases.store.list(`${leases.prefix}kube-system/`);
    const mine = page.items.map((kv) => leases.decode(kv)).filter((l) => l.metadata?.labels?.[IDENTITY_LABEL] === 'kube-apiserver');
    const now = this.now();
    for (const l of mine) {
      if (leaseExpiry(l) + EXPIRED_LEASE_GC_MS < now) {
        await leases.delete('kube-system', l.metadata.name, { preconditions: { resourceVersion: l.metadata.resourceVersion } }, systemContext())
          .catch(ignoreConflictOrNotFound);
      }
    }
    const live = liveEndpoints(mine, now);
    await this.writeEndpoints(kubernetesSubsets(live));
    await this.writeSlices(kubernetesSlices(live));
  }

  private async writeEndpoints(subsets: Obj[]): Promise<void> {
    const endpoints = this.registry.rest('', 'v1', 'endpoints')!;
    const current = await endpoints.get('default', 'kubernetes').catch(ignoreNotFound);
    if (current && JSON.stringify(current.subsets ?? []) === JSON.stringify(subsets)) return;
    const ep: Obj = {
      apiVersion: 'v1', kind: 'Endpoints',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
      subsets,
    };
    if (current) {
      // CAS on what we read: a concurrent writer (another server) makes us retry next pass.
      ep.metadata.resourceVersion = current.metadata.resourceVersion;
      await endpoints.update('default', 'kubernetes', ep, systemContext()).catch(ignoreConflictOrNotFound);
    } else {
      await endpoints.create('default', ep, systemContext()).catch(ignoreConflictOrNotFound);
    }
  }

  private async writeSlices(slices: Obj[]): Promise<void> {
    const rest = this.registry.rest('discovery.k8s.io', 'v1', 'endpointslices')!;
    const page = await rest.store.list(`${rest.prefix}default/`);
    const existing = new Map(page.items.map((kv) => rest.decode(kv))
      .filter((s) => s.metadata?.labels?.['kubernetes.io/service-name'] === 'kubernetes' && !s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'])
      .map((s) => [s.metadata.name as string, s]));
    for (const want of slices) {
      const cur = existing.get(want.metadata.name);
      existing.delete(want.metadata.name);
      if (cur && JSON.stringify([cur.endpoints, cur.ports]) === JSON.stringify([want.endpoints, want.ports])) continue;
      if (cur) {
        want.metadata.resourceVersion = cur.metadata.resourceVersion;
        await rest.update('default', want.metadata.name, want, systemContext()).catch(ignoreConflictOrNotFound);
      } else {
        await rest.create('default', want, systemContext()).catch(ignoreConflictOrNotFound);
      }
    }
    // The first slice stays even when empty (as the Endpoints do); extra ones go.
    for (const [name, s] of existing) {
      if (name === 'kubernetes') {
        await rest.update('default', name, { ...s, endpoints: [] }, systemContext()).catch(ignoreConflictOrNotFound);
      } else {
        await rest.delete('default', name, {}, systemContext()).catch(ignoreConflictOrNotFound);
      }
    }
  }
}

function ignoreNotFound(e: unknown): undefined {
  if (e instanceof ApiError && e.code === 404) return undefined;
  throw e;
}

function ignoreConflictOrNotFound(e: unknown): undefined {
  if (e instanceof ApiError && (e.code === 404 || e.code === 409)) return undefined;
  throw e;
}
