// A cluster CIDR cut into equal node CIDRs, with a bitmap of the ones in use
// (upstream's cidrset): allocate the next free one (round-robin, so a CIDR
// just released is not handed out again at once), mark one as used, release.
// IPv4 and IPv6, with addresses as bigints.

export interface Cidr {
  family: 4 | 6;
  /** The network address. */
  ip: bigint;
  prefix: number;
}

const BITS = { 4: 32, 6: 128 } as const;

function parseIPv4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255 || (p.length > 1 && p.startsWith('0'))) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseIPv6(s: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

/** Parses "10.42.0.0/16" or "fd00::/48". The network address must have no host bits (as Go's ParseCIDR network). */
export function parseCidr(s: string): Cidr {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m) throw new Error(`invalid CIDR address: ${s}`);
  const v4 = parseIPv4(m[1]);
  const family: 4 | 6 = v4 !== undefined ? 4 : 6;
  const ip = v4 ?? parseIPv6(m[1]);
  const prefix = Number(m[2]);
  if (ip === undefined || prefix > BITS[family]) throw new Error(`invalid CIDR address: ${s}`);
  const hostBits = BigInt(BITS[family] - prefix);
  return { family, ip: (ip >> hostBits) << hostBits, prefix };
}

function formatIPv6(v: bigint): string {
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (≥ 2) of zero groups, the first on a tie.
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

export function formatCidr(c: Cidr): string {
  const ip = c.family === 4
    ? [24n, 16n, 8n, 0n].map((s) => String((c.ip >> s) & 255n)).join('.')
    : formatIPv6(c.ip);
  return `${ip}/${c.prefix}`;
}

export class CidrSetFullError extends Error {
  constructor() { super('CIDR allocation failed; there are no remaining CIDRs left to allocate in the accepted range'); }
}

/** Upstream allows at most 2^16 node CIDRs per cluster CIDR. */
const MAX_SUBNET_DIFF = 16;

export class CidrSet {
  readonly cluster: Cidr;
  readonly nodeMaskSize: number;
  readonly max: number;
  private readonly used: Uint8Array;
  private allocated = 0;
  private nextCandidate = 0;

  constructor(clusterCidr: string, nodeMaskSize: number) {
    this.cluster = parseCidr(clusterCidr);
    if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < this.cluster.prefix || nodeMaskSize > BITS[this.cluster.family]) {
      throw new Error(`node CIDR mask size ${nodeMaskSize} does not fit in cluster CIDR ${clusterCidr}`);
    }
    if (nodeMaskSize - this.cluster.prefix > MAX_SUBNET_DIFF) {
      throw new Error('New CIDR set failed; the node CIDR size is too big');
    }
    this.nodeMaskSize = nodeMaskSize;
    this.max = 2 ** (nodeMaskSize - this.cluster.prefix);
    this.used = new Uint8Array(this.max);
  }

  get family(): 4 | 6 { return this.cluster.family; }
  /** Node CIDRs in use. */
  get inUse(): number { return this.allocated; }

  private shift(): bigint { return BigInt(BITS[this.cluster.family] - this.nodeMaskSize); }

  private cidrAt(i: number): string {
    return formatCidr({ family: this.cluster.family, ip: this.cluster.ip + (BigInt(i) << this.shift()), prefix: this.nodeMaskSize });
  }

  /** The index of a node CIDR of this set; throws when it is not one. */
  private indexOf(cidr: string): number {
    const c = parseCidr(cidr);
    if (c.family !== this.cluster.family) throw new Error(`cidr ${cidr} is not of the family of ${formatCidr(this.cluster)}`);
    if (c.prefix < this.cluster.prefix) throw new Error(`cidr ${cidr} is larger than the cluster CIDR ${formatCidr(this.cluster)}`);
    const clusterHost = BigInt(BITS[c.family] - this.cluster.prefix);
    if ((c.ip >> clusterHost) !== (this.cluster.ip >> clusterHost)) throw new Error(`cidr ${cidr} is out the range of cluster cidr ${formatCidr(this.cluster)}`);
    return Number((c.ip - this.cluster.ip) >> this.shift());
  }

  /** Indices a CIDR covers (a larger one than a node's covers several). */
  private span(cidr: string): [number, number] {
    const c = parseCidr(cidr);
    const first = this.indexOf(cidr);
    const count = c.prefix >= this.nodeMaskSize ? 1 : 2 ** (this.nodeMaskSize - c.prefix);
    return [first, Math.min(this.max, first + count)];
  }

  allocateNext(): string {
    if (this.allocated >= this.max) throw new CidrSetFullError();
    for (let k = 0; k < this.max; k++) {
      const i = (this.nextCandidate + k) % this.max;
      if (this.used[i]) continue;
      this.used[i] = 1;
      this.allocated++;
      this.nextCandidate = (i + 1) % this.max;
      return this.cidrAt(i);
    }
    throw new CidrSetFullError();
  }

  /** Marks `cidr` as used (idempotent). Throws when it is not within the cluster CIDR. */
  occupy(cidr: string): void {
    const [a, b] = this.span(cidr);
    for (let i = a; i < b; i++) {
      if (!this.used[i]) { this.used[i] = 1; this.allocated++; }
    }
  }

  /** Frees `cidr` (idempotent). Throws when it is not within the cluster CIDR. */
  release(cidr: string): void {
    const [a, b] = this.span(cidr);
    for (let i = a; i < b; i++) {
      if (this.used[i]) { this.used[i] = 0; this.allocated--; }
    }
  }

  isUsed(cidr: string): boolean {
    const [a, b] = this.span(cidr);
    for (let i = a; i < b; i++) if (!this.used[i]) return false;
    return true;
  }

  contains(cidr: string): boolean {
    try { this.indexOf(cidr); return true; } catch { return false; }
  }
}
