// Names outside the cluster zone go to the host's resolvers (resolv.conf), as
// CoreDNS's `forward . /etc/resolv.conf` with `cache 30` in front: answers are
// cached (cache.ts), identical questions in flight share one upstream query
// (coalescing), each upstream is tried in turn with a timeout, and a
// truncated UDP answer is fetched again over TCP.

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { randomInt } from 'node:crypto';
import { cacheKey, ResponseCache } from './cache.ts';
import { parseResolvConf } from './resolv-conf.ts';
import {
  CLASS_IN, RCODE, canonicalIP, decodeMessage, emptyMessage, encodeMessage, parseIPv4, parseIPv6, type Message, type Question,
} from './wire.ts';

export interface Upstream { host: string; port: number }

/** EDNS payload size we advertise upstream (DNS flag day 2020). */
const UPSTREAM_UDP_SIZE = 1232;

/**
 * Upstreams from resolv.conf text. Besides plain addresses, `IP:port` and
 * `[IPv6]:port` are accepted (an extension, for resolvers on other ports).
 * `exclude` (our own listen address) is left out so we never forward to ourselves.
 */
export function upstreamsFromResolvConf(text: string, exclude?: Upstream): Upstream[] {
  const out: Upstream[] = [];
  for (const ns of parseResolvConf(text).nameservers) {
    let u: Upstream | undefined;
    const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(ns);
    const v4port = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(ns);
    if (bracket && parseIPv6(bracket[1])) u = { host: bracket[1], port: Number(bracket[2] ?? 53) };
    else if (v4port && parseIPv4(v4port[1])) u = { host: v4port[1], port: Number(v4port[2]) };
    else if (parseIPv4(ns) || parseIPv6(ns.split('%')[0])) u = { host: ns, port: 53 };
    if (!u || u.port < 1 || u.port > 65535) continue;
    // Replies are matched on their source address, which the kernel reports in canonical form.
    u.host = canonicalIP(u.host) ?? u.host;
    if (exclude && u.host === (canonicalIP(exclude.host) ?? exclude.host) && u.port === exclude.port) continue;
    out.push(u);
  }
  return out;
}

export interface ForwarderOptions {
  upstreams: Upstream[];
  /** Per upstream attempt. Default 2000 ms. */
  timeoutMs?: number;
  cache?: ResponseCache;
}

interface Pending { resolve: (m: Message) => void; reject: (e: Error) => void; upstream: Upstream; question: Question; timer: NodeJS.Timeout }

export class Forwarder {
  readonly cache: ResponseCache;
  private readonly inflight = new Map<string, Promise<Message>>();
  private readonly pending = new Map<number, Pending>();
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private readonly tcpSockets = new Set<net.Socket>();
  private closed = false;
  /** Queries sent upstream (after cache and coalescing), for tests and figures. */
  upstreamQueries = 0;

  constructor(private readonly opts: ForwarderOptions) {
    this.cache = opts.cache ?? new ResponseCache();
  }

  get upstreams(): Upstream[] { return this.opts.upstreams; }

  /** The upstream answer to `q` (from the cache when fresh). Never rejects: failures give SERVFAIL. */
  resolve(q: Question, flags: { dnssec?: boolean; cd?: boolean } = {}): Promise<Message> {
    const key = cacheKey(q.name, q.type, q.class, flags.dnssec);
    const cached = this.cache.get(key);
    if (cached) return Promise.resolve(cached);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.query(q, flags).then((m) => { this.cache.set(key, m); return m; }).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async query(q: Question, flags: { dnssec?: boolean; cd?: boolean }): Promise<Message> {
    for (const u of this.opts.upstreams) {
      if (this.closed) break;
      try {
        let m = await this.exchangeUdp(u, q, flags);
        if (m.tc) m = await this.exchangeTcp(u, q, flags);
        // Servers that fail or refuse: try the next one, as CoreDNS's forward does with unhealthy upstreams.
        if (m.rcode === RCODE.SERVFAIL || m.rcode === RCODE.REFUSED) continue;
        return m;
      } catch {
        // timeout or network error: next upstream
      }
    }
    return { ...emptyMessage(), qr: true, rcode: RCODE.SERVFAIL, questions: [q] };
  }

  private request(id: number, q: Question, flags: { dnssec?: boolean; cd?: boolean }): Buffer {
    return encodeMessage({
      ...emptyMessage(id), rd: true, cd: !!flags.cd, questions: [{ name: q.name, type: q.type, class: q.class ?? CLASS_IN }],
      edns: { udpSize: UPSTREAM_UDP_SIZE, extendedRcode: 0, version: 0, do: !!flags.dnssec, options: [] },
    });
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (s) return s;
    s = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
    s.on('message', (buf, rinfo) => this.onUdpMessage(buf, rinfo));
    s.on('error', () => undefined);
    s.unref();
    this.sockets.set(family, s);
    return s;
  }

  private onUdpMessage(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    if (buf.length < 2) return;
    const id = buf.readUInt16BE(0);
    const p = this.pending.get(id);
    // Only the upstream we asked may answer, about the question we asked (spoofing resistance).
    if (!p || rinfo.address !== p.upstream.host || rinfo.port !== p.upstream.port) return;
    let m: Message;
    try { m = decodeMessage(buf); } catch { return; }
    const q = m.questions[0];
    if (!m.qr || !q || q.name.toLowerCase() !== p.question.name.toLowerCase() || q.type !== p.question.type) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(m);
  }

  private exchangeUdp(u: Upstream, q: Question, flags: { dnssec?: boolean; cd?: boolean }): Promise<Message> {
    let id = randomInt(0, 0x10000);
    for (let i = 0; this.pending.has(id) && i < 100; i++) id = randomInt(0, 0x10000);
    const family = u.host.includes(':') ? 6 : 4;
    const sock = this.socket(family);
    this.upstreamQueries++;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`timeout from ${u.host}:${u.port}`)); }, this.opts.timeoutMs ?? 2000);
      this.pending.set(id, { resolve, reject, upstream: u, question: q, timer });
      sock.send(this.request(id, q, flags), u.port, u.host, (err) => {
        if (err && this.pending.get(id)?.timer === timer) { this.pending.delete(id); clearTimeout(timer); reject(err); }
      });
    });
  }

  private exchangeTcp(u: Upstream, q: Question, flags: { dnssec?: boolean; cd?: boolean }): Promise<Message> {
    const id = randomInt(0, 0x10000);
    const req = this.request(id, q, flags);
    this.upstreamQueries++;
    return new Promise<Message>((resolve, reject) => {
      const sock = net.connect({ host: u.host, port: u.port });
      this.tcpSockets.add(sock);
      let buf = Buffer.alloc(0);
      const done = (err?: Error, m?: Message): void => {
        clearTimeout(timer);
        this.tcpSockets.delete(sock);
        sock.destroy();
        if (err) reject(err); else resolve(m!);
      };
      const timer = setTimeout(() => done(new Error(`TCP timeout from ${u.host}:${u.port}`)), this.opts.timeoutMs ?? 2000);
      sock.on('connect', () => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(req.length);
        sock.write(Buffer.concat([len, req]));
      });
      sock.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length < 2 || buf.length < 2 + buf.readUInt16BE(0)) return;
        try {
          const m = decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0)));
          if (m.id !== id) throw new Error('mismatched id from upstream');
          done(undefined, m);
        } catch (e) {
          done(e as Error);
        }
      });
      sock.on('error', (e) => done(e));
      sock.on('close', () => done(new Error('upstream closed the connection')));
    });
  }

  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) { clearTimeout(p.timer); p.reject(new Error('forwarder closed')); }
    this.pending.clear();
    for (const s of this.sockets.values()) s.close();
    this.sockets.clear();
    for (const s of this.tcpSockets) s.destroy();
    this.tcpSockets.clear();
  }
}
