// answer() over a table of Services and EndpointSlices: every record type the
// kubernetes plugin of CoreDNS serves, NXDOMAIN/NODATA with the SOA, case
// insensitivity, and what is handed back for forwarding.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { answer, reverseAddress, type AnswerConfig } from './answer.ts';
import { ClusterIndex } from './cluster-index.ts';
import { CLASS_IN, RCODE, TYPE, decodeMessage, emptyMessage, encodeMessage, type Message, type ResourceRecord } from './wire.ts';

const NOW = 1_700_000_000_000;
const cfg: AnswerConfig = { zone: 'cluster.local', ttl: 5 };

function svc(ns: string, name: string, spec: Service['spec']): Service {
  return { metadata: { name, namespace: ns }, spec };
}

function slice(ns: string, name: string, service: string, o: Partial<EndpointSlice>): EndpointSlice {
  return { addressType: 'IPv4', endpoints: [], ...o, metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } } };
}

function fixture(): ClusterIndex {
  const ix = new ClusterIndex(() => NOW);
  for (const ns of ['default', 'apps', 'kube-system']) ix.setNamespace({ metadata: { name: ns } });
  ix.setService(svc('default', 'web', {
    type: 'ClusterIP', clusterIP: '10.43.0.20', clusterIPs: ['10.43.0.20'],
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 9000, protocol: 'TCP' }],
  }));
  ix.setEndpointSlice(slice('default', 'web-abc', 'web', {
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }],
  }));
  ix.setService(svc('default', 'dual', { clusterIP: '10.43.0.21', clusterIPs: ['10.43.0.21', 'fd00:43::21'], ports: [{ name: 'http', port: 80 }] }));
  // Headless, StatefulSet-style: hostnames, one not ready.
  ix.setService(svc('apps', 'db', { clusterIP: 'None', clusterIPs: ['None'], ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }] }));
  ix.setEndpointSlice(slice('apps', 'db-1', 'db', {
    ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.42.1.10'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.1.11'], hostname: 'db-1', conditions: { ready: true } },
      { addresses: ['10.42.1.12'], hostname: 'db-2', conditions: { ready: false } },
    ],
  }));
  // Headless without hostnames, split over two slices (plus one IPv6 slice), ready unset = ready.
  ix.setService(svc('apps', 'cache', { clusterIP: 'None', ports: [{ name: 'redis', port: 6379 }] }));
  ix.setEndpointSlice(slice('apps', 'cache-a', 'cache', { ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.2.1'] }] }));
  ix.setEndpointSlice(slice('apps', 'cache-b', 'cache', { ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.2.2'] }] }));
  ix.setEndpointSlice(slice('apps', 'cache-6', 'cache', { addressType: 'IPv6', ports: [{ name: 'redis', port: 6379, protocol: 'TCP' }], endpoints: [{ addresses: ['fd00:42::2:3'] }] }));
  // publishNotReadyAddresses: unready endpoints count.
  ix.setService(svc('apps', 'peers', { clusterIP: 'None', publishNotReadyAddresses: true }));
  ix.setEndpointSlice(slice('apps', 'peers-x', 'peers', { endpoints: [{ addresses: ['10.42.3.1'], conditions: { ready: false } }] }));
  // Headless with no ready endpoint.
  ix.setService(svc('apps', 'empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] }));
  ix.setService(svc('default', 'ext', { type: 'ExternalName', externalName: 'db.example.com.' }));
  ix.setService(svc('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }));
  ix.setService(svc('kube-system', 'kube-dns', { clusterIP: '10.43.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }] }));
  return ix;
}

function ask(ix: ClusterIndex, name: string, type: number, c: AnswerConfig = cfg) {
  const q: Message = { ...emptyMessage(42), rd: true, questions: [{ name, type, class: CLASS_IN }] };
  return answer(q, ix, c);
}

const rdata = (rrs: ResourceRecord[]): unknown[] => rrs.map((r) => [r.name, r.type, r.ttl, r.data]);
const soaOf = (m: Message) => m.authorities.map((r) => [r.name, r.type, r.ttl, r.data]);
const SOA = [['cluster.local', TYPE.SOA, 5, {
  mname: 'ns.dns.cluster.local', rname: 'hostmaster.cluster.local', serial: NOW / 1000, refresh: 7200, retry: 1800, expire: 86400, minimum: 5,
}]];

test('A of a ClusterIP Service is its cluster IP, authoritative, TTL 5, owner as asked', () => {
  const r = ask(fixture(), 'web.default.svc.cluster.local', TYPE.A).response!;
  assert.equal(r.rcode, RCODE.NOERROR);
  assert.equal(r.aa, true);
  assert.equal(r.qr, true);
  assert.equal(r.id, 42);
  assert.deepEqual(rdata(r.answers), [['web.default.svc.cluster.local', TYPE.A, 5, { address: '10.43.0.20' }]]);
  const upper = ask(fixture(), 'WEB.Default.SVC.Cluster.Local', TYPE.A).response!;
  assert.deepEqual(rdata(upper.answers), [['WEB.Default.SVC.Cluster.Local', TYPE.A, 5, { address: '10.43.0.20' }]]);
  assert.equal(upper.questions[0].name, 'WEB.Default.SVC.Cluster.Local');
  const nx = ask(fixture(), 'NOPE.default.svc.Cluster.Local', TYPE.A).response!;
  assert.deepEqual(nx.authorities.map((r) => [r.name, (r.data as { mname: string }).mname]), [['Cluster.Local', 'ns.dns.Cluster.Local']], 'the SOA keeps the zone\'s spelling');
});

test('AAAA: dual-stack gives the IPv6 cluster IP; IPv4-only gives NODATA with the SOA', () => {
  const ix = fixture();
  assert.deepEqual(rdata(ask(ix, 'dual.default.svc.cluster.local', TYPE.AAAA).response!.answers), [['dual.default.svc.cluster.local', TYPE.AAAA, 5, { address: 'fd00:43::21' }]]);
  assert.deepEqual(rdata(ask(ix, 'dual.default.svc.cluster.local', TYPE.A).response!.answers), [['dual.default.svc.cluster.local', TYPE.A, 5, { address: '10.43.0.21' }]]);
  const r = ask(ix, 'web.default.svc.cluster.local', TYPE.AAAA).response!;
  assert.equal(r.rcode, RCODE.NOERROR);
  assert.deepEqual(r.answers, []);
  assert.deepEqual(soaOf(r), SOA);
});

test('headless Services answer with ready endpoint IPs from all their slices', () => {
  const ix = fixture();
  assert.deepEqual(ask(ix, 'db.apps.svc.cluster.local', TYPE.A).response!.answers.map((r) => (r.data as { address: string }).address), ['10.42.1.10', '10.42.1.11']);
  assert.deepEqual(ask(ix, 'cache.apps.svc.cluster.local', TYPE.A).response!.answers.map((r) => (r.data as { address: string }).address).sort(), ['10.42.2.1', '10.42.2.2']);
  assert.deepEqual(ask(ix, 'cache.apps.svc.cluster.local', TYPE.AAAA).response!.answers.map((r) => (r.data as { address: string }).address), ['fd00:42::2:3']);
  assert.deepEqual(ask(ix, 'peers.apps.svc.cluster.local', TYPE.A).response!.answers.map((r) => (r.data as { address: string }).address), ['10.42.3.1'], 'publishNotReadyAddresses');
  const none = ask(ix, 'empty.apps.svc.cluster.local', TYPE.A).response!;
  assert.equal(none.rcode, RCODE.NXDOMAIN, 'a headless Service without endpoints does not resolve (as CoreDNS)');
});

test('endpoint hostnames: StatefulSet pods via subdomain, dashed IPs otherwise', () => {
  const ix = fixture();
  assert.deepEqual(rdata(ask(ix, 'db-1.db.apps.svc.cluster.local', TYPE.A).response!.answers), [['db-1.db.apps.svc.cluster.local', TYPE.A, 5, { address: '10.42.1.11' }]]);
  assert.equal(ask(ix, 'db-2.db.apps.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN, 'not ready');
  assert.equal(ask(ix, 'db-9.db.apps.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.deepEqual(ask(ix, '10-42-2-2.cache.apps.svc.cluster.local', TYPE.A).response!.answers.map((r) => r.data), [{ address: '10.42.2.2' }]);
  // Endpoint names work under a ClusterIP Service too.
  assert.deepEqual(ask(ix, '10-42-0-5.web.default.svc.cluster.local', TYPE.A).response!.answers.map((r) => r.data), [{ address: '10.42.0.5' }]);
});

test('SRV: named ports of a ClusterIP Service, with the address in the additional section', () => {
  const r = ask(fixture(), '_http._tcp.web.default.svc.cluster.local', TYPE.SRV).response!;
  assert.deepEqual(rdata(r.answers), [['_http._tcp.web.default.svc.cluster.local', TYPE.SRV, 5, { priority: 0, weight: 100, port: 80, target: 'web.default.svc.cluster.local' }]]);
  assert.deepEqual(rdata(r.additionals), [['web.default.svc.cluster.local', TYPE.A, 5, { address: '10.43.0.20' }]]);
  const udp = ask(fixture(), '_DNS._UDP.web.default.svc.cluster.local', TYPE.SRV).response!;
  assert.deepEqual(udp.answers.map((a) => (a.data as { port: number }).port), [53]);
  assert.equal(ask(fixture(), '_dns._tcp.web.default.svc.cluster.local', TYPE.SRV).response!.rcode, RCODE.NXDOMAIN, 'wrong protocol');
  assert.equal(ask(fixture(), '_nope._tcp.web.default.svc.cluster.local', TYPE.SRV).response!.rcode, RCODE.NXDOMAIN);
  assert.equal(ask(fixture(), '_*._tcp.web.default.svc.cluster.local', TYPE.SRV).response!.rcode, RCODE.NXDOMAIN, 'wildcards are not served');
  assert.equal(ask(fixture(), '*.default.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN, 'wildcards are not served');
  // The Service name itself: one SRV per port (unnamed ones too), weights split.
  const all = ask(fixture(), 'web.default.svc.cluster.local', TYPE.SRV).response!;
  assert.deepEqual(all.answers.map((a) => a.data), [80, 53, 9000].map((port) => ({ priority: 0, weight: 33, port, target: 'web.default.svc.cluster.local' })));
  assert.equal(all.additionals.length, 1);
});

test('SRV on a headless Service: one record per endpoint, hostname targets', () => {
  const r = ask(fixture(), '_pg._tcp.db.apps.svc.cluster.local', TYPE.SRV).response!;
  assert.deepEqual(r.answers.map((a) => a.data), [
    { priority: 0, weight: 50, port: 5432, target: 'db-0.db.apps.svc.cluster.local' },
    { priority: 0, weight: 50, port: 5432, target: 'db-1.db.apps.svc.cluster.local' },
  ]);
  assert.deepEqual(rdata(r.additionals), [
    ['db-0.db.apps.svc.cluster.local', TYPE.A, 5, { address: '10.42.1.10' }],
    ['db-1.db.apps.svc.cluster.local', TYPE.A, 5, { address: '10.42.1.11' }],
  ]);
  const c = ask(fixture(), '_redis._tcp.cache.apps.svc.cluster.local', TYPE.SRV).response!;
  assert.deepEqual(c.answers.map((a) => (a.data as { target: string }).target).sort(), [
    '10-42-2-1.cache.apps.svc.cluster.local', '10-42-2-2.cache.apps.svc.cluster.local', 'fd00-42--2-3.cache.apps.svc.cluster.local',
  ]);
  assert.ok(c.additionals.some((a) => a.type === TYPE.AAAA && (a.data as { address: string }).address === 'fd00:42::2:3'));
  // A slice without ports gives addresses but no SRV.
  const p = ask(fixture(), 'peers.apps.svc.cluster.local', TYPE.SRV).response!;
  assert.equal(p.rcode, RCODE.NOERROR);
  assert.deepEqual(p.answers, []);
});

test('ExternalName is a CNAME; out-of-zone targets are chased upstream, in-zone ones answered here', () => {
  const ix = fixture();
  const c = ask(ix, 'ext.default.svc.cluster.local', TYPE.CNAME).response!;
  assert.deepEqual(rdata(c.answers), [['ext.default.svc.cluster.local', TYPE.CNAME, 5, { target: 'db.example.com' }]]);
  const a = ask(ix, 'ext.default.svc.cluster.local', TYPE.A);
  assert.deepEqual(rdata(a.response!.answers), [['ext.default.svc.cluster.local', TYPE.CNAME, 5, { target: 'db.example.com' }]]);
  assert.deepEqual(a.chase, { name: 'db.example.com', type: TYPE.A });
  const inZone = ask(ix, 'alias.default.svc.cluster.local', TYPE.A);
  assert.equal(inZone.chase, undefined);
  assert.deepEqual(rdata(inZone.response!.answers), [
    ['alias.default.svc.cluster.local', TYPE.CNAME, 5, { target: 'web.default.svc.cluster.local' }],
    ['web.default.svc.cluster.local', TYPE.A, 5, { address: '10.43.0.20' }],
  ]);
  const srv = ask(ix, 'ext.default.svc.cluster.local', TYPE.SRV).response!;
  assert.equal(srv.rcode, RCODE.NOERROR);
  assert.deepEqual(srv.answers, [], 'no SRV for ExternalName');
  assert.equal(ask(ix, '_http._tcp.ext.default.svc.cluster.local', TYPE.SRV).response!.rcode, RCODE.NXDOMAIN, 'no ports under ExternalName');
  // A CNAME query on a ClusterIP Service: the name exists, no CNAME.
  assert.deepEqual(ask(ix, 'web.default.svc.cluster.local', TYPE.CNAME).response!.answers, []);
});

test('pod A records (pods insecure): the IP spelled in the name, in an existing namespace', () => {
  const ix = fixture();
  assert.deepEqual(rdata(ask(ix, '10-42-0-7.default.pod.cluster.local', TYPE.A).response!.answers), [['10-42-0-7.default.pod.cluster.local', TYPE.A, 5, { address: '10.42.0.7' }]]);
  assert.deepEqual(ask(ix, 'fd00--7.default.pod.cluster.local', TYPE.AAAA).response!.answers.map((a) => a.data), [{ address: 'fd00::7' }]);
  assert.equal(ask(ix, '10-42-0-7.nowhere.pod.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.equal(ask(ix, 'not-an-ip.default.pod.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.equal(ask(ix, '10-42-0-7.default.pod.cluster.local', TYPE.AAAA).response!.rcode, RCODE.NOERROR);
});

test('PTR for cluster IPs and endpoint IPs; unknown addresses are forwarded', () => {
  const ix = fixture();
  assert.deepEqual(rdata(ask(ix, '20.0.43.10.in-addr.arpa', TYPE.PTR).response!.answers), [['20.0.43.10.in-addr.arpa', TYPE.PTR, 5, { target: 'web.default.svc.cluster.local' }]]);
  assert.deepEqual(ask(ix, '11.1.42.10.in-addr.arpa', TYPE.PTR).response!.answers.map((a) => a.data), [{ target: 'db-1.db.apps.svc.cluster.local' }]);
  assert.deepEqual(ask(ix, '1.2.42.10.in-addr.arpa', TYPE.PTR).response!.answers.map((a) => a.data), [{ target: '10-42-2-1.cache.apps.svc.cluster.local' }]);
  const v6 = '1.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.3.4.0.0.0.0.d.f.ip6.arpa';
  assert.deepEqual(ask(ix, v6, TYPE.PTR).response!.answers.map((a) => a.data), [{ target: 'dual.default.svc.cluster.local' }]);
  assert.deepEqual(ask(ix, '9.9.9.9.in-addr.arpa', TYPE.PTR), { forward: true });
  assert.deepEqual(ask(ix, '20.0.43.10.in-addr.arpa', TYPE.A), { forward: true });
  assert.equal(reverseAddress('20.0.43.10.in-addr.arpa'), '10.43.0.20');
  assert.equal(reverseAddress('300.0.43.10.in-addr.arpa'), undefined);
});

test('NXDOMAIN with the SOA for names that do not exist; NODATA for names that do', () => {
  const ix = fixture();
  for (const name of ['nope.default.svc.cluster.local', 'web.nons.svc.cluster.local', 'web.default.foo.cluster.local', 'a.b.c.web.default.svc.cluster.local', 'x.cluster.local']) {
    const r = ask(ix, name, TYPE.A).response!;
    assert.equal(r.rcode, RCODE.NXDOMAIN, name);
    assert.equal(r.aa, true);
    assert.deepEqual(r.answers, []);
    assert.deepEqual(soaOf(r), SOA, name);
  }
  for (const [name, type] of [['default.svc.cluster.local', TYPE.A], ['svc.cluster.local', TYPE.A], ['cluster.local', TYPE.A], ['web.default.svc.cluster.local', TYPE.MX],
    ['web.default.svc.cluster.local', TYPE.TXT], ['default.pod.cluster.local', TYPE.A]] as const) {
    const r = ask(ix, name, type).response!;
    assert.equal(r.rcode, RCODE.NOERROR, name);
    assert.deepEqual(r.answers, []);
    assert.deepEqual(soaOf(r), SOA, name);
  }
  assert.equal(ask(ix, 'nope.default.svc.cluster.local', TYPE.MX).response!.rcode, RCODE.NXDOMAIN);
  // Before the caches have synced, "not found" is SERVFAIL so clients retry.
  assert.equal(ask(ix, 'nope.default.svc.cluster.local', TYPE.A, { ...cfg, synced: false }).response!.rcode, RCODE.SERVFAIL);
});

test('the zone apex: SOA, NS with ns.dns glue, dns-version TXT', () => {
  const ix = fixture();
  assert.deepEqual(rdata(ask(ix, 'cluster.local', TYPE.SOA).response!.answers), SOA);
  const ns = ask(ix, 'cluster.local', TYPE.NS).response!;
  assert.deepEqual(rdata(ns.answers), [['cluster.local', TYPE.NS, 5, { target: 'ns.dns.cluster.local' }]]);
  assert.deepEqual(rdata(ns.additionals), [['ns.dns.cluster.local', TYPE.A, 5, { address: '10.43.0.10' }]]);
  assert.deepEqual(ask(ix, 'ns.dns.cluster.local', TYPE.A).response!.answers.map((a) => a.data), [{ address: '10.43.0.10' }]);
  const v = ask(ix, 'dns-version.cluster.local', TYPE.TXT).response!;
  assert.deepEqual(v.answers.map((a) => [a.ttl, (a.data as { texts: Buffer[] }).texts.map(String)]), [[28800, ['1.1.0']]]);
  assert.equal(ask(ix, 'cluster.local', TYPE.AXFR).response!.rcode, RCODE.REFUSED);
  const below = ask(ix, 'nope.default.svc.cluster.local', TYPE.SOA).response!;
  assert.equal(below.rcode, RCODE.NOERROR, 'SOA below the apex: NODATA, as CoreDNS answers');
  assert.deepEqual(soaOf(below), SOA);
});

test('other zones are forwarded; a configured domain is honoured', () => {
  const ix = fixture();
  assert.deepEqual(ask(ix, 'example.com', TYPE.A), { forward: true });
  assert.deepEqual(ask(ix, 'cluster.localx', TYPE.A), { forward: true });
  const other: AnswerConfig = { zone: 'corp.internal', ttl: 30 };
  assert.deepEqual(ask(ix, 'web.default.svc.cluster.local', TYPE.A, other), { forward: true });
  const r = ask(ix, 'web.default.svc.corp.internal', TYPE.A, other).response!;
  assert.deepEqual(rdata(r.answers), [['web.default.svc.corp.internal', TYPE.A, 30, { address: '10.43.0.20' }]]);
});

test('the index follows updates and deletions (reverse maps included)', () => {
  const ix = fixture();
  ix.setService(svc('default', 'web', { clusterIP: '10.43.0.99', ports: [{ name: 'http', port: 80 }] }));
  assert.deepEqual(ask(ix, 'web.default.svc.cluster.local', TYPE.A).response!.answers.map((a) => a.data), [{ address: '10.43.0.99' }]);
  assert.deepEqual(ask(ix, '20.0.43.10.in-addr.arpa', TYPE.PTR), { forward: true });
  // A slice relabelled to another Service moves its endpoints there.
  ix.setEndpointSlice(slice('default', 'web-abc', 'dual', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.0.5'] }] }));
  assert.equal(ask(ix, '10-42-0-5.web.default.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.deepEqual(ask(ix, '5.0.42.10.in-addr.arpa', TYPE.PTR).response!.answers.map((a) => a.data), [{ target: '10-42-0-5.dual.default.svc.cluster.local' }]);
  ix.setEndpointSlice(slice('default', 'web-abc', 'web', { ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: [{ addresses: ['10.42.0.5'] }] }));
  ix.deleteService(svc('default', 'web', {}));
  assert.equal(ask(ix, 'web.default.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.deepEqual(ask(ix, '5.0.42.10.in-addr.arpa', TYPE.PTR), { forward: true }, 'endpoints of a deleted Service are gone');
  ix.deleteEndpointSlice(slice('apps', 'db-1', 'db', {}));
  assert.equal(ask(ix, 'db.apps.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
  assert.deepEqual(ask(ix, '10.1.42.10.in-addr.arpa', TYPE.PTR), { forward: true });
  ix.deleteNamespace({ metadata: { name: 'apps' } });
  assert.equal(ask(ix, 'cache.apps.svc.cluster.local', TYPE.A).response!.rcode, RCODE.NXDOMAIN);
});

test('malformed queries: no question gets FORMERR, other opcodes NOTIMP', () => {
  const ix = fixture();
  assert.equal(answer({ ...emptyMessage(1) }, ix, cfg).response!.rcode, RCODE.FORMERR);
  assert.equal(answer({ ...emptyMessage(1), opcode: 2, questions: [{ name: 'a', type: 1, class: 1 }] }, ix, cfg).response!.rcode, RCODE.NOTIMP);
});

test('any name in any zone gets a well-formed answer or is handed on, never an exception', () => {
  const ix = fixture();
  const tokens = ['web', 'db', 'db-0', 'default', 'apps', 'svc', 'pod', 'cluster', 'local', '_http', '_tcp', '10-42-0-1', 'fd00--1', '*', 'in-addr', 'arpa', 'ip6', '20', '0', '43', '10', 'dns-version', 'ns', 'dns', 'ext', 'x\\000y', 'A-B'];
  let seed = 7;
  const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed % n; };
  for (let i = 0; i < 5000; i++) {
    const labels = Array.from({ length: 1 + rnd(7) }, () => tokens[rnd(tokens.length)]);
    if (rnd(2)) labels.push('cluster', 'local');
    const name = labels.join('.');
    const type = [TYPE.A, TYPE.AAAA, TYPE.SRV, TYPE.PTR, TYPE.TXT, TYPE.CNAME, TYPE.NS, TYPE.SOA, TYPE.MX, 99][rnd(10)];
    const r = ask(ix, name, type);
    if (r.forward) continue;
    const m = r.response!;
    assert.ok([RCODE.NOERROR, RCODE.NXDOMAIN].includes(m.rcode as 0 | 3), `${name} ${type}: rcode ${m.rcode}`);
    assert.deepEqual(decodeMessage(encodeMessage(m)).answers.length, m.answers.length);
    if (m.answers.length === 0) assert.equal(m.authorities[0]?.type, TYPE.SOA, `${name} ${type}: SOA with no answers`);
  }
});
