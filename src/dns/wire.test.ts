// The wire format: round trips of every record type, name compression,
// truncation at record boundaries, EDNS, and malformed input raising
// DnsFormatError (and the handler answering FORMERR) rather than crashing.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  CLASS_IN, DnsFormatError, RCODE, TYPE, canonicalIP, decodeMessage, emptyMessage, encodeMessage, nameLabels, type Message,
} from './wire.ts';
import { ClusterIndex } from './cluster-index.ts';
import { createDnsHandler } from './server.ts';

function sample(): Message {
  return {
    ...emptyMessage(0xbeef), qr: true, aa: true, rd: true, rcode: RCODE.NOERROR,
    questions: [{ name: 'Web.Default.svc.cluster.local', type: TYPE.SRV, class: CLASS_IN }],
    answers: [
      { name: 'Web.Default.svc.cluster.local', type: TYPE.SRV, class: CLASS_IN, ttl: 5, data: { priority: 0, weight: 50, port: 80, target: 'web.default.svc.cluster.local' } },
      { name: 'web.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: { address: '10.43.0.20' } },
      { name: 'web.default.svc.cluster.local', type: TYPE.AAAA, class: CLASS_IN, ttl: 5, data: { address: 'fd00::1:2' } },
      { name: 'x.default.svc.cluster.local', type: TYPE.CNAME, class: CLASS_IN, ttl: 5, data: { target: 'example.com' } },
      { name: '20.0.43.10.in-addr.arpa', type: TYPE.PTR, class: CLASS_IN, ttl: 5, data: { target: 'web.default.svc.cluster.local' } },
      { name: 'dns-version.cluster.local', type: TYPE.TXT, class: CLASS_IN, ttl: 28800, data: { texts: [Buffer.from('1.1.0'), Buffer.from('')] } },
      { name: 'example.com', type: TYPE.MX, class: CLASS_IN, ttl: 60, data: { preference: 10, exchange: 'mail.example.com' } },
      { name: 'cluster.local', type: TYPE.NS, class: CLASS_IN, ttl: 5, data: { target: 'ns.dns.cluster.local' } },
      { name: 'example.com', type: 99, class: CLASS_IN, ttl: 60, data: { raw: Buffer.from([1, 2, 3]) } },
    ],
    authorities: [{
      name: 'cluster.local', type: TYPE.SOA, class: CLASS_IN, ttl: 5,
      data: { mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: 1700000000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5 },
    }],
    additionals: [{ name: 'web.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: { address: '10.43.0.20' } }],
    edns: { udpSize: 1232, extendedRcode: 0, version: 0, do: true, options: [{ code: 10, data: Buffer.from('cookie00') }] },
  };
}

test('every record type survives an encode/decode round trip', () => {
  const m = sample();
  const back = decodeMessage(encodeMessage(m));
  assert.deepEqual(back, m);
});

test('names are compressed: a repeated suffix costs a 2-byte pointer', () => {
  const one: Message = { ...emptyMessage(1), questions: [{ name: 'a.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN }] };
  const two: Message = { ...one, answers: [{ name: 'a.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: { address: '1.2.3.4' } }] };
  const three: Message = { ...two, answers: [...two.answers, { name: 'b.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: { address: '1.2.3.5' } }] };
  const a = encodeMessage(one).length;
  const b = encodeMessage(two).length;
  const c = encodeMessage(three).length;
  assert.equal(b - a, 2 + 10 + 4, 'the whole owner name is one pointer');
  assert.equal(c - b, 2 + 2 + 10 + 4, 'label "b" then a pointer to default.svc.cluster.local');
  // Compression matches exact spellings only, so every name keeps its case.
  const mixedMsg = { ...two, answers: [{ ...two.answers[0], name: 'A.DEFAULT.svc.cluster.local' }] };
  const mixed = encodeMessage(mixedMsg);
  assert.equal(decodeMessage(mixed).answers[0].name, 'A.DEFAULT.svc.cluster.local');
  assert.equal(mixed.length - a, 2 + 8 + 2 + 10 + 4, '"A", "DEFAULT", then a pointer to svc.cluster.local');
});

test('labels with dots, backslashes and binary bytes are escaped and restored', () => {
  const name = 'a\\.b.c\\\\d.\\000\\255x.example';
  assert.deepEqual(nameLabels(name).map((l) => [...l]), [[0x61, 0x2e, 0x62], [0x63, 0x5c, 0x64], [0, 255, 0x78], [...Buffer.from('example')]]);
  const m: Message = { ...emptyMessage(7), questions: [{ name, type: TYPE.A, class: CLASS_IN }] };
  assert.equal(decodeMessage(encodeMessage(m)).questions[0].name, name);
  assert.throws(() => nameLabels(`${'a'.repeat(64)}.com`), DnsFormatError);
  assert.throws(() => nameLabels(Array(130).fill('ab').join('.')), DnsFormatError);
  assert.throws(() => nameLabels('a..b'), DnsFormatError);
});

test('truncation keeps whole records, sets TC for answers, keeps OPT, drops additionals silently', () => {
  const answers = Array.from({ length: 60 }, (_, i) => ({ name: 'big.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN, ttl: 5, data: { address: `10.42.0.${i + 1}` } }));
  const m: Message = { ...emptyMessage(9), qr: true, questions: [{ name: 'big.default.svc.cluster.local', type: TYPE.A, class: CLASS_IN }], answers };
  const full = encodeMessage(m);
  assert.ok(full.length > 512);
  const cut = encodeMessage(m, 512);
  assert.ok(cut.length <= 512);
  const d = decodeMessage(cut);
  assert.equal(d.tc, true);
  assert.ok(d.answers.length > 0 && d.answers.length < 60);
  assert.deepEqual(d.answers, answers.slice(0, d.answers.length));
  const withOpt = decodeMessage(encodeMessage({ ...m, edns: { udpSize: 512, extendedRcode: 0, version: 0, do: false, options: [] } }, 512));
  assert.equal(withOpt.tc, true);
  assert.equal(withOpt.edns?.udpSize, 512);
  const extraOnly = decodeMessage(encodeMessage({ ...m, answers: answers.slice(0, 2), additionals: answers }, 512));
  assert.equal(extraOnly.tc, false, 'dropping additional records does not set TC');
  assert.equal(extraOnly.answers.length, 2);
});

test('EDNS: OPT is lifted into edns and the extended rcode is combined', () => {
  const m: Message = { ...emptyMessage(3), qr: true, rcode: RCODE.BADVERS, questions: [{ name: 'x', type: TYPE.A, class: CLASS_IN }],
    edns: { udpSize: 4096, extendedRcode: 0, version: 0, do: false, options: [] } };
  const buf = encodeMessage(m);
  assert.equal(buf.readUInt16BE(2) & 0xf, 0, 'low bits of BADVERS (16) are 0 in the header');
  const d = decodeMessage(buf);
  assert.equal(d.rcode, RCODE.BADVERS);
  assert.equal(d.additionals.length, 0);
});

test('malformed packets raise DnsFormatError', () => {
  const good = encodeMessage(sample());
  const cases: Buffer[] = [
    Buffer.alloc(0), Buffer.from([1, 2, 3]), good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.from([0])]),
    // question name with a pointer to itself (a loop)
    Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]),
    // forward pointer
    Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 20, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]),
    // reserved label type 0x40
    Buffer.from([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 0x61, 0, 0, 1, 0, 1]),
    // A record with 3 bytes of data
    Buffer.from([0, 1, 0x80, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 5, 0, 3, 1, 2, 3]),
    // two OPT records
    Buffer.from([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 41, 16, 0, 0, 0, 0, 0, 0, 0]),
  ];
  for (const c of cases) assert.throws(() => decodeMessage(c), DnsFormatError, `should reject ${c.toString('hex')}`);
});

test('random garbage never crashes decoding or the handler; queries get FORMERR with their id', async () => {
  const handler = createDnsHandler({ index: new ClusterIndex(), config: () => ({ zone: 'cluster.local', ttl: 5 }) });
  const good = encodeMessage({ ...emptyMessage(0x1234), questions: [{ name: 'a.b.svc.cluster.local', type: TYPE.A, class: CLASS_IN }] });
  for (let i = 0; i < 3000; i++) {
    let buf: Buffer;
    if (i % 2 === 0) buf = randomBytes(i % 80);
    else { buf = Buffer.from(good); for (let j = 0; j < 3; j++) buf[12 + ((i * 7 + j * 13) % (buf.length - 12))] = (i * 31 + j) & 0xff; }
    try { decodeMessage(buf); } catch (e) { assert.ok(e instanceof DnsFormatError, String(e)); }
    const out = await handler.handle(buf, 'udp');
    if (out) decodeMessage(out); // whatever we send must itself be well-formed
  }
  const bad = Buffer.from(good.subarray(0, good.length - 2));
  const out = await handler.handle(bad, 'udp');
  const r = decodeMessage(out!);
  assert.equal(r.id, 0x1234);
  assert.equal(r.rcode, RCODE.FORMERR);
  assert.equal(r.qr, true);
  // A malformed *response* is never answered (no reflection loops).
  bad[2] |= 0x80;
  assert.equal(await handler.handle(bad, 'udp'), undefined);
});

test('canonicalIP normalises IPv4 and IPv6 text', () => {
  assert.equal(canonicalIP('10.042.0.1'), '10.42.0.1');
  assert.equal(canonicalIP('FD00:0:0:0:0:0:0:1'), 'fd00::1');
  assert.equal(canonicalIP('::ffff:10.0.0.1'), '::ffff:a00:1');
  assert.equal(canonicalIP('1:0:0:1:0:0:0:1'), '1:0:0:1::1');
  assert.equal(canonicalIP('10.0.0.256'), undefined);
  assert.equal(canonicalIP('not-an-ip'), undefined);
  assert.equal(canonicalIP('1::2::3'), undefined);
});
