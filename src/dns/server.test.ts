// The listeners on real loopback sockets: several queries pipelined on one
// TCP connection, a query split across TCP segments, truncation over UDP
// with and without EDNS, and FORMERR for garbage over UDP.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { ClusterIndex } from './cluster-index.ts';
import { createDnsHandler, listenDns, type DnsListener } from './server.ts';
import { CLASS_IN, RCODE, TYPE, decodeMessage, emptyMessage, encodeMessage, type Message } from './wire.ts';

let listener: DnsListener;

before(async () => {
  const index = new ClusterIndex();
  index.setNamespace({ metadata: { name: 'default' } });
  index.setService({ metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80 }] } });
  index.setService({ metadata: { name: 'many', namespace: 'default' }, spec: { clusterIP: 'None' } });
  index.setEndpointSlice({
    metadata: { name: 'many-1', namespace: 'default', labels: { 'kubernetes.io/service-name': 'many' } }, addressType: 'IPv4',
    endpoints: Array.from({ length: 100 }, (_, i) => ({ addresses: [`10.42.0.${i + 1}`] })),
  });
  listener = await listenDns('127.0.0.1', 0, createDnsHandler({ index, config: () => ({ zone: 'cluster.local', ttl: 5 }) }));
});
after(async () => { await listener.close(); });

const query = (id: number, name: string, type = TYPE.A, udpSize?: number): Buffer => encodeMessage({
  ...emptyMessage(id), rd: true, questions: [{ name, type, class: CLASS_IN }],
  edns: udpSize ? { udpSize, extendedRcode: 0, version: 0, do: false, options: [] } : undefined,
});

function udp(packet: Buffer): Promise<Message> {
  const s = dgram.createSocket('udp4');
  return new Promise<Message>((resolve, reject) => {
    const t = setTimeout(() => { s.close(); reject(new Error('no UDP answer')); }, 5000);
    s.once('message', (b) => { clearTimeout(t); s.close(); resolve(decodeMessage(b)); });
    s.send(packet, listener.port, '127.0.0.1');
  });
}

test('TCP: pipelined queries on one connection, one of them split across writes, each answered', async () => {
  const sock = net.connect(listener.port, '127.0.0.1');
  const frame = (p: Buffer): Buffer => Buffer.concat([Buffer.from([p.length >> 8, p.length & 255]), p]);
  const got: Message[] = [];
  const done = new Promise<void>((resolve, reject) => {
    let buf = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        got.push(decodeMessage(buf.subarray(2, 2 + buf.readUInt16BE(0))));
        buf = buf.subarray(2 + buf.readUInt16BE(0));
      }
      if (got.length === 3) resolve();
    });
    sock.on('error', reject);
  });
  await new Promise<void>((r) => sock.once('connect', () => r()));
  const third = frame(query(3, 'many.default.svc.cluster.local'));
  sock.write(Buffer.concat([frame(query(1, 'web.default.svc.cluster.local')), frame(query(2, 'nope.default.svc.cluster.local')), third.subarray(0, 5)]));
  await new Promise((r) => setTimeout(r, 50));
  sock.write(third.subarray(5));
  await done;
  sock.destroy();
  const byId = new Map(got.map((m) => [m.id, m]));
  assert.deepEqual(byId.get(1)!.answers.map((a) => a.data), [{ address: '10.43.0.20' }]);
  assert.equal(byId.get(2)!.rcode, RCODE.NXDOMAIN);
  assert.equal(byId.get(3)!.answers.length, 100, 'no truncation over TCP');
  assert.equal(byId.get(3)!.tc, false);
});

test('UDP: 512 bytes without EDNS, the client\'s size with it', async () => {
  const plain = await udp(query(7, 'many.default.svc.cluster.local'));
  assert.equal(plain.tc, true);
  assert.ok(plain.answers.length < 100);
  const edns = await udp(query(8, 'many.default.svc.cluster.local', TYPE.A, 4096));
  assert.equal(edns.tc, false);
  assert.equal(edns.answers.length, 100);
  assert.equal(edns.edns?.udpSize, 4096);
  const tiny = await udp(query(9, 'many.default.svc.cluster.local', TYPE.A, 100));
  assert.equal(tiny.tc, true, 'a size under 512 counts as 512');
  assert.equal(tiny.edns?.udpSize, 512);
});

test('UDP: garbage gets FORMERR with its id; the server keeps answering', async () => {
  const bad = Buffer.from(query(0x7777, 'web.default.svc.cluster.local').subarray(0, 20));
  const r = await udp(bad);
  assert.equal(r.id, 0x7777);
  assert.equal(r.rcode, RCODE.FORMERR);
  const ok = await udp(query(10, 'web.default.svc.cluster.local'));
  assert.deepEqual(ok.answers.map((a) => a.data), [{ address: '10.43.0.20' }]);
});
