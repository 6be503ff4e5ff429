// Forwarding: the answer cache (TTL clamps, negative caching from the SOA,
// expiry, eviction), request coalescing, upstream fail-over, the TCP retry of
// truncated answers, resolv.conf parsing, and the handler putting forwarded
// and chased answers together. The upstream is a fake server on 127.0.0.1.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as dgram from 'node:dgram';
import { ResponseCache, cacheKey } from './cache.ts';
import { ClusterIndex } from './cluster-index.ts';
import { FakeUpstream } from './fake-upstream.ts';
import { Forwarder, upstreamsFromResolvConf } from './forward.ts';
import { createDnsHandler } from './server.ts';
import { CLASS_IN, RCODE, TYPE, decodeMessage, emptyMessage, encodeMessage, type Message, type ResourceRecord } from './wire.ts';

const a = (name: string, address: string, ttl = 300): ResourceRecord => ({ name, type: TYPE.A, class: CLASS_IN, ttl, data: { address } });

let upstream: FakeUpstream;
before(async () => {
  upstream = await new FakeUpstream({
    records: {
      'example.com': [a('example.com', '93.184.216.34', 3600)],
      'short.example.com': [a('short.example.com', '1.1.1.1', 1)],
      'db.example.com': [a('db.example.com', '192.0.2.7', 60)],
      'big.example.com': Array.from({ length: 120 }, (_, i) => a('big.example.com', `198.51.${i >> 8}.${i & 255}`)),
    },
  }).start();
});
after(async () => { await upstream.stop(); });

function msg(rcode: number, answers: ResourceRecord[], authorities: ResourceRecord[] = []): Message {
  return { ...emptyMessage(1), qr: true, rcode, answers, authorities };
}
const soa = (ttl: number, minimum: number): ResourceRecord => ({
  name: 'example', type: TYPE.SOA, class: CLASS_IN, ttl, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum },
});

test('cache: positive answers live for their smallest TTL, clamped to [5, 30] s, and age on the way out', () => {
  let now = 0;
  const c = new ResponseCache({ now: () => now });
  assert.equal(c.ttlOf(msg(RCODE.NOERROR, [a('x', '1.2.3.4', 300), a('x', '1.2.3.5', 20)])), 20);
  assert.equal(c.ttlOf(msg(RCODE.NOERROR, [a('x', '1.2.3.4', 3600)])), 30);
  assert.equal(c.ttlOf(msg(RCODE.NOERROR, [a('x', '1.2.3.4', 0)])), 5);
  assert.equal(c.ttlOf(msg(RCODE.NXDOMAIN, [], [soa(3600, 10)])), 10, 'negative TTL: min(SOA TTL, SOA minimum)');
  assert.equal(c.ttlOf(msg(RCODE.NOERROR, [], [soa(3600, 900)])), 30, 'NODATA is negative too, capped');
  assert.equal(c.ttlOf(msg(RCODE.NXDOMAIN, [])), 5, 'no SOA: the minimum');
  assert.equal(c.ttlOf(msg(RCODE.SERVFAIL, [])), 0, 'failures are not cached');
  assert.equal(c.ttlOf({ ...msg(RCODE.NOERROR, [a('x', '1.2.3.4')]), tc: true }), 0, 'truncated answers are not cached');

  c.set('k', msg(RCODE.NOERROR, [a('x', '1.2.3.4', 20)]));
  now = 7_000;
  assert.equal(c.get('k')!.answers[0].ttl, 13);
  now = 19_999;
  assert.equal(c.get('k')!.answers[0].ttl, 1);
  now = 20_000;
  assert.equal(c.get('k'), undefined);
  assert.equal(c.size, 0);
  c.set('s', msg(RCODE.SERVFAIL, []));
  assert.equal(c.get('s'), undefined);
});

test('cache: capacity evicts the oldest entry', () => {
  const c = new ResponseCache({ capacity: 2, now: () => 0 });
  for (const k of ['a', 'b', 'c']) c.set(k, msg(RCODE.NOERROR, [a(k, '1.2.3.4', 10)]));
  assert.equal(c.size, 2);
  assert.equal(c.get('a'), undefined);
  assert.ok(c.get('b') && c.get('c'));
  assert.notEqual(cacheKey('A.example', 1, 1), cacheKey('a.example', 28, 1));
  assert.equal(cacheKey('A.example', 1, 1), cacheKey('a.example', 1, 1));
});

test('resolv.conf: nameservers in order, with ports as an extension, our own address left out', () => {
  const text = '# comment\nsearch corp.example\nnameserver 10.0.0.2\nnameserver 127.0.0.1:5353\nnameserver fd00:0:0::53\nnameserver [::1]:5300\nnameserver bogus\noptions ndots:2\nnameserver 127.0.0.1:1053\n';
  assert.deepEqual(upstreamsFromResolvConf(text, { host: '127.0.0.1', port: 1053 }), [
    { host: '10.0.0.2', port: 53 }, { host: '127.0.0.1', port: 5353 }, { host: 'fd00::53', port: 53 }, { host: '::1', port: 5300 },
  ]);
});

test('forwarder: answers from upstream, then from the cache; identical questions in flight share one query', async () => {
  const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  try {
    const before = upstream.queries;
    const r = await f.resolve({ name: 'example.com', type: TYPE.A, class: CLASS_IN });
    assert.equal(r.rcode, RCODE.NOERROR);
    assert.deepEqual(r.answers.map((x) => x.data), [{ address: '93.184.216.34' }]);
    const again = await f.resolve({ name: 'EXAMPLE.com', type: TYPE.A, class: CLASS_IN });
    assert.deepEqual(again.answers.map((x) => x.data), [{ address: '93.184.216.34' }]);
    assert.ok(again.answers[0].ttl <= 30, 'served TTL is the cache time left');
    assert.equal(upstream.queries - before, 1);

    const nx = await f.resolve({ name: 'nope.example.com', type: TYPE.A, class: CLASS_IN });
    assert.equal(nx.rcode, RCODE.NXDOMAIN);
    await f.resolve({ name: 'nope.example.com', type: TYPE.A, class: CLASS_IN });
    assert.equal(upstream.queries - before, 2, 'NXDOMAIN is cached');

    upstream.delayMs = 100;
    const many = await Promise.all(Array.from({ length: 20 }, () => f.resolve({ name: 'db.example.com', type: TYPE.A, class: CLASS_IN })));
    upstream.delayMs = 0;
    assert.ok(many.every((m) => (m.answers[0]?.data as { address: string }).address === '192.0.2.7'));
    assert.equal(upstream.queries - before, 3, 'twenty concurrent questions, one upstream query');
  } finally {
    f.close();
  }
});

test('forwarder: a truncated UDP answer is fetched again over TCP', async () => {
  const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  try {
    const tcpBefore = upstream.tcpQueries;
    const r = await f.resolve({ name: 'big.example.com', type: TYPE.A, class: CLASS_IN });
    assert.equal(r.tc, false);
    assert.equal(r.answers.length, 120);
    assert.equal(upstream.tcpQueries - tcpBefore, 1);
  } finally {
    f.close();
  }
});

test('forwarder: a silent upstream times out and the next one answers; none answering gives SERVFAIL', async () => {
  const silent = dgram.createSocket('udp4'); // receives, never answers
  await new Promise<void>((r) => silent.bind(0, '127.0.0.1', () => r()));
  const deadPort = silent.address().port;
  const f = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: deadPort }, { host: '127.0.0.1', port: upstream.port }], timeoutMs: 200 });
  const g = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: deadPort }], timeoutMs: 200 });
  try {
    const r = await f.resolve({ name: 'example.com', type: TYPE.A, class: CLASS_IN });
    assert.deepEqual(r.answers.map((x) => x.data), [{ address: '93.184.216.34' }]);
    const s = await g.resolve({ name: 'example.com', type: TYPE.A, class: CLASS_IN });
    assert.equal(s.rcode, RCODE.SERVFAIL);
    assert.equal(g.cache.size, 0, 'SERVFAIL is not cached');
  } finally {
    f.close(); g.close(); silent.close();
  }
});

test('handler: forwarded answers carry the client id and spelling; ExternalName CNAMEs are chased upstream; UDP answers truncate', async () => {
  const index = new ClusterIndex();
  index.setNamespace({ metadata: { name: 'default' } });
  index.setService({ metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } });
  const forwarder = new Forwarder({ upstreams: [{ host: '127.0.0.1', port: upstream.port }] });
  const h = createDnsHandler({ index, forwarder, config: () => ({ zone: 'cluster.local', ttl: 5 }) });
  const ask = async (name: string, type: number, o: { edns?: number; transport?: 'udp' | 'tcp' } = {}): Promise<Message> => {
    const q: Message = { ...emptyMessage(0x4242), rd: true, questions: [{ name, type, class: CLASS_IN }],
      edns: o.edns ? { udpSize: o.edns, extendedRcode: 0, version: 0, do: false, options: [] } : undefined };
    return decodeMessage((await h.handle(encodeMessage(q), o.transport ?? 'udp'))!);
  };
  try {
    const r = await ask('Example.COM', TYPE.A);
    assert.equal(r.id, 0x4242);
    assert.equal(r.ra, true);
    assert.equal(r.aa, false);
    assert.deepEqual(r.answers.map((x) => [x.name, x.data]), [['Example.COM', { address: '93.184.216.34' }]]);
    assert.equal(r.edns, undefined, 'no OPT in the answer to a query without one');

    const c = await ask('ext.default.svc.cluster.local', TYPE.A);
    assert.deepEqual(c.answers.map((x) => [x.name, x.type, x.data]), [
      ['ext.default.svc.cluster.local', TYPE.CNAME, { target: 'db.example.com' }],
      ['db.example.com', TYPE.A, { address: '192.0.2.7' }],
    ]);

    const small = await ask('big.example.com', TYPE.A);
    assert.equal(small.tc, true, 'over 512 bytes without EDNS: truncated');
    const edns = await ask('big.example.com', TYPE.A, { edns: 4096 });
    assert.equal(edns.tc, false);
    assert.equal(edns.answers.length, 120);
    assert.equal(edns.edns?.udpSize, 4096);
    const tcp = await ask('big.example.com', TYPE.A, { transport: 'tcp' });
    assert.equal(tcp.tc, false);
    assert.equal(tcp.answers.length, 120);

    const badVers = decodeMessage((await h.handle(encodeMessage({ ...emptyMessage(5), questions: [{ name: 'example.com', type: 1, class: 1 }],
      edns: { udpSize: 1232, extendedRcode: 0, version: 1, do: false, options: [] } }), 'udp'))!);
    assert.equal(badVers.rcode, RCODE.BADVERS);
    assert.equal(badVers.edns?.version, 0);
  } finally {
    forwarder.close();
  }
});
