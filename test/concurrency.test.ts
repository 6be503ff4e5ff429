// Writers racing on one object: optimistic concurrency on resourceVersion
// (one winner, one 409 Conflict with upstream's message), server-side retries
// for writes that do not pin a version (no lost updates), and kubectl replace
// with a stale object.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { closeAgents, cmYaml, credsFromKubeconfig, request, type Creds } from './helpers/kube-http.ts';

const CM = '/api/v1/namespaces/default/configmaps';
const MERGE = { 'Content-Type': 'application/merge-patch+json' };
const conflictMessage = (name: string): string =>
  `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`;

describe('concurrency', () => {
  const pilot = new Pilot({ datastore: 'memory://' });
  let creds: Creds;

  before(async () => {
    await pilot.start();
    creds = credsFromKubeconfig(pilot.kubeconfig);
  });
  after(async () => {
    closeAgents();
    await pilot.dispose();
  });

  test('two PUTs from the same resourceVersion: exactly one 200 and one 409 Conflict', async () => {
    const c = await request(creds, 'POST', CM, { body: JSON.parse(cmYaml('x', { v: '0' })) });
    assert.equal(c.status, 201, c.text);
    const [a, b] = await Promise.all([request(creds, 'GET', `${CM}/x`), request(creds, 'GET', `${CM}/x`)]);
    assert.equal(a.json.metadata.resourceVersion, b.json.metadata.resourceVersion);
    a.json.data.v = 'a';
    b.json.data.v = 'b';
    const results = await Promise.all([request(creds, 'PUT', `${CM}/x`, { body: a.json }), request(creds, 'PUT', `${CM}/x`, { body: b.json })]);
    const codes = results.map((r) => r.status).sort();
    assert.deepEqual(codes, [200, 409], results.map((r) => r.text).join('\n'));
    const winner = results.find((r) => r.status === 200)!;
    const loser = results.find((r) => r.status === 409)!;
    assert.deepEqual(loser.json, {
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure',
      message: conflictMessage('x'), reason: 'Conflict', details: { name: 'x', kind: 'configmaps' }, code: 409,
    });
    // The stored object is the winner's.
    const now = await request(creds, 'GET', `${CM}/x`);
    assert.equal(now.json.data.v, winner.json.data.v);
    assert.equal(now.json.metadata.resourceVersion, winner.json.metadata.resourceVersion);
    assert.ok(Number(winner.json.metadata.resourceVersion) > Number(a.json.metadata.resourceVersion));

    // A retry from the stale version still fails; from the new one it succeeds.
    const stale = await request(creds, 'PUT', `${CM}/x`, { body: a.json });
    assert.equal(stale.status, 409);
    const fresh = await request(creds, 'PUT', `${CM}/x`, { body: { ...now.json, data: { v: 'c' } } });
    assert.equal(fresh.status, 200, fresh.text);
  });

  test('a patch or delete naming a stale resourceVersion is a Conflict', async () => {
    const cur = await request(creds, 'GET', `${CM}/x`);
    const old = String(Number(cur.json.metadata.resourceVersion) - 1);
    const p = await request(creds, 'PATCH', `${CM}/x`, { body: { metadata: { resourceVersion: old }, data: { v: 'p' } }, headers: MERGE });
    assert.equal(p.status, 409, p.text);
    assert.equal(p.json.reason, 'Conflict');
    assert.equal(p.json.message, conflictMessage('x'));
    const d = await request(creds, 'DELETE', `${CM}/x`, { body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: old } } });
    assert.equal(d.status, 409, d.text);
    assert.equal(d.json.reason, 'Conflict');
    assert.match(d.json.message, /^Operation cannot be fulfilled on configmaps "x": Precondition failed: ResourceVersion in precondition: \d+, ResourceVersion in object meta: \d+$/);
    assert.equal((await request(creds, 'GET', `${CM}/x`)).status, 200, 'still there');
  });

  test('many concurrent merge patches of different keys all land (no lost update)', async () => {
    const c = await request(creds, 'POST', CM, { body: JSON.parse(cmYaml('many', {})) });
    assert.equal(c.status, 201, c.text);
    const N = 60;
    const rs = await Promise.all(Array.from({ length: N }, (_, i) =>
      request(creds, 'PATCH', `${CM}/many`, { body: { data: { [`k${i}`]: String(i) } }, headers: MERGE })));
    assert.deepEqual(rs.filter((r) => r.status !== 200).map((r) => r.text), []);
    const rvs = new Set(rs.map((r) => r.json.metadata.resourceVersion));
    assert.equal(rvs.size, N, 'every patch was its own write');
    const final = await request(creds, 'GET', `${CM}/many`);
    assert.equal(Object.keys(final.json.data).length, N);
    for (let i = 0; i < N; i++) assert.equal(final.json.data[`k${i}`], String(i));
  });

  test('read-modify-write with retry on Conflict counts every increment', async () => {
    const c = await request(creds, 'POST', CM, { body: JSON.parse(cmYaml('counter', { n: '0' })) });
    assert.equal(c.status, 201, c.text);
    let conflicts = 0;
    const increment = async (): Promise<void> => {
      for (;;) {
        const cur = await request(creds, 'GET', `${CM}/counter`);
        const next = { ...cur.json, data: { n: String(Number(cur.json.data.n) + 1) } };
        const r = await request(creds, 'PUT', `${CM}/counter`, { body: next });
        if (r.status === 200) return;
        assert.equal(r.status, 409, r.text);
        conflicts++;
      }
    };
    await Promise.all(Array.from({ length: 25 }, increment));
    const final = await request(creds, 'GET', `${CM}/counter`);
    assert.equal(final.json.data.n, '25');
    assert.ok(conflicts > 0, 'the writers did race');
  });

  test('concurrent creates of one name: one 201, the rest 409 AlreadyExists', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, (_, i) => request(creds, 'POST', CM, { body: JSON.parse(cmYaml('once', { by: String(i) })) })));
    const codes = rs.map((r) => r.status);
    assert.equal(codes.filter((c) => c === 201).length, 1, codes.join(','));
    assert.equal(codes.filter((c) => c === 409).length, 9, codes.join(','));
    const dup = rs.find((r) => r.status === 409)!;
    assert.equal(dup.json.reason, 'AlreadyExists');
    assert.equal(dup.json.message, 'configmaps "once" already exists');
  });

  test('kubectl replace with a stale resourceVersion: Conflict', async () => {
    await pilot.k(['create', '-f', '-'], { input: cmYaml('rep', { v: '1' }) });
    const stale = await pilot.k(['get', 'cm', 'rep', '-o', 'yaml']);
    assert.match(stale, /resourceVersion: "\d+"/);
    await pilot.k(['patch', 'cm', 'rep', '--type=merge', '-p', '{"data":{"v":"2"}}']);
    const r = await pilot.kubectl(['replace', '-f', '-'], { input: stale.replace('v: "1"', 'v: "3"') });
    assert.notEqual(r.code, 0);
    assert.equal(r.stderr.trim(), `Error from server (Conflict): error when replacing "STDIN": ${conflictMessage('rep')}`);
    assert.equal((await pilot.json(['get', 'cm', 'rep'])).data.v, '2');
    // Without a resourceVersion, replace overwrites.
    const ok = await pilot.kubectl(['replace', '-f', '-'], { input: cmYaml('rep', { v: '3' }) });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal((await pilot.json(['get', 'cm', 'rep'])).data.v, '3');
  });
});
