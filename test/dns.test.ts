// Cluster DNS against a real `pilot server`: Services, a headless Service
// with an EndpointSlice made through the API, an ExternalName Service, and
// pods made ready by the fake kubelet whose EndpointSlice the controller
// writes — answered by the in-process DNS server on 127.0.0.1 (and once by
// `pilot dns` as a process) and queried with node:dns's Resolver (c-ares, as
// a pod's resolver would ask). Other names are forwarded to a fake upstream
// on 127.0.0.1, named in a resolv.conf. Nothing leaves loopback.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resolver } from 'node:dns/promises';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { spawn } from 'node:child_process';
import { Pilot, PILOT_BIN } from './helpers/pilot.ts';
import { FakeKubelet } from './helpers/fake-kubelet.ts';
import { loadKubeconfig, RestClient } from '../src/client/index.ts';
import { startClusterDns, type ClusterDns } from '../src/dns/cluster-dns.ts';
import { FakeUpstream } from '../src/dns/fake-upstream.ts';
import { CLASS_IN, TYPE } from '../src/dns/wire.ts';

let pilot: Pilot;
let client: RestClient;
let dns: ClusterDns;
let upstream: FakeUpstream;
let resolver: Resolver;
let tmp: string;
let resolvConf: string;
let kubelet: FakeKubelet | undefined;
const notReady = new Set<string>();

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const services = (): ReturnType<RestClient['resource']> => client.resource<Service>('v1', 'Service').namespace('default');
const slices = (): ReturnType<RestClient['resource']> => client.resource<EndpointSlice>('discovery.k8s.io/v1', 'EndpointSlice').namespace('default');

before(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-dns-'));
  upstream = await new FakeUpstream({
    records: {
      'example.com': [{ name: 'example.com', type: TYPE.A, class: CLASS_IN, ttl: 300, data: { address: '93.184.216.34' } }],
      'db.example.com': [{ name: 'db.example.com', type: TYPE.A, class: CLASS_IN, ttl: 300, data: { address: '192.0.2.7' } }],
    },
  }).start();
  resolvConf = path.join(tmp, 'resolv.conf');
  fs.writeFileSync(resolvConf, `nameserver ${upstream.address}\n`);
  // The fake node sends no heartbeats: without nodelifecycle off, its pods would be marked not ready.
  pilot = await new Pilot({ extraArgs: ['--disable-scheduler', '--controllers', '*,-nodelifecycle'] }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  dns = await startClusterDns({ client, listen: '127.0.0.1:0', upstreamResolvConf: resolvConf });
  resolver = new Resolver({ timeout: 2000, tries: 2 });
  resolver.setServers([`127.0.0.1:${dns.port}`]);
});

after(async () => {
  await kubelet?.stop();
  await dns?.stop();
  client?.close();
  await pilot?.stop();
  await upstream?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('a ClusterIP Service: A, SRV for its named port, PTR of its IP', async () => {
  const svc = await services().create({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'metrics', port: 9090 }] },
  } as Service) as Service;
  const ip = svc.spec!.clusterIP!;
  assert.match(ip, /^10\.43\./);
  assert.deepEqual(await until('A of web', () => resolver.resolve4('web.default.svc.cluster.local')), [ip]);
  assert.deepEqual(await resolver.resolveSrv('_http._tcp.web.default.svc.cluster.local'),
    [{ name: 'web.default.svc.cluster.local', port: 80, priority: 0, weight: 100 }]);
  assert.deepEqual(await resolver.reverse(ip), ['web.default.svc.cluster.local']);
  // An ExternalName CNAME, and a Service of another name: NXDOMAIN.
  await assert.rejects(resolver.resolve4('nope.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  await assert.rejects(resolver.resolve4('web.nowhere.svc.cluster.local'), { code: 'ENOTFOUND' });
  // The Service exists but has no IPv6 address: NODATA.
  await assert.rejects(resolver.resolve6('web.default.svc.cluster.local'), { code: 'ENODATA' });
  assert.deepEqual(await resolver.resolveTxt('dns-version.cluster.local'), [['1.1.0']]);
});

test('a headless Service: endpoint IPs, hostnames, one SRV per endpoint; large answers go over TCP', async () => {
  await services().create({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'db' },
    spec: { clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
  } as Service);
  await slices().create({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
    metadata: { name: 'db-1', labels: { 'kubernetes.io/service-name': 'db' } },
    addressType: 'IPv4', ports: [{ name: 'pg', port: 5432, protocol: 'TCP' }],
    endpoints: [
      { addresses: ['10.42.0.10'], hostname: 'db-0', conditions: { ready: true } },
      { addresses: ['10.42.0.11'], hostname: 'db-1', conditions: { ready: true } },
      { addresses: ['10.42.0.12'], hostname: 'db-2', conditions: { ready: false } },
    ],
  } as EndpointSlice);
  const ips = await until('A of db', async () => { const r = (await resolver.resolve4('db.default.svc.cluster.local')).sort(); return r.length === 2 && r; });
  assert.deepEqual(ips, ['10.42.0.10', '10.42.0.11']);
  assert.deepEqual(await resolver.resolve4('db-1.db.default.svc.cluster.local'), ['10.42.0.11']);
  await assert.rejects(resolver.resolve4('db-2.db.default.svc.cluster.local'), { code: 'ENOTFOUND' });
  const srv = (await resolver.resolveSrv('_pg._tcp.db.default.svc.cluster.local')).sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(srv, [
    { name: 'db-0.db.default.svc.cluster.local', port: 5432, priority: 0, weight: 50 },
    { name: 'db-1.db.default.svc.cluster.local', port: 5432, priority: 0, weight: 50 },
  ]);
  assert.deepEqual(await resolver.reverse('10.42.0.11'), ['db-1.db.default.svc.cluster.local']);

  // 200 endpoints do not fit a UDP answer: TC is set and the resolver asks again over TCP.
  await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'many' }, spec: { clusterIP: 'None', ports: [{ name: 'x', port: 1 }] } } as Service);
  await slices().create({
    apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'many-1', labels: { 'kubernetes.io/service-name': 'many' } },
    addressType: 'IPv4', ports: [{ name: 'x', port: 1, protocol: 'TCP' }],
    endpoints: Array.from({ length: 200 }, (_, i) => ({ addresses: [`10.42.${1 + (i >> 8)}.${i & 255}`] })),
  } as EndpointSlice);
  const truncatedBefore = dns.handler.stats.truncated;
  const many = await until('A of many', async () => { const r = await resolver.resolve4('many.default.svc.cluster.local'); return r.length === 200 && r; });
  assert.equal(new Set(many).size, 200);
  assert.ok(dns.handler.stats.truncated > truncatedBefore, 'the UDP answer was truncated');
});

test('an ExternalName Service is a CNAME, followed upstream', async () => {
  await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'db.example.com' } } as Service);
  assert.deepEqual(await until('CNAME of ext', () => resolver.resolveCname('ext.default.svc.cluster.local')), ['db.example.com']);
  assert.deepEqual(await resolver.resolve4('ext.default.svc.cluster.local'), ['192.0.2.7']);
});

test('pod A records, and names outside the zone forwarded to the upstream (and cached)', async () => {
  assert.deepEqual(await resolver.resolve4('10-42-0-99.default.pod.cluster.local'), ['10.42.0.99']);
  const before = upstream.queries;
  assert.deepEqual(await resolver.resolve4('example.com'), ['93.184.216.34']);
  assert.deepEqual(await resolver.resolve4('example.com'), ['93.184.216.34']);
  assert.equal(upstream.queries - before, 1, 'the second answer came from the cache');
  await assert.rejects(resolver.resolve4('missing.example.com'), { code: 'ENOTFOUND' });
});

test('a deleted Service stops resolving (NXDOMAIN) within moments', async () => {
  await services().create({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'gone' }, spec: { ports: [{ port: 80 }] } } as Service);
  await until('A of gone', () => resolver.resolve4('gone.default.svc.cluster.local'));
  const t0 = Date.now();
  await services().delete('gone');
  await until('NXDOMAIN for gone', async () => {
    try { await resolver.resolve4('gone.default.svc.cluster.local'); return false; } catch (e) { return (e as { code?: string }).code === 'ENOTFOUND'; }
  }, 15_000);
  const secs = (Date.now() - t0) / 1000;
  process.stdout.write(`# deleted Service gave NXDOMAIN after ${secs.toFixed(2)} s\n`);
});

test('`pilot dns` runs the same server standalone', async () => {
  const proc = spawn(PILOT_BIN, ['dns', '--kubeconfig', pilot.kubeconfig, '--listen', '127.0.0.1:0', '--upstream-resolv-conf', resolvConf, '--log-level', 'warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    let out = '';
    let err = '';
    proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pilot dns did not start in 30 s:\n${out}\n${err}`)), 30_000);
      proc.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      });
      proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`pilot dns exited with ${code}:\n${out}\n${err}`)); });
    });
    assert.match(out, new RegExp(`forwarding other names to ${upstream.address.replaceAll('.', '\\.')}`));
    const r = new Resolver({ timeout: 2000, tries: 2 });
    r.setServers([`127.0.0.1:${port}`]);
    const web = await services().get('web') as Service;
    assert.deepEqual(await r.resolve4('web.default.svc.cluster.local'), [web.spec!.clusterIP]);
    assert.deepEqual(await r.resolve4('example.com'), ['93.184.216.34']);
  } finally {
    proc.kill('SIGTERM');
    const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    assert.equal(await exited, 0, 'stops cleanly on SIGTERM');
    clearTimeout(t);
  }
});

test('StatefulSet-style pods behind a headless Service, through the EndpointSlice controller: names follow readiness', async () => {
  await client.resource('v1', 'Node').create({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'fake-node' } });
  kubelet = await new FakeKubelet(client, { selector: 'app=peers', ready: (p) => !notReady.has(p.metadata?.name ?? '') }).start();
  await services().create({
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'peers' },
    spec: { clusterIP: 'None', selector: { app: 'peers' }, ports: [{ name: 'gossip', port: 7000 }] },
  } as Service);
  const pods = client.resource<Pod>('v1', 'Pod').namespace('default');
  for (const name of ['peer-0', 'peer-1']) {
    await pods.create({
      apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'peers' } },
      spec: { hostname: name, subdomain: 'peers', containers: [{ name: 'c', image: 'registry.local/peer:1', ports: [{ name: 'gossip', containerPort: 7000 }] }] },
    } as Pod);
  }
  const ipOf = async (name: string): Promise<string | undefined> => (await pods.get(name)).status?.podIP;
  const [ip0, ip1] = await until('pod IPs', async () => { const ips = await Promise.all([ipOf('peer-0'), ipOf('peer-1')]); return ips.every(Boolean) && ips as string[]; });
  assert.deepEqual(await until('both peers in DNS', async () => {
    const r = (await resolver.resolve4('peers.default.svc.cluster.local')).sort();
    return r.length === 2 && r;
  }), [ip0, ip1].sort());
  assert.deepEqual(await resolver.resolve4('peer-1.peers.default.svc.cluster.local'), [ip1]);
  assert.deepEqual((await resolver.resolveSrv('_gossip._tcp.peers.default.svc.cluster.local')).map((r) => [r.name, r.port]).sort(), [
    ['peer-0.peers.default.svc.cluster.local', 7000], ['peer-1.peers.default.svc.cluster.local', 7000],
  ]);
  assert.deepEqual(await resolver.reverse(ip0), ['peer-0.peers.default.svc.cluster.local']);

  // peer-1 turns unready: it leaves the Service's answers and its own name stops resolving.
  notReady.add('peer-1');
  kubelet.poke();
  assert.deepEqual(await until('only peer-0 in DNS', async () => {
    const r = await resolver.resolve4('peers.default.svc.cluster.local');
    return r.length === 1 && r;
  }), [ip0]);
  await assert.rejects(resolver.resolve4('peer-1.peers.default.svc.cluster.local'), { code: 'ENOTFOUND' });
});
