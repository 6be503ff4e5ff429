// No lost update under contention: many clients doing read-modify-write (GET,
// increment a counter in data, PUT with the resourceVersion read, retry on 409
// Conflict — or, for half of them, a JSON patch that tests the resourceVersion
// and value read, retried when the test fails) on the same few ConfigMaps. Every successful update is recorded
// (object, rv and value read, rv and value written) and the history is checked
// by checkNoLostUpdate (helpers/history.ts): per object, the successful writes
// form one chain in which each read exactly what the previous one wrote, and
// the final counter is the number of successful updates.
//
// On sqlite against one server; on etcd against two servers on the one etcd,
// each read and each write going to either server at random (a resourceVersion
// read on one is a valid precondition on the other).

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';
import { closeAgents, credsFromKubeconfig, request, type Creds } from './helpers/kube-http.ts';
import { checkNoLostUpdate, type Update, type Version } from './helpers/history.ts';

const CLIENTS = 8;
const OBJECTS = 3;
/** Successful increments each client makes. */
const INCREMENTS = 25;
/** Bounds on the whole run, so a bug shows as a failure, not a hang. */
const MAX_ATTEMPTS = 100_000;
const DEADLINE_MS = 90_000;
const NS = 'rmw';
const CM = `/api/v1/namespaces/${NS}/configmaps`;

const cmBody = (name: string, value: number, rv?: string): unknown => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: NS, ...(rv !== undefined ? { resourceVersion: rv } : {}) },
  data: { n: String(value) },
});

interface Outcome { updates: Update[]; conflicts: number; crossServer: number }

/** Each client makes INCREMENTS successful increments on objects picked at random, going to any of `servers`. */
async function contend(servers: Creds[]): Promise<Outcome> {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)]!;
  const objects = Array.from({ length: OBJECTS }, (_, i) => `counter-${i}`);
  const updates: Update[] = [];
  let conflicts = 0, attempts = 0, crossServer = 0;
  const deadline = Date.now() + DEADLINE_MS;
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    const client = `client-${c}`;
    for (let done = 0; done < INCREMENTS;) {
      assert.ok(++attempts <= MAX_ATTEMPTS && Date.now() < deadline, `gave up after ${attempts} attempts (${updates.length} updates, ${conflicts} conflicts)`);
      const object = pick(objects);
      const reader = pick(servers), writer = pick(servers);
      const cur = await request(reader, 'GET', `${CM}/${object}`);
      assert.equal(cur.status, 200, cur.text);
      const readRv = cur.json.metadata.resourceVersion as string;
      const readValue = Number(cur.json.data.n);
      // Even clients PUT with the resourceVersion read; odd ones send a JSON patch
      // whose `test` operations make the server check what it reads itself (its
      // own retry loop then must not turn a lost race into a lost update).
      const put = c % 2 === 0
        ? await request(writer, 'PUT', `${CM}/${object}`, { body: cmBody(object, readValue + 1, readRv) })
        : await request(writer, 'PATCH', `${CM}/${object}`, {
          headers: { 'Content-Type': 'application/json-patch+json' },
          body: [
            { op: 'test', path: '/metadata/resourceVersion', value: readRv },
            { op: 'test', path: '/data/n', value: String(readValue) },
            { op: 'replace', path: '/data/n', value: String(readValue + 1) },
          ],
        });
      if (put.status === 409 || put.status === 422) {
        assert.equal(put.json.reason, put.status === 409 ? 'Conflict' : 'Invalid', put.text);
        conflicts++;
        continue;
      }
      assert.equal(put.status, 200, put.text);
      if (reader !== writer) crossServer++;
      updates.push({ client, object, readRv: Number(readRv), readValue, writtenRv: Number(put.json.metadata.resourceVersion), writtenValue: Number(put.json.data.n) });
      done++;
    }
  }));
  return { updates, conflicts, crossServer };
}

async function setUp(servers: Creds[]): Promise<Map<string, Version>> {
  const ns = await request(servers[0]!, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
  assert.equal(ns.status, 201, ns.text);
  const initial = new Map<string, Version>();
  for (let i = 0; i < OBJECTS; i++) {
    const r = await request(servers[i % servers.length]!, 'POST', CM, { body: cmBody(`counter-${i}`, 0) });
    assert.equal(r.status, 201, r.text);
    initial.set(`counter-${i}`, { rv: Number(r.json.metadata.resourceVersion), value: 0 });
  }
  return initial;
}

async function finalState(servers: Creds[]): Promise<Map<string, Version>> {
  const finals = new Map<string, Version>();
  for (let i = 0; i < OBJECTS; i++) {
    const name = `counter-${i}`;
    // Every server reads the same final state.
    const reads = await Promise.all(servers.map((s) => request(s, 'GET', `${CM}/${name}`)));
    for (const r of reads) assert.equal(r.status, 200, r.text);
    const versions = reads.map((r) => ({ rv: Number(r.json.metadata.resourceVersion), value: Number(r.json.data.n) }));
    for (const v of versions) assert.deepEqual(v, versions[0], `${name} reads the same on every server`);
    finals.set(name, versions[0]!);
  }
  return finals;
}

function check(t: TestContext, label: string, initial: Map<string, Version>, out: Outcome, finals: Map<string, Version>): void {
  assert.equal(out.updates.length, CLIENTS * INCREMENTS);
  assert.deepEqual(checkNoLostUpdate(initial, out.updates, finals), []);
  assert.ok(out.conflicts > 0, 'the clients did race');
  const total = [...finals.values()].reduce((s, v) => s + v.value, 0);
  assert.equal(total, CLIENTS * INCREMENTS);
  t.diagnostic(`${label}: ${CLIENTS} clients, ${out.updates.length} successful updates on ${OBJECTS} objects, ${out.conflicts} conflicts (409, or a failed patch test) retried` +
    `${out.crossServer ? `, ${out.crossServer} read on one server and written on the other` : ''}; no lost update`);
}

describe('read-modify-write history on sqlite (one server)', () => {
  const pilot = new Pilot();
  before(async () => { await pilot.start(); });
  after(async () => {
    closeAgents();
    await pilot.dispose();
  });

  test(`${CLIENTS} clients × ${INCREMENTS} increments on ${OBJECTS} objects: no lost update`, async (t) => {
    const servers = [credsFromKubeconfig(pilot.kubeconfig)];
    const initial = await setUp(servers);
    const out = await contend(servers);
    check(t, 'sqlite', initial, out, await finalState(servers));
  });
});

describe('read-modify-write history on etcd (two servers)', () => {
  let etcd: EtcdServer;
  let a: Pilot, b: Pilot;
  before(async () => {
    etcd = await EtcdServer.start();
    a = await new Pilot({ datastore: etcd.url }).start();
    b = await new Pilot({ datastore: etcd.url }).start();
  });
  after(async () => {
    closeAgents();
    await a?.dispose();
    await b?.dispose();
    await etcd?.dispose();
  });

  test(`${CLIENTS} clients × ${INCREMENTS} increments on ${OBJECTS} objects across two servers: no lost update`, async (t) => {
    // Each server has its own CA unless started with a cluster token: use each one's own kubeconfig.
    const servers = [credsFromKubeconfig(a.kubeconfig), credsFromKubeconfig(b.kubeconfig)];
    const initial = await setUp(servers);
    const out = await contend(servers);
    assert.ok(out.crossServer > 0);
    check(t, 'etcd', initial, out, await finalState(servers));
  });
});
