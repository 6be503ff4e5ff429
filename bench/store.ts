// bench/store: the datastores side by side through the API, and the watch
// cache's fan-out. Each figure comes from a real `pilot server` process (one on
// sqlite in a temp dir, one on a real etcd started for the run), driven over
// HTTPS with the admin client certificate:
//
//   1. The same write workload on both: one client writing sequentially, then
//      --clients concurrent clients (each creating ConfigMaps and updating them
//      with PUT + resourceVersion): writes/s and p50/p99 per write; and, for a
//      watcher of the namespace, the delivery latency from sending a write to
//      holding its event.
//   2. Fan-out: --watchers raw watch streams on one server (each its own TLS
//      connection on one keep-alive agent) while --burst writes go out as fast as
//      the clients can: the latency from sending each write to each watcher
//      holding its event (p50/p99 over every watcher × event), the time until
//      the last watcher had the last event, and the server's RSS (its
//      process_resident_memory_bytes) before and after the watchers opened.
//
//   node --import tsx bench/store.ts [--clients 16] [--writes 200] [--watchers 1000] [--burst 500]
// CI runs it small (CI=true → 4 clients × 25 writes, 50 watchers, a burst of 50).
// Prints figures only; nothing is asserted on them.

import type { Agent } from 'node:https';
import * as os from 'node:os';
import { Pilot } from '../test/helpers/pilot.ts';
import { EtcdServer } from '../test/helpers/etcd.ts';
import { closeAgents, credsFromKubeconfig, request, type Creds } from '../test/helpers/kube-http.ts';
import { openWatch, watchAgent, type StreamWatch } from '../test/helpers/watch-stream.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CLIENTS = arg('clients', small ? 4 : 16);
/** Writes per client in the concurrent run (half creates, half updates); the sequential run makes as many in all. */
const WRITES = arg('writes', small ? 25 : 200);
const WATCHERS = arg('watchers', small ? 50 : 1000);
const BURST_CLIENTS = Math.min(CLIENTS, arg('burst', small ? 50 : 500));
/** The burst: BURST_CLIENTS clients × this many writes each. */
const BURST_EACH = Math.ceil(arg('burst', small ? 50 : 500) / BURST_CLIENTS);

type Driver = 'sqlite' | 'etcd';
const NS = 'bench';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
const pct = (xs: number[], p: number): number => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]! : NaN);
const ms = (x: number): string => (Number.isNaN(x) ? '-' : `${x.toFixed(x < 10 ? 2 : 1)} ms`);

interface Figures {
  seqRate: number; seqP50: number; seqP99: number;
  concRate: number; concP50: number; concP99: number;
  watchP50: number; watchP99: number;
  fanWatchers: number; fanOpenS: number; fanP50: number; fanP99: number; fanLastMs: number; fanMissing: number;
  /** CPU seconds the server and this process (the watchers' client side) spent from the burst to the last event. */
  fanServerCpu: number; fanClientCpu: number;
  rssIdleMiB: number; rssWatchersMiB: number; rssAfterMiB: number;
}

/** A metric of the server process (prom-client's default process metrics). */
async function metric(creds: Creds, name: string): Promise<number> {
  const r = await request(creds, 'GET', '/metrics', { headers: { Accept: 'text/plain' } });
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
  return m ? Number(m[1]) : NaN;
}
const rssMiB = async (creds: Creds): Promise<number> => (await metric(creds, 'process_resident_memory_bytes')) / 1048576;
const cpuSeconds = (creds: Creds): Promise<number> => metric(creds, 'process_cpu_seconds_total');
const ownCpuSeconds = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };

/** Sends writes of `${name}=${value}` and notes when each went out, for the watchers' latencies. */
class Writes {
  readonly sentAt = new Map<string, number>();
  readonly latencies: number[] = [];

  constructor(private readonly creds: Creds) {}

  async create(name: string): Promise<string> {
    this.sentAt.set(`${name}=0`, performance.now());
    const t = performance.now();
    const r = await request(this.creds, 'POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '0' } } });
    this.latencies.push(performance.now() - t);
    if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.text}`);
    return r.json.metadata.resourceVersion as string;
  }

  async update(name: string, rv: string, value: number): Promise<string> {
    this.sentAt.set(`${name}=${value}`, performance.now());
    const t = performance.now();
    const r = await request(this.creds, 'PUT', `${CM}/${name}`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, resourceVersion: rv }, data: { v: String(value) } } });
    this.latencies.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`update ${name}: ${r.status} ${r.text}`);
    return r.json.metadata.resourceVersion as string;
  }
}

/** `clients` clients, each making `writes` writes: a create, then updates of it, alternately new objects. */
async function workload(w: Writes, prefix: string, clients: number, writes: number): Promise<number> {
  const t = performance.now();
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    let name = '', rv = '', value = 0;
    for (let i = 0; i < writes; i++) {
      if (i % 2 === 0) { name = `${prefix}-${c}-${i}`; value = 0; rv = await w.create(name); }
      else rv = await w.update(name, rv, ++value);
    }
  }));
  return (clients * writes) / ((performance.now() - t) / 1000);
}

/** The namespace's current resourceVersion (watches start there). */
async function currentRv(creds: Creds): Promise<string> {
  const r = await request(creds, 'GET', `${CM}?limit=1`);
  return r.json.metadata.resourceVersion as string;
}

async function bench(driver: Driver): Promise<Figures> {
  const etcd = driver === 'etcd' ? await EtcdServer.start() : undefined;
  const pilot = new Pilot(etcd ? { datastore: etcd.url } : {});
  const streams: StreamWatch[] = [];
  let shared: Agent | undefined;
  try {
    await pilot.start();
    const creds = credsFromKubeconfig(pilot.kubeconfig);
    const ns = await request(creds, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
    if (ns.status !== 201) throw new Error(`namespace: ${ns.status} ${ns.text}`);
    await sleep(300); // the server's own writes in a new namespace (kube-root-ca.crt)
    const f = {} as Figures;

    // 1. Writes, with one watcher timing delivery.
    const w = new Writes(creds);
    const delivery: number[] = [];
    const watch = await openWatch(creds, `${CM}?watch=1&resourceVersion=${await currentRv(creds)}`, (ev) => {
      const sent = w.sentAt.get(`${ev.object.metadata.name}=${ev.object.data?.v}`);
      if (sent !== undefined) delivery.push(performance.now() - sent);
    });
    streams.push(watch);
    await workload(w, 'warm', 2, 20); // JIT and connections
    w.latencies.length = 0; delivery.length = 0;
    f.seqRate = await workload(w, 'seq', 1, CLIENTS * WRITES);
    let lat = sorted(w.latencies);
    [f.seqP50, f.seqP99] = [pct(lat, 0.5), pct(lat, 0.99)];
    w.latencies.length = 0;
    f.concRate = await workload(w, 'conc', CLIENTS, WRITES);
    lat = sorted(w.latencies);
    [f.concP50, f.concP99] = [pct(lat, 0.5), pct(lat, 0.99)];
    await sleep(200);
    const d = sorted(delivery);
    [f.watchP50, f.watchP99] = [pct(d, 0.5), pct(d, 0.99)];
    watch.close();

    // 2. Fan-out.
    f.rssIdleMiB = await rssMiB(creds);
    shared = watchAgent(creds, { maxSockets: Infinity });
    const from = await currentRv(creds);
    const fan = new Writes(creds);
    const latencies: number[] = [];
    let received = 0;
    let lastAt = 0;
    const t0 = performance.now();
    for (let i = 0; i < WATCHERS; i += 50) {
      streams.push(...await Promise.all(Array.from({ length: Math.min(50, WATCHERS - i) }, () => openWatch(creds, `${CM}?watch=1&resourceVersion=${from}`, (ev) => {
        const sent = fan.sentAt.get(`${ev.object.metadata.name}=${ev.object.data?.v}`);
        if (sent === undefined) return;
        const now = performance.now();
        latencies.push(now - sent);
        received++;
        lastAt = now;
      }, shared))));
    }
    f.fanWatchers = streams.length - 1;
    f.fanOpenS = (performance.now() - t0) / 1000;
    await sleep(500);
    f.rssWatchersMiB = await rssMiB(creds);
    const cpu0 = [await cpuSeconds(creds), ownCpuSeconds()];
    const burstStart = performance.now();
    await workload(fan, 'burst', BURST_CLIENTS, BURST_EACH);
    const writes = fan.sentAt.size;
    const want = writes * f.fanWatchers;
    const deadline = performance.now() + 60_000;
    while (received < want && performance.now() < deadline) await sleep(20);
    f.fanMissing = want - received;
    f.fanServerCpu = (await cpuSeconds(creds)) - cpu0[0]!;
    f.fanClientCpu = ownCpuSeconds() - cpu0[1]!;
    f.fanLastMs = lastAt - burstStart;
    const l = sorted(latencies);
    [f.fanP50, f.fanP99] = [pct(l, 0.5), pct(l, 0.99)];
    f.rssAfterMiB = await rssMiB(creds);
    return f;
  } finally {
    for (const s of streams) s.close();
    shared?.destroy();
    closeAgents();
    await pilot.dispose();
    await etcd?.dispose();
  }
}

async function main(): Promise<void> {
  console.log(`bench/store: through the API of a pilot server process, sqlite vs etcd (${os.cpus().length} CPUs)`);
  const results = { sqlite: await bench('sqlite'), etcd: await bench('etcd') };
  const row = (label: string, get: (f: Figures) => string): void => {
    console.log(`  ${label.padEnd(44)} ${get(results.sqlite).padStart(22)} ${get(results.etcd).padStart(22)}`);
  };
  const both = (a: number, b: number): string => `${ms(a)} / ${ms(b)}`;
  console.log(`  ${''.padEnd(44)} ${'sqlite'.padStart(22)} ${'etcd'.padStart(22)}`);
  row(`1 client, ${CLIENTS * WRITES} writes: writes/s`, (f) => f.seqRate.toFixed(0));
  row('  p50 / p99', (f) => both(f.seqP50, f.seqP99));
  row(`${CLIENTS} clients × ${WRITES} writes: writes/s`, (f) => f.concRate.toFixed(0));
  row('  p50 / p99', (f) => both(f.concP50, f.concP99));
  row('watch delivery, send→event p50 / p99', (f) => both(f.watchP50, f.watchP99));
  row(`fan-out: watchers (opened in s)`, (f) => `${f.fanWatchers} (${f.fanOpenS.toFixed(1)} s)`);
  row(`  burst of ${BURST_CLIENTS * BURST_EACH} writes, send→event p50 / p99`, (f) => both(f.fanP50, f.fanP99));
  row('  last watcher had the last event after', (f) => ms(f.fanLastMs));
  row('  CPU s: server / watchers\' client', (f) => `${f.fanServerCpu.toFixed(1)} / ${f.fanClientCpu.toFixed(1)}`);
  row('  events not delivered (of writes × watchers)', (f) => String(f.fanMissing));
  row('  server RSS idle → watchers → after', (f) => `${f.rssIdleMiB.toFixed(0)}→${f.rssWatchersMiB.toFixed(0)}→${f.rssAfterMiB.toFixed(0)} MiB`);
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
