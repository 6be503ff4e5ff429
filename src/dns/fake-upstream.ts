// A tiny authoritative DNS server for tests and benchmarks: it stands in for
// the host's resolvers on 127.0.0.1 so forwarding is exercised without
// leaving loopback. Records are given per name; unknown names get NXDOMAIN,
// known names without the type NODATA, both with an SOA (negative TTL 60).

import { listenDns, type DnsHandler, type DnsListener } from './server.ts';
import { CLASS_IN, RCODE, TYPE, decodeMessage, encodeMessage, replyTo, type ResourceRecord } from './wire.ts';

export interface FakeUpstreamOptions {
  /** name (lower case, no trailing dot) → records. */
  records: Record<string, ResourceRecord[]>;
  /** Delay before each answer, ms. */
  delayMs?: number;
}

export class FakeUpstream {
  queries = 0;
  tcpQueries = 0;
  private listener?: DnsListener;
  delayMs: number;

  constructor(readonly opts: FakeUpstreamOptions) {
    this.delayMs = opts.delayMs ?? 0;
  }

  get port(): number { return this.listener!.port; }
  get address(): string { return `127.0.0.1:${this.port}`; }

  async start(): Promise<this> {
    const handler: DnsHandler = {
      stats: { queries: 0, forwarded: 0, formErr: 0, truncated: 0 },
      handle: async (packet, transport) => {
        this.queries++;
        if (transport === 'tcp') this.tcpQueries++;
        if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
        const q = decodeMessage(packet);
        const res = { ...replyTo(q), aa: true, ra: true };
        const name = q.questions[0].name.toLowerCase();
        const rrs = this.opts.records[name];
        const soa: ResourceRecord = {
          name: 'example', type: TYPE.SOA, class: CLASS_IN, ttl: 60,
          data: { mname: 'ns.example', rname: 'hostmaster.example', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 },
        };
        if (!rrs) { res.rcode = RCODE.NXDOMAIN; res.authorities = [soa]; } else {
          res.answers = rrs.filter((r) => r.type === q.questions[0].type).map((r) => ({ ...r, name: q.questions[0].name }));
          if (!res.answers.length) res.authorities = [soa];
        }
        const size = transport === 'udp' ? Math.max(512, q.edns?.udpSize ?? 512) : 65535;
        if (q.edns) res.edns = { udpSize: 1232, extendedRcode: 0, version: 0, do: false, options: [] };
        return encodeMessage(res, size);
      },
    };
    this.listener = await listenDns('127.0.0.1', 0, handler);
    return this;
  }

  async stop(): Promise<void> {
    await this.listener?.close();
  }
}
