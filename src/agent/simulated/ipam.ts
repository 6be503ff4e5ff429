// Pod addresses of one simulated node: host-local style, the lowest free
// address of the node's pod CIDR (its spec.podCIDR when a controller set one,
// else a fake /24). Nothing is routed to them; they only have to be unique and
// stable while the pod lives, so Endpoints and kubectl output look right.

export class PodAddressPool {
  private base = 0;
  private size = 0;
  private cidr = '';
  /** pod key → host offset in the CIDR */
  private readonly byPod = new Map<string, number>();
  private readonly used = new Set<number>();

  constructor(cidr: string) { this.setCidr(cidr); }

  /** Switches to another CIDR (e.g. the node got spec.podCIDR); pods keep the addresses they have. */
  setCidr(cidr: string): void {
    if (cidr === this.cidr) return;
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
    if (!m || Number(m[5]) > 30 || Number(m[5]) < 8) throw new Error(`unsupported pod CIDR ${cidr} (an IPv4 /8–/30)`);
    const bits = Number(m[5]);
    const ip = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    this.cidr = cidr;
    this.base = (ip & mask) >>> 0;
    this.size = 2 ** (32 - bits);
    this.byPod.clear();
    this.used.clear();
  }

  /** The pod's address, allocating one (the lowest free, from .2: .1 is the bridge's) on first ask. */
  allocate(podKey: string): string {
    let off = this.byPod.get(podKey);
    if (off === undefined) {
      off = 2;
      while (this.used.has(off) && off < this.size - 1) off++;
      // A full range (more pods than addresses) reuses the last one rather than fail: the address is fake.
      this.byPod.set(podKey, off);
      this.used.add(off);
    }
    return toIp(this.base + off);
  }

  /** Records an address a pod already has (after an agent restart), if it is in this range. */
  adopt(podKey: string, ip: string): void {
    const n = fromIp(ip);
    if (n === undefined || n < this.base || n >= this.base + this.size) return;
    const off = n - this.base;
    this.byPod.set(podKey, off);
    this.used.add(off);
  }

  release(podKey: string): void {
    const off = this.byPod.get(podKey);
    if (off === undefined) return;
    this.byPod.delete(podKey);
    // Another pod may share a reused address; keep it marked while any does.
    for (const o of this.byPod.values()) if (o === off) return;
    this.used.delete(off);
  }

  get allocated(): number { return this.byPod.size; }
}

function toIp(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

function fromIp(ip: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(ip);
  if (!m) return undefined;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}
