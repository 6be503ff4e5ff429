// ClusterIP and NodePort allocation for Services, kept in the store so that
// several apiservers on one datastore never hand out the same value: each
// allocated IP or port is a key, taken with create-if-absent and given back by
// deleting it (the shape of upstream's newer IPAddress allocator).

import { fieldErr, type FieldError } from '../../../base/errors.ts';
import { StoreError, type Store } from '../../../storage/store.ts';
import { intToIp, ipToInt, parseCidr, type Cidr } from './cidr.ts';
import type { Obj } from '../codec.ts';

const IP_PREFIX = '/registry/_allocations/serviceips/';
const PORT_PREFIX = '/registry/_allocations/servicenodeports/';
const enc = new TextEncoder();

/** What one allocation call took, so that exactly that can be given back. */
export type Taken = string[];

export class ServiceAllocators {
  readonly cidr: Cidr;
  readonly ports: { first: number; last: number };
  /** Where the next automatic search starts (a hint; the store decides). */
  private nextIP = 1;
  private nextPort: number;

  constructor(private readonly store: Store, serviceCidr: string, nodePortRange: [number, number]) {
    this.cidr = parseCidr(serviceCidr);
    this.ports = { first: nodePortRange[0], last: nodePortRange[1] };
    this.nextPort = nodePortRange[0];
  }

  private offset(ip: string): number | undefined {
    const n = ipToInt(ip);
    if (n === undefined) return undefined;
    const off = n - this.cidr.base;
    // Network and broadcast addresses are never handed out.
    return off >= 1 && off <= this.cidr.size - 2 ? off : undefined;
  }

  /** Take `key` for `owner`; false when someone holds it. A dry run only looks. */
  private async take(key: string, owner: string, dryRun: boolean, taken: Taken): Promise<boolean> {
    if (dryRun) return (await this.store.get(key)) === undefined;
    try {
      await this.store.create(key, enc.encode(owner));
      taken.push(key);
      return true;
    } catch (e) {
      if (e instanceof StoreError && e.code === 'KeyExists') return false;
      throw e;
    }
  }

  /** Give `svc` a cluster IP (or take the one it asks for). */
  async allocateIP(svc: Obj, owner: string, dryRun: boolean, taken: Taken): Promise<FieldError[]> {
    const spec = svc.spec;
    const requested = (spec.clusterIP as string | undefined) || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] as string : undefined);
    if (requested === 'None') { spec.clusterIPs = ['None']; spec.clusterIP = 'None'; return []; }
    if (requested) {
      if (this.offset(requested) === undefined) {
        return [fieldErr.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${intToIp(this.cidr.base)}/${this.cidr.bits}`)];
      }
      if (!await this.take(IP_PREFIX + requested, owner, dryRun, taken)) {
        return [fieldErr.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: provided IP is already allocated`)];
      }
      spec.clusterIP = requested; spec.clusterIPs = [requested];
      return [];
    }
    const size = this.cidr.size - 2;
    for (let i = 0; i < size; i++) {
      const off = 1 + ((this.nextIP - 1 + i) % size);
      const ip = intToIp(this.cidr.base + off);
      if (await this.take(IP_PREFIX + ip, owner, dryRun, taken)) {
        this.nextIP = off + 1 > size ? 1 : off + 1;
        spec.clusterIP = ip; spec.clusterIPs = [ip];
        return [];
      }
    }
    return [fieldErr.invalid('spec.clusterIPs', [], 'failed to allocate IP: range is full')];
  }

  /** Node ports for every port of a NodePort/LoadBalancer Service; `keep` are ports it already holds. */
  async allocatePorts(svc: Obj, keep: Set<number>, owner: string, dryRun: boolean, taken: Taken): Promise<FieldError[]> {
    const errs: FieldError[] = [];
    const ports = (svc.spec.ports ?? []) as Obj[];
    const { first, last } = this.ports;
    for (let i = 0; i < ports.length; i++) {
      const p = ports[i];
      const want = p.nodePort as number | undefined;
      if (want) {
        if (keep.has(want)) continue;
        if (!Number.isInteger(want) || want < first || want > last) {
          errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, want, `provided port is not in the valid range. The range of valid ports is ${first}-${last}`));
        } else if (!await this.take(PORT_PREFIX + want, owner, dryRun, taken)) {
          errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, want, 'provided port is already allocated'));
        }
        continue;
      }
      const size = last - first + 1;
      let got: number | undefined;
      for (let j = 0; j < size && got === undefined; j++) {
        const n = first + ((this.nextPort - first + j) % size);
        if (await this.take(PORT_PREFIX + n, owner, dryRun, taken)) got = n;
      }
      if (got === undefined) { errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full')); continue; }
      this.nextPort = got + 1 > last ? first : got + 1;
      p.nodePort = got;
    }
    return errs;
  }

  /** Give back exactly what an allocation call took. */
  async giveBack(taken: Taken): Promise<void> {
    for (const key of taken.splice(0)) await this.drop(key);
  }

  /** Release values a Service held (it was deleted, or no longer needs them). */
  async release(ips: string[], ports: number[]): Promise<void> {
    for (const ip of ips) if (this.offset(ip) !== undefined) await this.drop(IP_PREFIX + ip);
    for (const p of ports) await this.drop(PORT_PREFIX + p);
  }

  private async drop(key: string): Promise<void> {
    try { await this.store.delete(key); } catch (e) { if (!(e instanceof StoreError && e.code === 'NotFound')) throw e; }
  }

  /**
   * Make sure every value a stored Service holds is marked taken (Services
   * stored before allocations were kept in the store, or a crash between the
   * two writes). Values held by no Service are not reclaimed here.
   */
  async repair(services: Obj[]): Promise<void> {
    for (const svc of services) {
      const owner = ownerOf(svc);
      const taken: Taken = [];
      for (const ip of clusterIPsOf(svc)) if (this.offset(ip) !== undefined) await this.take(IP_PREFIX + ip, owner, false, taken);
      for (const p of nodePortsOf(svc)) await this.take(PORT_PREFIX + p, owner, false, taken);
    }
  }
}

export function ownerOf(svc: Obj): string {
  return `${String(svc.metadata?.namespace ?? '')}/${String(svc.metadata?.name ?? '')}`;
}

export function clusterIPsOf(svc: Obj): string[] {
  const s = svc.spec ?? {};
  const ips = Array.isArray(s.clusterIPs) ? (s.clusterIPs as string[]) : s.clusterIP ? [s.clusterIP as string] : [];
  return ips.filter((x) => x && x !== 'None');
}

export function nodePortsOf(svc: Obj): number[] {
  return ((svc.spec?.ports ?? []) as Obj[]).map((p) => p.nodePort as number).filter((n) => typeof n === 'number' && n > 0);
}

export function needsNodePorts(svc: Obj): boolean {
  const t = svc.spec?.type;
  if (t === 'NodePort') return true;
  return t === 'LoadBalancer' && svc.spec?.allocateLoadBalancerNodePorts !== false;
}
