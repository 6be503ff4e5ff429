// The forwarder's answer cache, like CoreDNS's cache plugin in the default
// Corefile (`cache 30`): positive answers live for their smallest TTL,
// negative ones (NXDOMAIN, NODATA) for the SOA's negative TTL (RFC 2308),
// both clamped to [minTtl, maxTtl]; served answers carry the remaining time
// as TTL. Capacity-bounded, oldest entry evicted first. Failures (SERVFAIL,
// REFUSED…) are not cached.

import { RCODE, TYPE, type Message, type ResourceRecord } from './wire.ts';

export interface CacheOptions {
  /** Entries kept at most. Default 10000. */
  capacity?: number;
  /** Longest a positive answer is kept, seconds. Default 30. */
  maxTtl?: number;
  /** Longest a negative answer is kept, seconds. Default 30. */
  maxNegativeTtl?: number;
  /** Shortest time an answer is kept, seconds. Default 5. */
  minTtl?: number;
  now?: () => number;
}

interface Entry { msg: Message; storedAt: number; expiresAt: number }

export function cacheKey(name: string, type: number, cls: number, dnssec = false): string {
  return `${name.toLowerCase()}|${type}|${cls}|${dnssec ? 1 : 0}`;
}

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;
  private readonly maxTtl: number;
  private readonly maxNegativeTtl: number;
  private readonly minTtl: number;
  private readonly now: () => number;
  hits = 0;
  misses = 0;

  constructor(o: CacheOptions = {}) {
    this.capacity = o.capacity ?? 10_000;
    this.maxTtl = o.maxTtl ?? 30;
    this.maxNegativeTtl = o.maxNegativeTtl ?? 30;
    this.minTtl = o.minTtl ?? 5;
    this.now = o.now ?? Date.now;
  }

  get size(): number { return this.entries.size; }

  /** Seconds `msg` may be cached, or 0 when it must not be. */
  ttlOf(msg: Message): number {
    if (msg.tc) return 0;
    const clamp = (t: number, max: number): number => Math.min(max, Math.max(this.minTtl, t));
    if (msg.rcode === RCODE.NOERROR && msg.answers.length > 0) {
      return clamp(Math.min(...msg.answers.map((r) => r.ttl)), this.maxTtl);
    }
    if (msg.rcode === RCODE.NXDOMAIN || (msg.rcode === RCODE.NOERROR && msg.answers.length === 0)) {
      const soa = msg.authorities.find((r) => r.type === TYPE.SOA);
      const neg = soa && 'minimum' in soa.data ? Math.min(soa.ttl, soa.data.minimum) : this.minTtl;
      return clamp(neg, this.maxNegativeTtl);
    }
    return 0;
  }

  set(key: string, msg: Message): void {
    const ttl = this.ttlOf(msg);
    if (ttl <= 0) return;
    const now = this.now();
    this.entries.delete(key);
    this.entries.set(key, { msg, storedAt: now, expiresAt: now + ttl * 1000 });
    while (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  /** The cached message with TTLs lowered by its age, or undefined (expired entries are dropped). */
  get(key: string): Message | undefined {
    const e = this.entries.get(key);
    const now = this.now();
    if (!e) { this.misses++; return undefined; }
    if (now >= e.expiresAt) { this.entries.delete(key); this.misses++; return undefined; }
    this.hits++;
    const remaining = Math.max(0, Math.ceil((e.expiresAt - now) / 1000));
    const age = Math.floor((now - e.storedAt) / 1000);
    const adjust = (r: ResourceRecord): ResourceRecord => ({ ...r, ttl: Math.min(remaining, Math.max(0, r.ttl - age)) });
    return {
      ...e.msg,
      answers: e.msg.answers.map(adjust),
      authorities: e.msg.authorities.map(adjust),
      additionals: e.msg.additionals.map(adjust),
    };
  }
}
