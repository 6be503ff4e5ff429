// Watches as kubectl and raw clients see them: `get -w`, `wait`, selectors on
// watch streams, resuming from a resourceVersion (every event once, in order),
// 410 for a compacted resourceVersion, bookmarks and timeoutSeconds.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot, spawnKubectl } from './helpers/pilot.ts';
import { closeAgents, cmYaml, credsFromKubeconfig, request, watch, type Creds, type WatchEventJson } from './helpers/kube-http.ts';

const CM = '/api/v1/namespaces/default/configmaps';

/** kubectl's watch output with -o json: one JSON document per line. */
function jsonDocs(out: string): any[] {
  return out.split('\n').map((s) => s.trim()).filter((s) => s.startsWith('{')).map((s) => JSON.parse(s));
}

function summary(evs: WatchEventJson[]): string[] {
  return evs.map((e) => `${e.type} ${e.object?.metadata?.name ?? ''}`);
}

describe('watch', () => {
  // Watch semantics of the API server alone: no controller writes (such as
  // kube-root-ca.crt in every namespace) mix into the counted event streams.
  const pilot = new Pilot({ extraArgs: ['--disable-controllers'] });
  let creds: Creds;

  before(async () => {
    await pilot.start();
    creds = credsFromKubeconfig(pilot.kubeconfig);
  });
  after(async () => {
    closeAgents();
    await pilot.dispose();
  });

  test('kubectl get cm -w shows existing objects, then each create, label change and delete', async () => {
    await pilot.k(['create', '-f', '-'], { input: cmYaml('w-existing', { a: '1' }) });
    const w = spawnKubectl(pilot, ['get', 'cm', '-w', '--show-labels']);
    try {
      await w.waitFor(/^w-existing\s+1\s/m);
      await pilot.k(['create', '-f', '-'], { input: cmYaml('w-new', { a: '1', b: '2' }) });
      await w.waitFor(/^w-new\s+2\s+\S+\s+<none>$/m);
      await pilot.k(['label', 'cm', 'w-new', 'color=blue']);
      await w.waitFor(/^w-new\s+2\s+\S+\s+color=blue$/m);
      await pilot.k(['delete', 'cm', 'w-new']);
      // The deletion is one more row for the object (kubectl prints the final state).
      const out = await w.waitFor(/(^w-new\s.*$[\s\S]*){3}/m);
      const rows = out.split('\n').filter((l) => l.startsWith('w-new '));
      assert.equal(rows.length, 3, out);
      assert.match(rows[2], /color=blue$/);
      assert.equal(out.split('\n').filter((l) => l.startsWith('w-existing ')).length, 1, `no spurious events for an untouched object:\n${out}`);
    } finally {
      await w.stop();
    }
  });

  test('kubectl get -w -o json --output-watch-events shows ADDED, MODIFIED, DELETED', async () => {
    const w = spawnKubectl(pilot, ['get', 'cm', '-w', '-o', 'json', '--output-watch-events', '--field-selector', 'metadata.name=w-ev']);
    try {
      // The initial list is empty for this selector; give the watch a moment to open.
      await new Promise((r) => setTimeout(r, 700));
      await pilot.k(['create', '-f', '-'], { input: cmYaml('w-ev', { a: '1' }) });
      await w.waitFor(/"type":\s*"ADDED"/);
      await pilot.k(['patch', 'cm', 'w-ev', '--type=merge', '-p', '{"data":{"a":"2"}}']);
      await w.waitFor(/"type":\s*"MODIFIED"/);
      await pilot.k(['delete', 'cm', 'w-ev']);
      const out = await w.waitFor(/"type":\s*"DELETED"/);
      const docs = jsonDocs(out);
      assert.deepEqual(docs.map((d) => d.type), ['ADDED', 'MODIFIED', 'DELETED'], out);
      assert.ok(docs.every((d) => d.object.kind === 'ConfigMap' && d.object.metadata.name === 'w-ev'));
      assert.equal(docs[1].object.data.a, '2');
      const rvs = docs.map((d) => Number(d.object.metadata.resourceVersion));
      assert.ok(rvs[0] < rvs[1] && rvs[1] < rvs[2], `resourceVersions increase: ${rvs.join(',')}`);
    } finally {
      await w.stop();
    }
  });

  test('kubectl wait --for=jsonpath completes after a patch, and times out when not met', async () => {
    await pilot.k(['create', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'wx' },
        spec: { replicas: 1, selector: { matchLabels: { app: 'wx' } }, template: { metadata: { labels: { app: 'wx' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      }),
    });
    const waiting = pilot.kubectl(['wait', '--for=jsonpath={.spec.replicas}=3', 'deploy/wx', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 800));
    const t0 = Date.now();
    await pilot.k(['patch', 'deploy', 'wx', '--type=merge', '-p', '{"spec":{"replicas":3}}']);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deployment.apps\/wx condition met/);
    assert.ok(Date.now() - t0 < 10_000, 'wait returns promptly after the change');

    const start = Date.now();
    const miss = await pilot.kubectl(['wait', '--for=jsonpath={.spec.replicas}=5', 'deploy/wx', '--timeout=2s']);
    assert.notEqual(miss.code, 0);
    assert.match(miss.stderr, /timed out waiting for the condition on deployments\/wx/);
    assert.ok(Date.now() - start >= 1900, 'waited for the timeout');
  });

  test('kubectl wait --for=delete completes after the delete', async () => {
    await pilot.k(['create', '-f', '-'], { input: cmYaml('w-del') });
    const waiting = pilot.kubectl(['wait', '--for=delete', 'cm/w-del', '--timeout=20s']);
    await new Promise((r) => setTimeout(r, 800));
    await pilot.k(['delete', 'cm', 'w-del', '--wait=false']);
    const r = await waiting;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /configmap\/w-del condition met/);
  });

  test('a label-selected raw watch sees an object leave (DELETED) and come back (ADDED)', async () => {
    const created = await request(creds, 'POST', CM, { body: JSON.parse(cmYaml('w-sel', { a: '1' }, { tier: 'front' })) });
    assert.equal(created.status, 201, created.text);
    const rv = created.json.metadata.resourceVersion as string;
    const w = await watch(creds, `${CM}?watch=1&labelSelector=tier%3Dfront&resourceVersion=${rv}`);
    try {
      assert.equal(w.status, 200);
      const patch = async (body: unknown): Promise<void> => {
        const r = await request(creds, 'PATCH', `${CM}/w-sel`, { body, headers: { 'Content-Type': 'application/merge-patch+json' } });
        assert.equal(r.status, 200, r.text);
      };
      await patch({ data: { a: '2' } });
      await patch({ metadata: { labels: { tier: 'back' } } });
      await patch({ data: { a: '3' } }); // not selected: nothing to this watcher
      await patch({ metadata: { labels: { tier: 'front' } } });
      const del = await request(creds, 'DELETE', `${CM}/w-sel`);
      assert.equal(del.status, 200, del.text);
      const evs = await w.waitFor((e) => e.length >= 4);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(summary(evs), ['MODIFIED w-sel', 'DELETED w-sel', 'ADDED w-sel', 'DELETED w-sel']);
      assert.equal(evs[1].object.metadata.labels.tier, 'back', 'the DELETED event carries the object as it is now');
      assert.equal(evs[2].object.data.a, '3');
    } finally {
      w.close();
    }
  });

  test('a watch from resourceVersion N delivers every later event exactly once, in order', async () => {
    const ns = await request(creds, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'w-many' } } });
    assert.equal(ns.status, 201, ns.text);
    const base = '/api/v1/namespaces/w-many/configmaps';
    const list = await request(creds, 'GET', base);
    const n = list.json.metadata.resourceVersion as string;
    const live = await watch(creds, `${base}?watch=true&resourceVersion=${n}`);
    const written: { rv: number; type: string; name: string }[] = [];
    try {
      // 200 writes, ten at a time: creates, updates (no resourceVersion, so the
      // server retries its compare-and-swap) and deletes.
      const ops: (() => Promise<void>)[] = [];
      for (let i = 0; i < 100; i++) {
        ops.push(async () => {
          const r = await request(creds, 'POST', base, { body: { metadata: { name: `c${i}` }, data: { v: '0' } } });
          assert.equal(r.status, 201, r.text);
          written.push({ rv: Number(r.json.metadata.resourceVersion), type: 'ADDED', name: `c${i}` });
          const u = await request(creds, 'PATCH', `${base}/c${i}`, { body: { data: { v: '1' } }, headers: { 'Content-Type': 'application/merge-patch+json' } });
          assert.equal(u.status, 200, u.text);
          written.push({ rv: Number(u.json.metadata.resourceVersion), type: 'MODIFIED', name: `c${i}` });
        });
      }
      for (let i = 0; i < ops.length; i += 10) await Promise.all(ops.slice(i, i + 10).map((f) => f()));
      assert.equal(written.length, 200);
      written.sort((a, b) => a.rv - b.rv);
      const expected = written.map((w) => `${w.rv} ${w.type} ${w.name}`);
      const got = (evs: WatchEventJson[]): string[] => evs.map((e) => `${e.object.metadata.resourceVersion} ${e.type} ${e.object.metadata.name}`);

      const evs = await live.waitFor((e) => e.length >= 200);
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(got(evs), expected);

      // A watcher that starts later catches up from the log: the same sequence.
      const late = await watch(creds, `${base}?watch=true&resourceVersion=${n}`);
      try {
        const lateEvs = await late.waitFor((e) => e.length >= 200);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(got(lateEvs), expected);
      } finally {
        late.close();
      }
      // From the middle: exactly the events after it.
      const mid = written[99].rv;
      const half = await watch(creds, `${base}?watch=true&resourceVersion=${mid}`);
      try {
        const halfEvs = await half.waitFor((e) => e.length >= 100);
        await new Promise((r) => setTimeout(r, 300));
        assert.deepEqual(got(halfEvs), expected.slice(100));
      } finally {
        half.close();
      }
    } finally {
      live.close();
    }
  });

  test('a watch without resourceVersion starts with ADDED for every existing object', async () => {
    const w = await watch(creds, '/api/v1/namespaces/w-many/configmaps?watch=true&timeoutSeconds=1');
    await w.ended;
    assert.equal(w.events.length, 100);
    assert.ok(w.events.every((e) => e.type === 'ADDED'));
    assert.deepEqual(new Set(w.events.map((e) => e.object.metadata.name)).size, 100);
  });

  test('timeoutSeconds ends the stream', async () => {
    const start = Date.now();
    const w = await watch(creds, `${CM}?watch=true&resourceVersion=1&timeoutSeconds=1`);
    assert.equal(w.status, 200);
    await w.ended;
    const took = Date.now() - start;
    assert.ok(took >= 900 && took < 5000, `ended after ${took} ms`);
  });

  test('sendInitialEvents with bookmarks ends the initial events with a marked BOOKMARK', async () => {
    const w = await watch(creds, '/api/v1/namespaces/w-many/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2');
    try {
      const evs = await w.waitFor((e) => e.some((x) => x.type === 'BOOKMARK'));
      const i = evs.findIndex((e) => e.type === 'BOOKMARK');
      assert.equal(i, 100, 'after the 100 initial ADDED events');
      const bm = evs[i].object;
      assert.equal(bm.kind, 'ConfigMap');
      assert.equal(bm.metadata.annotations['k8s.io/initial-events-end'], 'true');
      assert.ok(Number(bm.metadata.resourceVersion) >= Number(evs[i - 1].object.metadata.resourceVersion));
    } finally {
      w.close();
    }
  });
});

describe('watch from a compacted resourceVersion', () => {
  const pilot = new Pilot({ datastore: 'memory://', extraArgs: ['--compaction-retain', '10', '--compaction-interval', '100'] });
  let creds: Creds;

  before(async () => {
    await pilot.start();
    creds = credsFromKubeconfig(pilot.kubeconfig);
  });
  after(async () => {
    closeAgents();
    await pilot.dispose();
  });

  test('gets an ERROR event with a 410 Expired Status, and kubectl reports it', async () => {
    const first = await request(creds, 'POST', CM, { body: JSON.parse(cmYaml('old', { v: '0' })) });
    assert.equal(first.status, 201, first.text);
    const old = first.json.metadata.resourceVersion as string;
    for (let i = 1; i <= 30; i++) {
      const r = await request(creds, 'PUT', `${CM}/old`, { body: { metadata: { name: 'old' }, data: { v: String(i) } } });
      assert.equal(r.status, 200, r.text);
    }
    // Wait for the compactor (every 100 ms) to pass `old`.
    let w;
    for (let i = 0; ; i++) {
      w = await watch(creds, `${CM}?watch=true&resourceVersion=${old}`);
      await w.waitFor((e) => e.length > 0);
      if (w.events[0].type === 'ERROR' || i > 50) break;
      w.close();
      await new Promise((r) => setTimeout(r, 100));
    }
    await w.ended;
    assert.equal(w.status, 200);
    assert.equal(w.events.length, 1, JSON.stringify(w.events.slice(0, 3)));
    const ev = w.events[0];
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.kind, 'Status');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
    assert.match(ev.object.message, new RegExp(`^too old resource version: ${old} \\(\\d+\\)$`));

    // kubectl get has no --resource-version flag; its raw mode streams the same watch.
    const r = await pilot.kubectl(['get', '--raw', `${CM}?watch=true&resourceVersion=${old}`], { timeoutMs: 15_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^\{"type":"ERROR","object":\{"kind":"Status".*"code":410[,}]/m);

    // A list at that exact revision is gone too.
    const exact = await request(creds, 'GET', `${CM}?resourceVersion=${old}&resourceVersionMatch=Exact`);
    assert.equal(exact.status, 410, exact.text);
    assert.equal(exact.json.reason, 'Expired');
  });
});
