// bench/api: concurrent clients doing create/get/list/update against a real
// Pilot server (sqlite store in a temp dir), with one watcher counting events.
// Prints writes/s, reads/s, p50/p99 latency per operation, watch lag, RSS.
//
//   node --import tsx bench/api.ts [--clients 16] [--objects 2000]
// CI runs it small (CI=true → 4 clients × 100 objects) so it does not rot.

import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, DEFAULTS } from '../src/server/server.ts';

const small = process.env.CI === 'true';
const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const CLIENTS = arg('clients', small ? 4 : 16);
const OBJECTS = arg('objects', small ? 100 : 2000);

interface Sample { op: string; ms: number }

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-bench-'));
  // The API server alone: no controllers' watches and writes in the figures.
  const srv = await startServer({ ...DEFAULTS, dataDir, securePort: 0, bindAddress: '127.0.0.1', logLevel: 'warn', controllers: [] });
  const agent = new https.Agent({ keepAlive: true, maxSockets: CLIENTS + 2, ca: srv.pki.caCertPem, cert: srv.pki.adminCertPem, key: srv.pki.adminKeyPem });
  const base = new URL(srv.url);

  const call = (method: string, p: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> => new Promise((resolve, reject) => {  
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = https.request({ host: base.hostname, port: base.port, path: p, method, agent, headers: { 'Content-Type': contentType, ...(data ? { 'Content-Length': data.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(data);
  });

  // A watcher to measure delivery: counts events and their lag from the write.
  const sentAt = new Map<string, number>();
  const lags: number[] = [];
  let watchEvents = 0;
  const watchReq = https.request({ host: base.hostname, port: base.port, path: '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1', agent: new https.Agent({ ca: srv.pki.caCertPem, cert: srv.pki.adminCertPem, key: srv.pki.adminKeyPem }) }, (res) => {
    let buf = '';
    res.on('data', (c: Buffer) => {
      buf += c.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i); buf = buf.slice(i + 1);
        const ev = JSON.parse(line) as { object: { metadata: { name: string } } };
        watchEvents++;
        const t = sentAt.get(ev.object.metadata.name);
        if (t !== undefined) lags.push(performance.now() - t);
      }
    });
  });
  watchReq.on('error', () => undefined);
  watchReq.end();

  const samples: Sample[] = [];
  const timed = async (op: string, fn: () => Promise<{ status: number }>, ok: number[]): Promise<void> => {
    const t = performance.now();
    const r = await fn();
    samples.push({ op, ms: performance.now() - t });
    if (!ok.includes(r.status)) throw new Error(`${op} → ${r.status}`);
  };

  const started = performance.now();
  const perClient = Math.ceil(OBJECTS / CLIENTS);
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = 0; i < perClient; i++) {
      const name = `cm-${c}-${i}`;
      sentAt.set(name, performance.now());
      await timed('create', () => call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name }, data: { v: '0' } }), [201]);
      await timed('get', () => call('GET', `/api/v1/namespaces/default/configmaps/${name}`), [200]);
      await timed('update', () => call('PATCH', `/api/v1/namespaces/default/configmaps/${name}`, { data: { v: '1' } }, 'application/merge-patch+json'), [200]);
      if (i % 20 === 0) await timed('list', () => call('GET', '/api/v1/namespaces/default/configmaps?limit=100'), [200]);
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 200));

  const by = (op: string): number[] => samples.filter((s) => s.op === op).map((s) => s.ms).sort((a, b) => a - b);
  const pct = (xs: number[], p: number): string => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(xs.length * p))].toFixed(2) : '-');
  const writes = by('create').length + by('update').length;
  const reads = by('get').length + by('list').length;
  console.log(`bench/api: ${CLIENTS} clients, ${perClient * CLIENTS} objects, ${elapsed.toFixed(2)} s`);
  console.log(`  writes/s ${(writes / elapsed).toFixed(0)}   reads/s ${(reads / elapsed).toFixed(0)}`);
  for (const op of ['create', 'get', 'update', 'list']) {
    const xs = by(op);
    console.log(`  ${op.padEnd(7)} n=${String(xs.length).padEnd(6)} p50 ${pct(xs, 0.5)} ms   p99 ${pct(xs, 0.99)} ms`);
  }
  lags.sort((a, b) => a - b);
  console.log(`  watch   events=${watchEvents}  create→event p50 ${pct(lags, 0.5)} ms  p99 ${pct(lags, 0.99)} ms`);
  console.log(`  rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB (server and clients in one process)`);

  watchReq.destroy();
  agent.destroy();
  await srv.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e: unknown) => { console.error(e); process.exit(1); });
