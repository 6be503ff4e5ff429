// bench/dns: cluster DNS queries per second and latency percentiles, over UDP
// on 127.0.0.1 against the in-process server, with N Services in the index
// (every fourth headless with 10 endpoints). The query mix: A of ClusterIP
// Services, A of headless Services, SRV, PTR, NXDOMAIN, and a name forwarded
// to a fake upstream (answered from the cache after the first time). Also the
// pure answer() rate, without sockets.
//
//   node --import tsx bench/dns.ts [--services 1000] [--seconds 5] [--concurrency 64]
// CI (CI=true) runs 100 Services for 1 s.

import * as dgram from 'node:dgram';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { answer } from '../src/dns/answer.ts';
import { ClusterIndex } from '../src/dns/cluster-index.ts';
import { FakeUpstream } from '../src/dns/fake-upstream.ts';
import { Forwarder } from '../src/dns/forward.ts';
import { createDnsHandler, listenDns } from '../src/dns/server.ts';
import { CLASS_IN, TYPE, decodeMessage, emptyMessage, encodeMessage, type Message } from '../src/dns/wire.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : def;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} wants a positive number`);
  return v;
};
const SERVICES = arg('services', small ? 100 : 1000);
const SECONDS = arg('seconds', small ? 1 : 5);
const CONCURRENCY = arg('concurrency', 64);

function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN;
}

function fillIndex(index: ClusterIndex): void {
  const namespaces = 10;
  for (let n = 0; n < namespaces; n++) index.setNamespace({ metadata: { name: `ns${n}` } });
  for (let i = 0; i < SERVICES; i++) {
    const ns = `ns${i % namespaces}`;
    const headless = i % 4 === 3;
    const spec: Service['spec'] = headless
      ? { clusterIP: 'None', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }
      : { clusterIP: `10.43.${i >> 8}.${i & 255}`, ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'grpc', port: 9090, protocol: 'TCP' }] };
    index.setService({ metadata: { name: `svc${i}`, namespace: ns }, spec });
    const slice: EndpointSlice = {
      metadata: { name: `svc${i}-x`, namespace: ns, labels: { 'kubernetes.io/service-name': `svc${i}` } },
      addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
      endpoints: Array.from({ length: 10 }, (_, j) => ({ addresses: [`10.42.${(i * 10 + j) >> 8 & 255}.${(i * 10 + j) & 255}`], conditions: { ready: true } })),
    };
    index.setEndpointSlice(slice);
  }
}

function queries(): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < Math.min(SERVICES, 500); i++) {
    const base = `svc${i}.ns${i % 10}.svc.cluster.local`;
    const q = (name: string, type: number): Message => ({ ...emptyMessage(0), rd: true, questions: [{ name, type, class: CLASS_IN }] });
    out.push(q(base, TYPE.A));
    if (i % 4 !== 3) out.push(q(`_http._tcp.${base}`, TYPE.SRV), q(`${i & 255}.${i >> 8}.43.10.in-addr.arpa`, TYPE.PTR));
    out.push(q(`missing${i}.ns${i % 10}.svc.cluster.local`, TYPE.A));
    if (i % 10 === 0) out.push(q('example.com', TYPE.A));
  }
  return out;
}

async function main(): Promise<void> {
  const index = new ClusterIndex();
  const t0 = performance.now();
  fillIndex(index);
  const indexMs = performance.now() - t0;
  const upstream = await new FakeUpstream({ records: { 'example.com': [{ name: 'example.com', type: TYPE.A, class: CLASS_IN, ttl: 300, data: { address: '93.184.216.34' } }] } }).start();
  const forwarder = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const cfg = { zone: 'cluster.local', ttl: 5 };
  const handler = createDnsHandler({ index, forwarder, config: () => cfg });
  const listener = await listenDns('127.0.0.1', 0, handler);
  const qs = queries();
  const packets = qs.map((q) => encodeMessage(q));

  // The pure function alone.
  let n = 0;
  const a0 = performance.now();
  while (performance.now() - a0 < 500) { for (const q of qs) answer(q, index, cfg); n += qs.length; }
  const answerRate = n / ((performance.now() - a0) / 1000);

  // Over UDP: CONCURRENCY clients, each sending its next query when the last is answered.
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const pending = new Map<number, { sent: number; resolve: () => void }>();
  const latencies: number[] = [];
  let errors = 0;
  sock.on('message', (buf) => {
    const id = buf.readUInt16BE(0);
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    latencies.push(performance.now() - p.sent);
    p.resolve();
  });
  let nextId = 0;
  let qi = 0;
  const deadline = performance.now() + SECONDS * 1000;
  async function client(): Promise<void> {
    while (performance.now() < deadline) {
      const id = nextId = (nextId + 1) & 0xffff;
      const pkt = Buffer.from(packets[qi++ % packets.length]);
      pkt.writeUInt16BE(id, 0);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => { if (pending.delete(id)) errors++; resolve(); }, 2000);
        pending.set(id, { sent: performance.now(), resolve: () => { clearTimeout(timer); resolve(); } });
        sock.send(pkt, listener.port, '127.0.0.1');
      });
    }
  }
  const u0 = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, () => client()));
  const secs = (performance.now() - u0) / 1000;
  // A sanity check that the answers are right, not just fast.
  const check = await new Promise<Message>((resolve) => {
    const q = encodeMessage({ ...emptyMessage(0xffff), questions: [{ name: 'svc1.ns1.svc.cluster.local', type: TYPE.A, class: CLASS_IN }] });
    sock.once('message', (b) => resolve(decodeMessage(b)));
    sock.send(q, listener.port, '127.0.0.1');
  });
  sock.close();
  await listener.close();
  forwarder.close();
  await upstream.stop();
  if ((check.answers[0]?.data as { address?: string })?.address !== '10.43.0.1') throw new Error('wrong answer for svc1');

  latencies.sort((x, y) => x - y);
  console.log(`bench/dns: ${SERVICES} Services (${Math.ceil(SERVICES / 4)} headless × 10 endpoints) indexed in ${indexMs.toFixed(0)} ms; ${qs.length} distinct queries`);
  console.log(`  answer() alone: ${Math.round(answerRate).toLocaleString('en-US')} answers/s`);
  console.log(`  UDP, ${CONCURRENCY} in flight, ${SECONDS} s: ${Math.round(latencies.length / secs).toLocaleString('en-US')} queries/s; latency p50 ${quantile(latencies, 0.5).toFixed(2)} ms, `
    + `p99 ${quantile(latencies, 0.99).toFixed(2)} ms, max ${latencies[latencies.length - 1]?.toFixed(2)} ms; ${errors} timeouts; upstream queried ${upstream.queries}×`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
