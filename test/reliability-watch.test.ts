// Watches across servers: 50 watchers spread over two servers on one etcd while
// clients make 10,000 writes (creates and updates of ConfigMaps in one
// namespace) through both servers. Every watcher must see every acknowledged
// write after its start exactly once, in revision order, with the type, object
// and value written (checkWatchEvents, helpers/history.ts). The watchers are
// raw HTTPS streams with each server's admin client certificate, of three kinds:
//   - 30 open before the writes, from the namespace's resourceVersion (served
//     by each server's watch cache);
//   - 10 join while the writes go on, half from that first resourceVersion (by
//     then older than the cache keeps: served from the store), half from a
//     recent one (replayed from the cache's ring, then live);
//   - 10 join while the writes go on without a resourceVersion, with
//     sendInitialEvents: their initial ADDED events must be exactly the state at
//     the revision of the bookmark that ends them, and what follows exactly the
//     writes after it.
// A stream the server ends is reopened from the last resourceVersion seen, as
// client-go does (none is expected to end; the count is printed).
//
// Under CI=true: 20 watchers (12 + 4 + 4) × 2,000 writes; the test name says so.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';
import { closeAgents, credsFromKubeconfig, request, type Creds } from './helpers/kube-http.ts';
import { openWatch, type StreamWatch } from './helpers/watch-stream.ts';
import { checkWatchEvents, type SeenEvent } from './helpers/history.ts';

const CI = process.env.CI === 'true';
const FROM_START = CI ? 12 : 30;
const LATE_REPLAY = CI ? 4 : 10;
const LATE_INITIAL = CI ? 4 : 10;
const WATCHERS = FROM_START + LATE_REPLAY + LATE_INITIAL;
const WRITES = CI ? 2_000 : 10_000;
const WRITERS = 16;
const NS = 'rel-watch';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
/** The writers' objects (the namespace also holds the server's kube-root-ca.crt). */
const OURS = /^obj-/;
/** How long the watchers may take to catch up once the writes are done. */
const CATCH_UP_MS = 120_000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Kind = 'from the start' | 'late, replaying' | 'late, initial events';

interface Watcher {
  kind: Kind;
  server: number;
  /** The resourceVersion it watches from (for initial events: the bookmark's, once seen). */
  from: number;
  /** Initial ADDED events (sendInitialEvents), before the bookmark. */
  initial: SeenEvent[];
  initialDone: boolean;
  events: SeenEvent[];
  /** Streams reopened (from the last resourceVersion seen) because the server ended one. */
  reopened: number;
  errors: string[];
  stream?: StreamWatch;
  stopped: boolean;
}

async function startWatcher(creds: Creds, server: number, kind: Kind, from?: number): Promise<Watcher> {
  const w: Watcher = { kind, server, from: from ?? 0, initial: [], initialDone: kind !== 'late, initial events', events: [], reopened: 0, errors: [], stopped: false };
  let last = from;
  const open = async (): Promise<void> => {
    const query = last === undefined
      ? 'watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true'
      : `watch=1&resourceVersion=${last}`;
    const stream = await openWatch(creds, `${CM}?${query}`, (ev) => {
      if (ev.type === 'ERROR') { w.errors.push(JSON.stringify(ev.object)); return; }
      const rv = Number(ev.object.metadata.resourceVersion);
      if (ev.type === 'BOOKMARK') {
        if (ev.object.metadata.annotations?.['k8s.io/initial-events-end'] === 'true') {
          if (w.initialDone) w.errors.push(`a second initial-events-end bookmark at rv ${rv}`);
          w.initialDone = true;
          w.from = last = rv;
        }
        return;
      }
      const name = ev.object.metadata.name as string;
      if (!w.initialDone) {
        if (ev.type !== 'ADDED') w.errors.push(`initial event ${ev.type} ${name}`);
        if (OURS.test(name)) w.initial.push({ type: ev.type, object: name, rv, value: ev.object.data?.v as string });
        return;
      }
      last = rv;
      if (OURS.test(name)) w.events.push({ type: ev.type, object: name, rv, value: ev.object.data?.v as string });
    });
    assert.equal(stream.status, 200);
    w.stream = stream;
    void stream.ended.then(async (how) => {
      if (w.stopped || how === 'closed') return;
      if (last === undefined) { w.errors.push(`stream ended (${how}) during the initial events`); return; }
      if (w.reopened >= 20) { w.errors.push(`stream ended (${how}) too often`); return; }
      w.reopened++;
      await open().catch((e: unknown) => { w.errors.push(`reopen failed: ${String(e)}`); });
    });
  };
  await open();
  return w;
}

/** What is wrong with what `w` saw, given every write made (all acknowledged). */
function problems(w: Watcher, expected: readonly SeenEvent[]): string[] {
  const out = w.errors.map((e) => `error: ${e}`);
  if (!w.initialDone) return [...out, 'no initial-events-end bookmark'];
  if (w.kind === 'late, initial events') {
    // The state at the bookmark's revision: each object's last write at or before it.
    const state = new Map<string, SeenEvent>();
    for (const e of expected) {
      const s = state.get(e.object);
      if (e.rv <= w.from && (!s || e.rv > s.rv)) state.set(e.object, e);
    }
    const seen = new Map<string, SeenEvent>();
    for (const e of w.initial) {
      if (seen.has(e.object)) out.push(`initial events: ${e.object} twice`);
      seen.set(e.object, e);
    }
    for (const [name, s] of state) {
      const e = seen.get(name);
      if (!e) out.push(`initial events: ${name} missing (${s.value} at rv ${s.rv} <= ${w.from})`);
      else if (e.rv !== s.rv || e.value !== s.value) out.push(`initial events: ${name}=${e.value} at rv ${e.rv}, but at rv ${w.from} it was ${s.value} (rv ${s.rv})`);
    }
    for (const name of seen.keys()) if (!state.has(name)) out.push(`initial events: ${name} did not exist at rv ${w.from}`);
  }
  return [...out, ...checkWatchEvents(expected.filter((e) => e.rv > w.from), w.events, { limit: 5 })];
}

describe('watch across two servers on one etcd', () => {
  let etcd: EtcdServer;
  let a: Pilot, b: Pilot;
  let servers: Creds[];

  before(async () => {
    etcd = await EtcdServer.start();
    a = await new Pilot({ datastore: etcd.url }).start();
    b = await new Pilot({ datastore: etcd.url }).start();
    // Each server has its own CA unless started with a cluster token: use each one's own kubeconfig.
    servers = [credsFromKubeconfig(a.kubeconfig), credsFromKubeconfig(b.kubeconfig)];
    const ns = await request(servers[0]!, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
    assert.equal(ns.status, 201, ns.text);
  });
  after(async () => {
    closeAgents();
    await a?.dispose();
    await b?.dispose();
    await etcd?.dispose();
  });

  test(`${WATCHERS} watchers on two servers during ${WRITES} writes${CI ? ' (CI=true; 50 × 10,000 otherwise)' : ''}: every event exactly once, in order`, async (t) => {
    const list = await request(servers[0]!, 'GET', CM);
    assert.equal(list.status, 200, list.text);
    const fromRv = Number(list.json.metadata.resourceVersion);

    const watchers = await Promise.all(Array.from({ length: FROM_START }, (_, i) => startWatcher(servers[i % 2]!, i % 2, 'from the start', fromRv)));

    // Late watchers join at evenly spaced points of the writes, the two kinds alternating.
    const expected: SeenEvent[] = [];
    const order: (() => Promise<void>)[] = [];
    for (let i = 0; i < Math.max(LATE_REPLAY, LATE_INITIAL); i++) {
      if (i < LATE_REPLAY) {
        order.push(async () => {
          const recent = expected[Math.max(0, expected.length - 300)]?.rv ?? fromRv;
          watchers.push(await startWatcher(servers[i % 2]!, i % 2, 'late, replaying', i % 2 === 0 ? fromRv : recent));
        });
      }
      if (i < LATE_INITIAL) order.push(async () => { watchers.push(await startWatcher(servers[(i + 1) % 2]!, (i + 1) % 2, 'late, initial events')); });
    }
    const joinAt = (k: number): number => Math.floor(((k + 1) * WRITES) / (order.length + 1));
    let joined = 0;
    const joining: Promise<void>[] = [];

    // The writes: each writer creates objects of its own and updates them (PUT with
    // the rv of its last write), through either server.
    const started = Date.now();
    let next = 0;
    const writeErrors: string[] = [];
    await Promise.all(Array.from({ length: WRITERS }, async (_, wr) => {
      const mine: { name: string; rv: string; value: number }[] = [];
      for (let i = 0; next < WRITES && writeErrors.length === 0; i++) {
        next++;
        while (joined < order.length && expected.length >= joinAt(joined)) joining.push(order[joined++]!());
        const creds = servers[(wr + i) % 2]!;
        if (mine.length === 0 || i % 4 === 0) {
          const name = `obj-${wr}-${mine.length}`;
          const r = await request(creds, 'POST', CM, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { v: '0' } } });
          if (r.status !== 201) { writeErrors.push(`create ${name}: ${r.status} ${r.text}`); return; }
          mine.push({ name, rv: r.json.metadata.resourceVersion as string, value: 0 });
          expected.push({ type: 'ADDED', object: name, rv: Number(r.json.metadata.resourceVersion), value: '0' });
        } else {
          const o = mine[i % mine.length]!;
          const value = o.value + 1;
          const r = await request(creds, 'PUT', `${CM}/${o.name}`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: o.name, resourceVersion: o.rv }, data: { v: String(value) } } });
          if (r.status !== 200) { writeErrors.push(`update ${o.name}: ${r.status} ${r.text}`); return; }
          o.rv = r.json.metadata.resourceVersion as string;
          o.value = value;
          expected.push({ type: 'MODIFIED', object: o.name, rv: Number(o.rv), value: String(value) });
        }
      }
    }));
    await Promise.all(joining);
    const wrote = Date.now();
    assert.deepEqual(writeErrors, []);
    assert.equal(expected.length, WRITES);
    assert.equal(watchers.length, WATCHERS);

    // Wait for every watcher to have every event after its start (or give up and report).
    const targets = watchers.map((w) => (w.initialDone ? expected.filter((e) => e.rv > w.from).length : Infinity));
    const deadline = Date.now() + CATCH_UP_MS;
    while (watchers.some((w, i) => w.events.length < targets[i]! && w.errors.length === 0) && Date.now() < deadline) await sleep(50);
    const caughtUp = Date.now();
    // A moment more, so that a duplicate or stray event after the last one would be seen too.
    await sleep(300);
    for (const w of watchers) { w.stopped = true; w.stream?.close(); }

    const failures: string[] = [];
    for (const [i, w] of watchers.entries()) {
      const p = problems(w, expected);
      if (p.length) failures.push(`watcher ${i} (${w.kind}, server ${w.server === 0 ? 'A' : 'B'}, from rv ${w.from}, ${w.events.length} events, reopened ${w.reopened}×):\n  ${p.join('\n  ')}`);
    }
    assert.deepEqual(failures, [], failures.slice(0, 5).join('\n'));
    const reopened = watchers.reduce((s, w) => s + w.reopened, 0);
    const events = watchers.reduce((s, w) => s + w.initial.length + w.events.length, 0);
    t.diagnostic(`${WRITES} writes in ${((wrote - started) / 1000).toFixed(1)} s (${(WRITES / ((wrote - started) / 1000)).toFixed(0)}/s) through 2 servers; ` +
      `${WATCHERS} watchers (${FROM_START} from the start, ${LATE_REPLAY} late replaying, ${LATE_INITIAL} late with initial events) ` +
      `saw ${events} events, each once and in order, all within ${((caughtUp - wrote) / 1000).toFixed(1)} s of the last write; ${reopened} streams reopened`);
  });
});
