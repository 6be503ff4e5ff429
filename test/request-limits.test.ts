// Requests cannot take the server down: beyond --max-requests-inflight a
// request gets 429 with Retry-After at once (system:masters exempt, so the
// administrator still gets in), oversized bodies get 413, and the server
// keeps answering throughout.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pilot } from './helpers/pilot.ts';
import { closeAgents, credsFromKubeconfig, request, type Creds } from './helpers/kube-http.ts';

let pilot: Pilot;
let creds: Creds;

before(async () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pilot-limits-'));
  const file = path.join(dir, 'tokens.csv');
  fs.writeFileSync(file, 'bob-token,bob,u-bob\n');
  pilot = await new Pilot({
    extraArgs: ['--token-auth-file', file, '--max-requests-inflight', '2', '--max-mutating-requests-inflight', '1', '--disable-controllers', '--disable-agent', '--disable-scheduler'],
  }).start();
  creds = credsFromKubeconfig(pilot.kubeconfig);
  await pilot.k(['create', 'clusterrolebinding', 'bob-edit', '--clusterrole=edit', '--user=bob']);
  // Something to list, so each request takes a moment.
  for (let i = 0; i < 40; i++) await request(creds, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: `cm-${i}` }, data: { v: 'x'.repeat(2000) } } });
});
after(async () => {
  closeAgents();
  await pilot?.dispose();
});

const bob = { token: 'bob-token' };

test('a flood beyond the in-flight limit gets 429 + Retry-After, the admin is still served, and nothing leaks', async () => {
  const flood = Array.from({ length: 200 }, () => request(creds, 'GET', '/api/v1/namespaces/default/configmaps', { auth: bob }));
  // While the flood is in flight, the administrator (system:masters) is not limited.
  const admin = await Promise.all(Array.from({ length: 10 }, () => request(creds, 'GET', '/api/v1/namespaces/default/configmaps?limit=1')));
  const results = await Promise.all(flood);
  const codes = new Map<number, number>();
  for (const r of results) codes.set(r.status, (codes.get(r.status) ?? 0) + 1);
  console.log(`flood of 200 with --max-requests-inflight=2: ${JSON.stringify(Object.fromEntries(codes))}`);
  assert.ok((codes.get(429) ?? 0) > 0, 'some requests must be refused');
  assert.ok((codes.get(200) ?? 0) > 0, 'some requests must be served');
  assert.deepEqual([...codes.keys()].filter((c) => c !== 200 && c !== 429), []);
  const refused = results.find((r) => r.status === 429)!;
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.json.reason, 'TooManyRequests');
  assert.equal(refused.json.message, 'Too many requests, please try again later.');
  assert.ok(admin.every((r) => r.status === 200), `admin: ${admin.map((r) => r.status).join(',')}`);
  // Every slot came back: one at a time, bob is always served.
  for (let i = 0; i < 20; i++) assert.equal((await request(creds, 'GET', '/api/v1/namespaces/default/configmaps?limit=1', { auth: bob })).status, 200);
});

test('mutating requests have their own limit; watches are not counted', async () => {
  const watches = await Promise.all(Array.from({ length: 5 }, async () => {
    const ac = new AbortController();
    const r = await fetchWatch(ac.signal);
    return { r, ac };
  }));
  try {
    assert.ok(watches.every((w) => w.r === 200), 'watches beyond the limit are still served');
    const writes = await Promise.all(Array.from({ length: 40 }, (_, i) =>
      request(creds, 'POST', '/api/v1/namespaces/default/configmaps', { auth: bob, body: { metadata: { name: `w-${i}` } } })));
    const statuses = writes.map((w) => w.status);
    assert.ok(statuses.includes(201) && statuses.every((s) => s === 201 || s === 429), statuses.join(','));
    assert.equal((await request(creds, 'GET', '/api/v1/namespaces/default/configmaps?limit=1', { auth: bob })).status, 200, 'reads are not blocked by writes');
  } finally {
    for (const w of watches) w.ac.abort();
  }
});

/** Starts a watch as bob and resolves with its status once the headers arrive (the stream stays open). */
async function fetchWatch(signal: AbortSignal): Promise<number> {
  const https = await import('node:https');
  const u = new URL('/api/v1/namespaces/default/configmaps?watch=true', creds.server);
  return new Promise((resolve, reject) => {
    const req = https.request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, ca: creds.ca, headers: { Authorization: 'Bearer bob-token' }, signal }, (res) => {
      res.on('error', () => undefined);
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (e) => { if (!signal.aborted) reject(e); });
    req.end();
  });
}

test('an oversized body is refused with 413 and the server stays responsive', async () => {
  const big = await request(creds, 'POST', '/api/v1/namespaces/default/configmaps', { body: { metadata: { name: 'big' }, data: { v: 'x'.repeat(4 * 1024 * 1024) } } });
  assert.equal(big.status, 413);
  assert.equal(big.json.reason, 'RequestEntityTooLarge');
  assert.match(big.json.message, /Request entity too large: limit is 3145728/);
  assert.equal((await request(creds, 'GET', '/readyz')).status, 200);
  assert.equal((await pilot.kubectl(['get', 'configmap', 'big'])).code, 1);
});
