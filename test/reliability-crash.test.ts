// Crash safety, on sqlite and on etcd: a loop of kill -9 of the server while
// several clients write (creates and compare-and-swap updates of ConfigMaps).
// Every acknowledged write is recorded with its resourceVersion and value;
// after each restart every one of them is present (the value at least as new
// as acknowledged: a write whose answer the crash swallowed may or may not have
// landed), nothing that was never written shows up, and the store is
// consistent: the list equals the individual gets and a paged list, rvs are
// unique, and the revision never goes back (new writes come after everything
// seen before the crash). A watch resumed after each restart from the last
// resourceVersion it saw replays to exactly the stored state, and over all the
// crashes it saw every acknowledged write once, in order. Compaction runs every
// 100 ms meanwhile. On etcd, every fourth cycle kills etcd with -9 too.
//
// Then etcd alone is killed (-9) and restarted under two running servers while
// clients write through both: the servers ride it out (a write caught by the
// crash fails with 500 and may or may not have landed), the same checks hold on
// both servers, and a watch on each sees every write once, in order (a stream
// the server ended would be reopened from its last resourceVersion, as a client
// does; the count is printed, and none is expected).
//
// 20 cycles each (6 for etcd alone); 8 (3) under CI=true: the test names say which.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';
import { closeAgents, credsFromKubeconfig, request, watch, type Creds } from './helpers/kube-http.ts';
import { openWatch, type StreamWatch } from './helpers/watch-stream.ts';
import { checkDurable, checkWatchEvents, type AckedWrite, type SeenEvent, type Version } from './helpers/history.ts';

const CI = process.env.CI === 'true';
const CYCLES = CI ? 8 : 20;
const WRITERS = 8;
const NS = 'crash';
const CM = `/api/v1/namespaces/${NS}/configmaps`;
/** The writers' objects (the namespace also holds the server's kube-root-ca.crt). */
const OURS = /^w\d+-c\d+-\d+$/;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const randInt = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));

const cmBody = (name: string, value: number, rv?: number): unknown => ({
  apiVersion: 'v1', kind: 'ConfigMap',
  metadata: { name, namespace: NS, ...(rv !== undefined ? { resourceVersion: String(rv) } : {}) },
  data: { v: String(value) },
});

/** Runs `fn` over `items`, `width` at a time. */
async function eachLimited<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** What the writers know and did, over all cycles. */
class Book {
  readonly acked: AckedWrite[] = [];
  /** Highest value ever sent per object, answered or not. */
  readonly attempted = new Map<string, number>();
  /** Every `name=value` ever sent. */
  readonly attemptedPairs = new Set<string>();
  /** Each writer's objects, with their version when known (undefined: a write of it went unanswered). */
  readonly pools = Array.from({ length: WRITERS }, () => new Map<string, Version | undefined>());
  readonly unexpected: string[] = [];
  /** Failed writes by what came back ("no answer" or the status and reason). */
  readonly failures = new Map<string, number>();
  /** rv of the list taken after the last restart: every later write must come after it. */
  floor = 0;
  lateAcks: string[] = [];

  attempt(name: string, value: number): void {
    this.attempted.set(name, Math.max(this.attempted.get(name) ?? -1, value));
    this.attemptedPairs.add(`${name}=${value}`);
  }

  ack(name: string, value: number, rv: number): void {
    this.acked.push({ object: name, value, rv });
    if (rv <= this.floor) this.lateAcks.push(`${name}=${value} acknowledged at rv ${rv}, not after rv ${this.floor} listed before`);
  }
}

/**
 * A watch of the namespace that lives across the crashes: after each restart it
 * is reopened from the last resourceVersion it saw, as a client would.
 */
class ResumingWatcher {
  readonly events: SeenEvent[] = [];
  readonly errors: string[] = [];
  /** Streams the server ended and `reopen` reopened. */
  reopened = 0;
  #stream?: StreamWatch;

  /** With `reopen`, a stream the server ends is reopened at once (the server is meant to stay up). */
  constructor(private last: number, private readonly reopen = false) {}

  async open(creds: Creds): Promise<void> {
    const stream = await openWatch(creds, `${CM}?watch=1&resourceVersion=${this.last}`, (ev) => {
      if (ev.type === 'ERROR') { this.errors.push(JSON.stringify(ev.object)); return; }
      if (ev.type === 'BOOKMARK') return;
      const rv = Number(ev.object.metadata.resourceVersion);
      this.last = rv;
      if (OURS.test(ev.object.metadata.name as string)) this.events.push({ type: ev.type, object: ev.object.metadata.name as string, rv, value: ev.object.data?.v as string });
    });
    this.#stream = stream;
    if (stream.status !== 200) this.errors.push(`watch from ${this.last}: ${stream.status}`);
    if (this.reopen) {
      void stream.ended.then(async (how) => {
        if (how === 'closed' || this.#stream !== stream) return;
        if (++this.reopened > 20) { this.errors.push(`stream ended (${how}) too often`); return; }
        await this.open(creds).catch((e: unknown) => { this.errors.push(`reopen: ${String(e)}`); });
      });
    }
  }

  close(): void { this.#stream?.close(); }

  /** The objects as the events so far leave them. */
  state(): Map<string, Version> {
    const m = new Map<string, Version>();
    for (const e of this.events) m.set(e.object, { rv: e.rv, value: Number(e.value) });
    return m;
  }
}

/**
 * One writer until `dead()`: creates (30%) and updates of its own objects
 * (PUT with the resourceVersion it last wrote, or read afresh after a crash).
 * Returns at the first failed request: the server is gone. A `tolerant` writer
 * (its server stays up while etcd restarts) instead counts a failed write as
 * unanswered, reads the object afresh and goes on.
 */
async function writer(servers: Creds[], book: Book, w: number, cycle: number, dead: () => boolean, tolerant = false): Promise<{ acked: number; lost: number }> {
  const pool = book.pools[w]!;
  const creds = (): Creds => servers[randInt(0, servers.length - 1)]!;
  let acked = 0, lost = 0;
  let n = 0;
  /** A write that got no answer (or, tolerant, a 5xx or 409): go on (true) or stop. */
  const failed = async (what: string, status?: number, text?: string, update = false): Promise<boolean> => {
    const kind = status === undefined ? 'no answer' : `${status} ${/"reason":"(\w+)"/.exec(text ?? '')?.[1] ?? ''}`.trim();
    book.failures.set(kind, (book.failures.get(kind) ?? 0) + 1);
    if (status === undefined || (tolerant && status >= 500)) lost++; // may or may not have landed
    // 409 (tolerant): the update read a version that an unanswered write of ours replaced.
    else if (!(tolerant && update && status === 409)) { book.unexpected.push(`${what}: ${status} ${text}`); return false; }
    if (!tolerant) return false;
    await sleep(20);
    return true;
  };
  try {
    while (!dead()) {
      const names = [...pool.keys()];
      if (names.length === 0 || Math.random() < 0.3) {
        const name = `w${w}-c${cycle}-${n++}`;
        book.attempt(name, 0);
        pool.set(name, undefined);
        const r = await request(creds(), 'POST', CM, { body: cmBody(name, 0) }).catch(() => undefined);
        if (r?.status !== 201) { if (await failed(`create ${name}`, r?.status, r?.text)) continue; return { acked, lost }; }
        const rv = Number(r.json.metadata.resourceVersion);
        book.ack(name, 0, rv);
        pool.set(name, { rv, value: 0 });
        acked++;
        continue;
      }
      const name = names[randInt(0, names.length - 1)]!;
      let cur = pool.get(name);
      if (!cur) {
        const g = await request(creds(), 'GET', `${CM}/${name}`).catch(() => undefined);
        if (g?.status === 404) { pool.delete(name); continue; } // an unanswered create that did not land
        if (g?.status !== 200) {
          if (!tolerant || (g && g.status < 500)) { if (g) book.unexpected.push(`get ${name}: ${g.status} ${g.text}`); return { acked, lost }; }
          await sleep(20);
          continue;
        }
        cur = { rv: Number(g.json.metadata.resourceVersion), value: Number(g.json.data.v) };
        pool.set(name, cur);
      }
      const value = cur.value + 1;
      book.attempt(name, value);
      pool.set(name, undefined);
      const r = await request(creds(), 'PUT', `${CM}/${name}`, { body: cmBody(name, value, cur.rv) }).catch(() => undefined);
      if (r?.status !== 200) { if (await failed(`update ${name} to ${value} from rv ${cur.rv}`, r?.status, r?.text, true)) continue; return { acked, lost }; }
      const rv = Number(r.json.metadata.resourceVersion);
      book.ack(name, value, rv);
      pool.set(name, { rv, value });
      acked++;
    }
  } catch (e) {
    book.unexpected.push(`writer ${w}: ${String(e)}`);
  }
  return { acked, lost };
}

/** Reads the namespace back and checks it against the book; returns the list's rv. */
async function verify(creds: Creds, book: Book, label: string): Promise<{ objects: number; rv: number; landed: number; observed: Map<string, Version> }> {
  const list = await request(creds, 'GET', CM);
  assert.equal(list.status, 200, list.text);
  const listRv = Number(list.json.metadata.resourceVersion);
  const observed = new Map<string, Version>();
  const rvs = new Set<number>();
  for (const o of list.json.items as { metadata: { name: string; resourceVersion: string }; data: { v: string } }[]) {
    if (!OURS.test(o.metadata.name)) continue; // kube-root-ca.crt, made by the server
    const v = { rv: Number(o.metadata.resourceVersion), value: Number(o.data.v) };
    assert.ok(!observed.has(o.metadata.name), `${label}: ${o.metadata.name} listed twice`);
    assert.ok(!rvs.has(v.rv), `${label}: rv ${v.rv} listed twice`);
    assert.ok(v.rv <= listRv, `${label}: ${o.metadata.name} at rv ${v.rv} is newer than the list's rv ${listRv}`);
    observed.set(o.metadata.name, v);
    rvs.add(v.rv);
  }
  assert.ok(listRv >= book.floor, `${label}: list rv ${listRv} went back from ${book.floor}`);

  // A paged list (at one revision) holds the same objects.
  const paged = new Map<string, number>();
  let cont = '';
  for (let page = 0; ; page++) {
    assert.ok(page < 1000, 'paging does not end');
    const r = await request(creds, 'GET', `${CM}?limit=37${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`);
    assert.equal(r.status, 200, r.text);
    for (const o of r.json.items as { metadata: { name: string; resourceVersion: string } }[]) if (OURS.test(o.metadata.name)) paged.set(o.metadata.name, Number(o.metadata.resourceVersion));
    cont = r.json.metadata.continue ?? '';
    if (!cont) break;
  }
  assert.deepEqual([...paged].sort(), [...observed].map(([k, v]) => [k, v.rv] as [string, number]).sort(), `${label}: paged list differs from the list`);

  // Each object read on its own is what the list said; an acknowledged object missing from the list is missing from gets too.
  const names = new Set([...observed.keys(), ...book.acked.map((a) => a.object)]);
  const mismatches: string[] = [];
  await eachLimited([...names], 16, async (name) => {
    const g = await request(creds, 'GET', `${CM}/${name}`);
    const l = observed.get(name);
    if (!l) { if (g.status !== 404) mismatches.push(`${name}: not listed, but get says ${g.status}`); return; }
    if (g.status !== 200) { mismatches.push(`${name}: listed, but get says ${g.status}`); return; }
    const rv = Number(g.json.metadata.resourceVersion), value = Number(g.json.data.v);
    if (rv !== l.rv || value !== l.value) mismatches.push(`${name}: listed ${l.value} at rv ${l.rv}, get ${value} at rv ${rv}`);
  });
  assert.deepEqual(mismatches, [], `${label}: list != gets`);

  assert.deepEqual(checkDurable(book.acked, book.attempted, observed), [], `${label}: acknowledged writes`);
  // Writes whose answer the crash swallowed but which landed: the case the check allows.
  const latest = new Map<string, number>();
  for (const a of book.acked) latest.set(a.object, Math.max(latest.get(a.object) ?? -1, a.value));
  const landed = [...observed].filter(([name, o]) => o.value > (latest.get(name) ?? -1)).length;
  assert.deepEqual(book.lateAcks, [], `${label}: writes after a restart must come after everything listed before it`);
  assert.deepEqual(book.unexpected, [], `${label}: unexpected answers`);
  return { objects: observed.size, rv: listRv, landed, observed };
}

/** Waits (up to 10 s) until `n` writes have been acknowledged in all. */
async function untilAcked(book: Book, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (book.acked.length < n && book.unexpected.length === 0 && Date.now() < deadline) await sleep(5);
}

/** Waits for `watcher`'s events to replay to exactly `observed` (the stored state), and checks they do. */
async function watcherReaches(watcher: ResumingWatcher, observed: ReadonlyMap<string, Version>, label: string): Promise<void> {
  const want = JSON.stringify([...observed].sort());
  const deadline = Date.now() + 15_000;
  while (JSON.stringify([...watcher.state()].sort()) !== want && watcher.errors.length === 0 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(watcher.errors, [], `${label}: watch errors`);
  assert.deepEqual([...watcher.state()].sort(), [...observed].sort(), `${label}: the watch's events replay to the stored state`);
}

/**
 * Over all the crashes, the watch saw each acknowledged write once, in order,
 * and otherwise only writes that were sent but never answered.
 */
function checkWatcherHistory(watcher: ResumingWatcher, book: Book): string[] {
  const expected = book.acked.map((a): SeenEvent => ({ type: a.value === 0 ? 'ADDED' : 'MODIFIED', object: a.object, rv: a.rv, value: String(a.value) }));
  const acked = new Set(book.acked.map((a) => `${a.object}=${a.value}`));
  return checkWatchEvents(expected, watcher.events, {
    unacknowledged: (e) => book.attemptedPairs.has(`${e.object}=${e.value}`) && !acked.has(`${e.object}=${e.value}`) && e.type === (e.value === '0' ? 'ADDED' : 'MODIFIED'),
  });
}

for (const driver of ['sqlite', 'etcd'] as const) {
  describe(`crash safety on ${driver}`, () => {
    let etcd: EtcdServer | undefined;
    let pilot: Pilot;
    let watcher: ResumingWatcher;

    before(async () => {
      if (driver === 'etcd') etcd = await EtcdServer.start();
      // Compaction runs all the time (keeping the last 200 revisions), so crashes land in it too.
      pilot = await new Pilot({ ...(etcd ? { datastore: etcd.url } : {}), extraArgs: ['--compaction-interval', '100', '--compaction-retain', '200'] }).start();
      const creds = credsFromKubeconfig(pilot.kubeconfig);
      const ns = await request(creds, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
      assert.equal(ns.status, 201, ns.text);
      watcher = new ResumingWatcher(Number(ns.json.metadata.resourceVersion));
    });
    after(async () => {
      watcher?.close();
      closeAgents();
      await pilot?.dispose();
      await etcd?.dispose();
    });

    test(`kill -9 during writes, ${CYCLES} cycles${CI ? ' (CI=true; 20 otherwise)' : ''}: every acknowledged write survives, the store stays consistent`, async (t: TestContext) => {
      const book = new Book();
      const started = Date.now();
      let totalAcked = 0, totalUnanswered = 0, etcdKills = 0;
      for (let cycle = 1; cycle <= CYCLES; cycle++) {
        const creds = credsFromKubeconfig(pilot.kubeconfig);
        if (cycle === 1) await watcher.open(creds);
        let dead = false;
        const writers = Array.from({ length: WRITERS }, (_, w) => writer([creds], book, w, cycle, () => dead));
        // The kill comes 100-300 ms into the writes, counted from the first answer
        // (a freshly started server takes a moment to warm up).
        await untilAcked(book, book.acked.length + 1);
        await sleep(randInt(100, 300));
        dead = true;
        const killEtcd = !!etcd && cycle % 4 === 0;
        await Promise.all([pilot.stop(true), killEtcd ? etcd!.stop(true) : undefined]);
        const results = await Promise.all(writers);
        closeAgents();
        const acked = results.reduce((s, r) => s + r.acked, 0);
        const unanswered = results.reduce((s, r) => s + r.lost, 0);
        assert.ok(acked > 0, `cycle ${cycle}: the kill came during writes`);
        totalAcked += acked;
        totalUnanswered += unanswered;
        if (killEtcd) { etcdKills++; await etcd!.start(); }
        await pilot.start();
        const { objects, rv, landed, observed } = await verify(credsFromKubeconfig(pilot.kubeconfig), book, `cycle ${cycle}`);
        book.floor = rv;
        // The watch, resumed from before the crash, catches up to exactly the stored state.
        await watcher.open(credsFromKubeconfig(pilot.kubeconfig));
        await watcherReaches(watcher, observed, `cycle ${cycle}`);
        t.diagnostic(`cycle ${cycle}: ${acked} writes acknowledged, ${unanswered} unanswered at the kill${killEtcd ? ' (etcd killed too)' : ''}; ${objects} objects, rv ${rv}, ` +
          `${landed} holding an unanswered write`);
      }
      assert.ok(totalAcked >= CYCLES, `the writers did write (${totalAcked} acknowledged)`);
      // Compaction did run: the start of history is gone.
      const old = await watch(credsFromKubeconfig(pilot.kubeconfig), `${CM}?watch=1&resourceVersion=1`);
      try {
        const [ev] = await old.waitFor((evs) => evs.length > 0);
        assert.equal(ev!.type, 'ERROR', JSON.stringify(ev));
        assert.equal(ev!.object.code, 410, JSON.stringify(ev));
      } finally { old.close(); }
      assert.deepEqual(checkWatcherHistory(watcher, book), []);
      t.diagnostic(`${driver}: ${CYCLES} kill -9 cycles${etcdKills ? ` (${etcdKills} of etcd too)` : ''}, ${totalAcked} writes acknowledged, ` +
        `${totalUnanswered} unanswered, 0 lost; the resumed watch saw ${watcher.events.length} events, each once, in order; ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });
  });
}

describe('etcd killed under two running servers', () => {
  const ETCD_CYCLES = CI ? 3 : 6;
  let etcd: EtcdServer;
  let a: Pilot, b: Pilot;
  let servers: Creds[];
  const watchers: ResumingWatcher[] = [];

  before(async () => {
    etcd = await EtcdServer.start();
    a = await new Pilot({ datastore: etcd.url }).start();
    b = await new Pilot({ datastore: etcd.url }).start();
    // Each server has its own CA unless started with a cluster token: use each one's own kubeconfig.
    servers = [credsFromKubeconfig(a.kubeconfig), credsFromKubeconfig(b.kubeconfig)];
    const ns = await request(servers[0]!, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } } });
    assert.equal(ns.status, 201, ns.text);
    for (const s of servers) {
      const w = new ResumingWatcher(Number(ns.json.metadata.resourceVersion), true);
      await w.open(s);
      watchers.push(w);
    }
  });
  after(async () => {
    for (const w of watchers) w.close();
    closeAgents();
    await a?.dispose();
    await b?.dispose();
    await etcd?.dispose();
  });

  test(`kill -9 of etcd during writes through both servers, ${ETCD_CYCLES} cycles${CI ? ' (CI=true; 6 otherwise)' : ''}: the servers ride it out, nothing acknowledged is lost, watches go on exactly once`, async (t) => {
    const book = new Book();
    const started = Date.now();
    let totalAcked = 0, totalUnanswered = 0;
    for (let cycle = 1; cycle <= ETCD_CYCLES; cycle++) {
      let dead = false;
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(servers, book, w, cycle, () => dead, true));
      await untilAcked(book, book.acked.length + 1);
      await sleep(randInt(150, 300));
      await etcd.stop(true);
      const down = Date.now();
      await sleep(randInt(200, 500));
      await etcd.start();
      const downMs = Date.now() - down;
      // Writes go on for a while once etcd is back.
      await sleep(500);
      dead = true;
      const results = await Promise.all(writers);
      const acked = results.reduce((s, r) => s + r.acked, 0);
      const unanswered = results.reduce((s, r) => s + r.lost, 0);
      totalAcked += acked;
      totalUnanswered += unanswered;
      const { objects, rv, observed } = await verify(servers[0]!, book, `cycle ${cycle} (server A)`);
      const onB = await verify(servers[1]!, book, `cycle ${cycle} (server B)`);
      assert.deepEqual([...onB.observed].sort(), [...observed].sort(), `cycle ${cycle}: both servers read the same`);
      book.floor = rv;
      for (const [i, w] of watchers.entries()) await watcherReaches(w, observed, `cycle ${cycle}, watch on server ${'AB'[i]}`);
      t.diagnostic(`cycle ${cycle}: etcd down ${downMs} ms; ${acked} writes acknowledged, ${unanswered} failed or unanswered; ${objects} objects, rv ${rv}`);
    }
    assert.ok(totalAcked >= ETCD_CYCLES, `the writers did write (${totalAcked} acknowledged)`);
    for (const w of watchers) assert.deepEqual(checkWatcherHistory(w, book), []);
    t.diagnostic(`${ETCD_CYCLES} etcd kill -9 cycles under 2 servers: ${totalAcked} writes acknowledged, ${totalUnanswered} failed or unanswered (${[...book.failures].map(([k, n]) => `${n}× ${k}`).join(', ')}), 0 lost; ` +
      `the watches saw ${watchers.map((w) => w.events.length).join(' and ')} events, each once, in order (streams reopened: ${watchers.map((w) => w.reopened).join(' and ')}); ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
