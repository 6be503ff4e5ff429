// ClusterIP and NodePort allocation for Services, with upstream's messages.

import { fieldErr, type FieldError } from '../../../base/errors.ts';
import { RangeAllocator } from './range.ts';
import { intToIp, ipToInt, parseCidr, type Cidr } from './cidr.ts';
import type { Obj } from '../codec.ts';

export class ServiceAllocators {
  readonly cidr: Cidr;
  private readonly ips: RangeAllocator;
  readonly ports: RangeAllocator;

  constructor(serviceCidr: string, nodePortRange: [number, number]) {
    this.cidr = parseCidr(serviceCidr);
    // Network and broadcast addresses are never handed out.
    this.ips = new RangeAllocator(1, this.cidr.size - 2);
    this.ports = new RangeAllocator(nodePortRange[0], nodePortRange[1]);
  }

  private offset(ip: string): number | undefined {
    const n = ipToInt(ip);
    if (n === undefined) return undefined;
    const off = n - this.cidr.base;
    return off >= 1 && off <= this.cidr.size - 2 ? off : undefined;
  }

  /** Mark what an existing (stored) Service holds. */
  restore(svc: Obj): void {
    for (const ip of clusterIPsOf(svc)) { const o = this.offset(ip); if (o !== undefined) this.ips.allocate(o); }
    for (const p of nodePortsOf(svc)) this.ports.allocate(p);
  }

  release(svc: Obj): void {
    for (const ip of clusterIPsOf(svc)) { const o = this.offset(ip); if (o !== undefined) this.ips.release(o); }
    for (const p of nodePortsOf(svc)) this.ports.release(p);
  }

  /** Give `svc` a cluster IP (or take the one it asks for). Returns field errors. */
  allocateIP(svc: Obj): FieldError[] {
    const spec = svc.spec;
    const requested = (spec.clusterIP as string | undefined) || (Array.isArray(spec.clusterIPs) ? spec.clusterIPs[0] as string : undefined);
    if (requested === 'None') { spec.clusterIPs = ['None']; spec.clusterIP = 'None'; return []; }
    if (requested) {
      const off = this.offset(requested);
      if (off === undefined) {
        return [fieldErr.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${intToIp(this.cidr.base)}/${this.cidr.bits}`)];
      }
      if (!this.ips.allocate(off)) return [fieldErr.invalid('spec.clusterIPs', [requested], `failed to allocate IP ${requested}: provided IP is already allocated`)];
      spec.clusterIP = requested; spec.clusterIPs = [requested];
      return [];
    }
    const off = this.ips.allocateNext();
    if (off === undefined) return [fieldErr.invalid('spec.clusterIPs', [], 'failed to allocate IP: range is full')];
    const ip = intToIp(this.cidr.base + off);
    spec.clusterIP = ip; spec.clusterIPs = [ip];
    return [];
  }

  /** Node ports for every port of a NodePort/LoadBalancer Service; `keep` are ports it already holds. */
  allocatePorts(svc: Obj, keep: Set<number>): FieldError[] {
    const errs: FieldError[] = [];
    const ports = (svc.spec.ports ?? []) as Obj[];
    ports.forEach((p, i) => {
      const want = p.nodePort as number | undefined;
      if (want) {
        if (keep.has(want)) return;
        if (!this.ports.inRange(want)) {
          errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, want, `provided port is not in the valid range. The range of valid ports is ${this.ports.first}-${this.ports.last}`));
        } else if (!this.ports.allocate(want)) {
          errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, want, 'provided port is already allocated'));
        }
        return;
      }
      const n = this.ports.allocateNext();
      if (n === undefined) errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, 0, 'range is full'));
      else p.nodePort = n;
    });
    return errs;
  }
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
