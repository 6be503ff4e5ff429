// The DNS server's I/O: UDP and TCP listeners on one address and port, and
// the handler between packets and answer(): decode (FORMERR for malformed
// packets, never a crash), answer from the cluster index or forward upstream,
// chase CNAMEs that leave the zone, and encode within the transport's size —
// 512 bytes over UDP, or the client's EDNS payload size — setting TC when the
// answer does not fit so the client retries over TCP.

import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { answer, type AnswerConfig } from './answer.ts';
import type { ClusterIndex } from './cluster-index.ts';
import type { Forwarder } from './forward.ts';
import {
  CLASS_IN, DnsFormatError, RCODE, UDP_MIN_SIZE, decodeMessage, emptyMessage, encodeMessage, replyTo, type Edns, type Message,
} from './wire.ts';

/** Largest UDP payload we send, whatever the client offers. */
const MAX_UDP_SIZE = 4096;
const TCP_IDLE_MS = 10_000;

export type Transport = 'udp' | 'tcp';

export interface DnsHandlerOptions {
  index: ClusterIndex;
  /** Read per query, so `synced` can flip once the caches are ready. */
  config: () => AnswerConfig;
  /** Absent: names outside the zone get SERVFAIL. */
  forwarder?: Forwarder;
  onError?: (err: unknown) => void;
}

export interface DnsHandler {
  /** A reply for a packet, or undefined when the packet deserves none. Never rejects. */
  handle(packet: Buffer, transport: Transport): Promise<Buffer | undefined>;
  /** Queries answered, by outcome (for figures). */
  readonly stats: { queries: number; forwarded: number; formErr: number; truncated: number };
}

function formErr(packet: Buffer): Buffer | undefined {
  if (packet.length < 4) return undefined;
  const flags = packet.readUInt16BE(2);
  if (flags & 0x8000) return undefined; // a response: never answer those (reflection loops)
  const m = { ...emptyMessage(packet.readUInt16BE(0)), qr: true, opcode: (flags >> 11) & 0xf, rd: (flags & 0x0100) !== 0, rcode: RCODE.FORMERR };
  return encodeMessage(m);
}

export function createDnsHandler(o: DnsHandlerOptions): DnsHandler {
  const stats = { queries: 0, forwarded: 0, formErr: 0, truncated: 0 };

  async function respond(query: Message): Promise<Message> {
    if (query.edns && query.edns.version > 0) return { ...replyTo(query), rcode: RCODE.BADVERS };
    const r = answer(query, o.index, o.config());
    if (r.forward) {
      stats.forwarded++;
      if (!o.forwarder) return { ...replyTo(query), ra: false, rcode: RCODE.SERVFAIL };
      const q = query.questions[0];
      const up = await o.forwarder.resolve(q, { dnssec: query.edns?.do, cd: query.cd });
      const sameName = (name: string): string => (name.toLowerCase() === q.name.toLowerCase() ? q.name : name);
      return {
        ...replyTo(query), ra: true, ad: up.ad, rcode: up.rcode,
        answers: up.answers.map((rr) => ({ ...rr, name: sameName(rr.name) })), authorities: up.authorities, additionals: up.additionals,
      };
    }
    const res = r.response!;
    if (r.chase && o.forwarder) {
      const up = await o.forwarder.resolve({ name: r.chase.name, type: r.chase.type, class: CLASS_IN });
      if (up.rcode === RCODE.NOERROR) res.answers = [...res.answers, ...up.answers];
    }
    return res;
  }

  return {
    stats,
    async handle(packet, transport) {
      let query: Message;
      try {
        query = decodeMessage(packet);
      } catch (e) {
        if (!(e instanceof DnsFormatError)) o.onError?.(e);
        stats.formErr++;
        return formErr(packet);
      }
      if (query.qr) return undefined;
      stats.queries++;
      let res: Message;
      try {
        res = await respond(query);
      } catch (e) {
        o.onError?.(e);
        res = { ...replyTo(query), rcode: RCODE.SERVFAIL };
      }
      // EDNS: answer with an OPT only to a query that had one, mirroring its size and DO bit.
      const clientSize = query.edns ? Math.min(MAX_UDP_SIZE, Math.max(UDP_MIN_SIZE, query.edns.udpSize)) : UDP_MIN_SIZE;
      if (query.edns) {
        const edns: Edns = { udpSize: clientSize, extendedRcode: 0, version: 0, do: query.edns.do, options: [] };
        res.edns = edns;
      } else {
        res.rcode &= 0xf;
      }
      try {
        const out = encodeMessage(res, transport === 'udp' ? clientSize : 65535);
        if (out.length >= 3 && (out[2] & 0x02)) stats.truncated++;
        return out;
      } catch (e) {
        o.onError?.(e);
        try {
          return encodeMessage({ ...replyTo(query), rcode: RCODE.SERVFAIL, edns: res.edns });
        } catch {
          return undefined;
        }
      }
    },
  };
}

export interface DnsListener {
  host: string;
  port: number;
  close(): Promise<void>;
}

/** Listens on host:port over UDP and TCP (port 0: one free port for both). */
export async function listenDns(host: string, port: number, handler: DnsHandler): Promise<DnsListener> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await listenOnce(host, port, handler);
    } catch (e) {
      // With port 0 the UDP port we got may be taken for TCP: try another.
      if (port !== 0 || attempt >= 10 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    }
  }
}

async function listenOnce(host: string, port: number, handler: DnsHandler): Promise<DnsListener> {
  const udp = dgram.createSocket({ type: net.isIPv6(host) ? 'udp6' : 'udp4' });
  udp.on('message', (msg, rinfo) => {
    void handler.handle(msg, 'udp').then((out) => {
      if (out) udp.send(out, rinfo.port, rinfo.address, () => undefined);
    }, () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => { udp.off('error', reject); resolve(); });
  });
  udp.on('error', () => undefined);
  const actualPort = udp.address().port;

  const conns = new Set<net.Socket>();
  const tcp = net.createServer((sock) => {
    conns.add(sock);
    sock.setTimeout(TCP_IDLE_MS, () => sock.destroy());
    sock.on('close', () => conns.delete(sock));
    sock.on('error', () => undefined);
    let buf: Buffer = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      // Several length-prefixed queries may arrive on one connection (RFC 7766): answer each as it completes.
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        const len = buf.readUInt16BE(0);
        const packet = buf.subarray(2, 2 + len);
        buf = buf.subarray(2 + len);
        void handler.handle(Buffer.from(packet), 'tcp').then((out) => {
          if (!out || sock.destroyed) return;
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(out.length);
          sock.write(Buffer.concat([prefix, out]));
        }, () => undefined);
      }
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(actualPort, host, () => { tcp.off('error', reject); resolve(); });
    });
  } catch (e) {
    udp.close();
    throw e;
  }
  return {
    host,
    port: actualPort,
    close: async () => {
      udp.close();
      for (const c of conns) c.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
    },
  };
}
