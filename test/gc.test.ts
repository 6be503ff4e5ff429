// Cascading deletion end to end: the API server's propagation policies (GC
// finalizers) and the garbage-collector controller, run here by the test
// itself (its run(ctx) with a context built from the client library) against
// an in-process server started without the controller manager, driven with
// the real kubectl: --cascade=background|foreground|orphan on ConfigMap
// owners, a chain A → B → C, and a hand-made Deployment → ReplicaSet → Pod chain.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pino from 'pino';
import type { ObjectMeta, OwnerReference } from 'kubernetes-types/meta/v1.js';
import { startTestServer, type TestServer } from './helpers/testserver.ts';
import { EventRecorder, SharedInformerFactory, isNotFound, type KubeObject, type RestClient } from '../src/client/index.ts';
import { realClock } from '../src/base/clock.ts';
import { garbageCollectorController } from '../src/controllers/garbagecollector/index.ts';
import { ApiClient } from './helpers/api.ts';
import { KUBECTL, run, type RunResult } from './helpers/pilot.ts';
import { deploymentObj } from './helpers/manifests.ts';

type Obj = KubeObject & { data?: Record<string, string>; spec?: unknown; metadata: ObjectMeta };

/** The controller-manager's part, done by hand: one context, one informer factory, the GC alone. */
function startGC(client: RestClient): { stop(): Promise<void> } {
  const ac = new AbortController();
  const informers = new SharedInformerFactory(client, { logger: pino({ level: 'silent' }) });
  const recorders: EventRecorder[] = [];
  const running = garbageCollectorController().run({
    client, informers, clock: realClock, logger: pino({ level: process.env.GC_TEST_LOG ?? 'silent' }), signal: ac.signal,
    recorder: (component) => { const r = new EventRecorder(client, { component }); recorders.push(r); return r; },
  });
  informers.start(ac.signal);
  return {
    async stop() {
      ac.abort();
      await running;
      await informers.stop();
      await Promise.all(recorders.map((r) => r.flush()));
    },
  };
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function ownerRef(o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: o.apiVersion!, kind: o.kind!, name: o.metadata!.name!, uid: o.metadata!.uid!, ...extra };
}

class Cluster {
  readonly client: RestClient;
  readonly api: ApiClient;
  readonly cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-gc-kcache-'));
  constructor(readonly ts: TestServer) {
    this.client = ts.newClient();
    this.api = new ApiClient(ts.server.kubeconfigPath);
  }

  kubectl(args: string[]): Promise<RunResult> {
    return run(KUBECTL, ['--kubeconfig', this.ts.server.kubeconfigPath, '--cache-dir', this.cacheDir, ...args], { timeoutMs: 60_000 });
  }

  async namespace(name: string): Promise<void> {
    await this.client.resource('v1', 'Namespace').create({ metadata: { name } });
    // No serviceaccount controller here: pods need their account to exist (ServiceAccount admission), as upstream.
    await this.client.resource('v1', 'ServiceAccount').namespace(name).create({ metadata: { name: 'default' } });
  }

  cm(ns: string, name: string, owners: OwnerReference[] = [], finalizers?: string[]): Promise<Obj> {
    return this.client.resource<Obj>('v1', 'ConfigMap').namespace(ns).create({ metadata: { name, ownerReferences: owners, finalizers }, data: { k: name } });
  }

  secret(ns: string, name: string, owners: OwnerReference[] = []): Promise<Obj> {
    return this.client.resource<Obj>('v1', 'Secret').namespace(ns).create({ metadata: { name, ownerReferences: owners }, stringData: { k: name } } as Obj);
  }

  async get(apiVersion: string, kind: string, ns: string, name: string): Promise<Obj | undefined> {
    try {
      return await this.client.resource<Obj>(apiVersion, kind).namespace(ns).get(name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async gone(apiVersion: string, kind: string, ns: string, name: string): Promise<boolean> {
    return (await this.get(apiVersion, kind, ns, name)) === undefined;
  }

  async close(): Promise<void> {
    this.api.close();
    fs.rmSync(this.cacheDir, { recursive: true, force: true });
  }
}

describe('the API server turns propagationPolicy into GC finalizers (no garbage collector running)', () => {
  let ts: TestServer;
  let c: Cluster;
  before(async () => {
    ts = await startTestServer({ controllers: [] });
    c = new Cluster(ts);
    await c.namespace('nogc');
  });
  after(async () => { await c.close(); await ts.close(); });

  const base = '/api/v1/namespaces/nogc/configmaps';

  test('Orphan and Foreground keep the object with its finalizer and a deletionTimestamp', async () => {
    for (const [policy, fin] of [['Orphan', 'orphan'], ['Foreground', 'foregroundDeletion']]) {
      const name = `p-${fin.toLowerCase()}`;
      await c.cm('nogc', name);
      const r = await c.api.delete(`${base}/${name}`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: policy });
      assert.ok(r.status === 200 || r.status === 202, r.body);
      assert.deepEqual(r.json.metadata.finalizers, [fin]);
      const got = await c.get('v1', 'ConfigMap', 'nogc', name);
      assert.deepEqual(got?.metadata.finalizers, [fin]);
      assert.ok(got?.metadata.deletionTimestamp);
      assert.equal(got?.metadata.deletionGracePeriodSeconds, 0);
    }
  });

  test('legacy orphanDependents works like the policies', async () => {
    await c.cm('nogc', 'legacy');
    const r = await c.api.delete(`${base}/legacy?orphanDependents=true`);
    assert.deepEqual(r.json.metadata.finalizers, ['orphan']);
    // orphanDependents=false on an object being deleted drops the orphan finalizer: gone.
    const again = await c.api.delete(`${base}/legacy`, { kind: 'DeleteOptions', apiVersion: 'v1', orphanDependents: false });
    assert.equal(again.status, 200, again.body);
    assert.ok(await c.gone('v1', 'ConfigMap', 'nogc', 'legacy'));
  });

  test('Background (and no policy) deletes at once', async () => {
    await c.cm('nogc', 'bg');
    assert.equal((await c.api.delete(`${base}/bg`, { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' })).status, 200);
    assert.ok(await c.gone('v1', 'ConfigMap', 'nogc', 'bg'));
    await c.cm('nogc', 'none');
    assert.equal((await c.api.delete(`${base}/none`)).status, 200);
    assert.ok(await c.gone('v1', 'ConfigMap', 'nogc', 'none'));
  });

  test('a later DELETE can switch the policy of an object already being deleted', async () => {
    await c.cm('nogc', 'switch', [], ['example.com/hold']);
    await c.api.delete(`${base}/switch`, { propagationPolicy: 'Foreground' });
    let got = await c.get('v1', 'ConfigMap', 'nogc', 'switch');
    assert.deepEqual(got?.metadata.finalizers, ['example.com/hold', 'foregroundDeletion']);
    const ts1 = got?.metadata.deletionTimestamp;
    await c.api.delete(`${base}/switch`, { propagationPolicy: 'Orphan' });
    got = await c.get('v1', 'ConfigMap', 'nogc', 'switch');
    assert.deepEqual(got?.metadata.finalizers, ['example.com/hold', 'orphan']);
    assert.equal(got?.metadata.deletionTimestamp, ts1, 'deletionTimestamp unchanged');
    // No policy: the object's own GC finalizer stands.
    await c.api.delete(`${base}/switch`);
    assert.deepEqual((await c.get('v1', 'ConfigMap', 'nogc', 'switch'))?.metadata.finalizers, ['example.com/hold', 'orphan']);
    await c.api.delete(`${base}/switch`, { propagationPolicy: 'Background' });
    assert.deepEqual((await c.get('v1', 'ConfigMap', 'nogc', 'switch'))?.metadata.finalizers, ['example.com/hold']);
    await c.api.patch(`${base}/switch`, { metadata: { finalizers: null } });
    assert.ok(await c.gone('v1', 'ConfigMap', 'nogc', 'switch'));
  });

  test('dry run changes nothing', async () => {
    await c.cm('nogc', 'dry');
    const r = await c.api.delete(`${base}/dry?dryRun=All`, { propagationPolicy: 'Foreground' });
    assert.deepEqual(r.json.metadata.finalizers, ['foregroundDeletion']);
    const got = await c.get('v1', 'ConfigMap', 'nogc', 'dry');
    assert.equal(got?.metadata.finalizers, undefined);
    assert.equal(got?.metadata.deletionTimestamp, undefined);
  });

  test('Jobs orphan by default and say so; ReplicationControllers orphan by default; Events never get GC finalizers', async () => {
    const jobs = '/apis/batch/v1/namespaces/nogc/jobs';
    const job = { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } };
    assert.equal((await c.api.post(jobs, job)).status, 201);
    const r = await c.api.delete(`${jobs}/j`);
    assert.match(String(r.headers.warning), /child pods are preserved by default when jobs are deleted/);
    assert.deepEqual(r.json.metadata.finalizers, ['orphan']);
    const job2 = { ...job, metadata: { name: 'j2' } };
    await c.api.post(jobs, job2);
    const r2 = await c.api.delete(`${jobs}/j2`, { propagationPolicy: 'Background' });
    assert.equal(r2.headers.warning, undefined);
    assert.equal(r2.status, 200);

    const rcs = '/api/v1/namespaces/nogc/replicationcontrollers';
    await c.api.post(rcs, { metadata: { name: 'rc' }, spec: { replicas: 0, selector: { a: 'b' }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } } } });
    assert.deepEqual((await c.api.delete(`${rcs}/rc`)).json.metadata.finalizers, ['orphan']);

    const events = '/api/v1/namespaces/nogc/events';
    await c.api.post(events, { metadata: { name: 'ev' }, involvedObject: { kind: 'Pod', name: 'x', namespace: 'nogc' }, reason: 'R', message: 'm' });
    assert.equal((await c.api.delete(`${events}/ev`, { propagationPolicy: 'Foreground' })).status, 200);
    assert.ok(await c.gone('v1', 'Event', 'nogc', 'ev'));
  });

  test('without a garbage collector, kubectl --cascade=foreground waits (and times out), as upstream', async () => {
    await c.cm('nogc', 'waits');
    const r = await c.kubectl(['delete', 'cm', 'waits', '-n', 'nogc', '--cascade=foreground', '--timeout=2s']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /timed out waiting/);
    assert.deepEqual((await c.get('v1', 'ConfigMap', 'nogc', 'waits'))?.metadata.finalizers, ['foregroundDeletion']);
  });
});

describe('the garbage collector with kubectl --cascade', () => {
  let ts: TestServer;
  let c: Cluster;
  let gc: { stop(): Promise<void> } | undefined;
  let danglingAtStart: { alive: Obj; wrongUid: Obj; missing: Obj; owner: Obj };
  before(async () => {
    ts = await startTestServer({ controllers: [] });
    c = new Cluster(ts);
    await c.namespace('gc');
    // Before the collector starts: references to an owner that exists, to one
    // with the right name but another uid, and to one that never existed.
    const owner = await c.cm('gc', 'start-owner');
    danglingAtStart = {
      owner,
      alive: await c.cm('gc', 'start-alive', [ownerRef(owner)]),
      wrongUid: await c.cm('gc', 'start-wrong-uid', [{ ...ownerRef(owner), uid: '00000000-0000-0000-0000-000000000000' }]),
      missing: await c.secret('gc', 'start-missing', [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'nobody', uid: '11111111-1111-1111-1111-111111111111' }]),
    };
    gc = startGC(ts.newClient());
  });
  after(async () => {
    await gc?.stop();
    await c.close();
    await ts.close();
  });

  test('at startup, dependents whose owners are absent (checked live, uid and all) are deleted; others stay', async () => {
    await eventually('start-wrong-uid deleted', () => c.gone('v1', 'ConfigMap', 'gc', 'start-wrong-uid'));
    await eventually('start-missing deleted', () => c.gone('v1', 'Secret', 'gc', 'start-missing'));
    assert.ok(await c.get('v1', 'ConfigMap', 'gc', 'start-alive'));
    assert.ok(await c.get('v1', 'ConfigMap', 'gc', 'start-owner'));
  });

  /** An owner ConfigMap with ConfigMap and Secret dependents, one of them also owning a grandchild. */
  async function family(prefix: string, opts: { block?: boolean } = {}): Promise<{ owner: Obj; names: [string, string][] }> {
    const owner = await c.cm('gc', `${prefix}-owner`);
    const ref = ownerRef(owner, opts.block ? { blockOwnerDeletion: true } : {});
    const d1 = await c.cm('gc', `${prefix}-cm1`, [ref]);
    await c.cm('gc', `${prefix}-cm2`, [ref]);
    await c.secret('gc', `${prefix}-s1`, [ref]);
    await c.secret('gc', `${prefix}-s2`, [ref, ownerRef(danglingAtStart.owner)]);
    await c.cm('gc', `${prefix}-grandchild`, [ownerRef(d1, opts.block ? { blockOwnerDeletion: true } : {})]);
    return {
      owner,
      names: [['ConfigMap', `${prefix}-cm1`], ['ConfigMap', `${prefix}-cm2`], ['Secret', `${prefix}-s1`], ['Secret', `${prefix}-s2`], ['ConfigMap', `${prefix}-grandchild`]],
    };
  }

  test('--cascade=background: the owner goes at once, the dependents (and theirs) follow', async () => {
    const f = await family('bg');
    const r = await c.kubectl(['delete', 'cm', 'bg-owner', '-n', 'gc', '--cascade=background']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap "bg-owner" deleted\n');
    assert.ok(await c.gone('v1', 'ConfigMap', 'gc', 'bg-owner'));
    for (const [kind, name] of f.names.filter(([, n]) => n !== 'bg-s2')) {
      await eventually(`${name} deleted`, () => c.gone('v1', kind, 'gc', name));
    }
    // A dependent with another owner still there keeps living, minus the dangling reference.
    const s2 = await eventually('bg-s2 loses its dangling reference', async () => {
      const o = await c.get('v1', 'Secret', 'gc', 'bg-s2');
      return o?.metadata.ownerReferences?.length === 1 ? o : undefined;
    });
    assert.equal(s2.metadata.ownerReferences![0].uid, danglingAtStart.owner.metadata.uid);
  });

  test('--cascade=background on a chain A → B → C', async () => {
    const a = await c.cm('gc', 'chain-a');
    const b = await c.cm('gc', 'chain-b', [ownerRef(a)]);
    await c.cm('gc', 'chain-c', [ownerRef(b)]);
    assert.equal((await c.kubectl(['delete', 'cm', 'chain-a', '-n', 'gc'])).code, 0);
    await eventually('chain-b deleted', () => c.gone('v1', 'ConfigMap', 'gc', 'chain-b'));
    await eventually('chain-c deleted', () => c.gone('v1', 'ConfigMap', 'gc', 'chain-c'));
  });

  test('--cascade=foreground: the owner stays, deleting, until its blocking dependents are gone', async () => {
    const f = await family('fg', { block: true });
    // A dependent held by its own finalizer shows the owner waiting.
    await c.cm('gc', 'fg-held', [ownerRef(f.owner, { blockOwnerDeletion: true })], ['example.com/hold']);
    const r = await c.kubectl(['delete', 'cm', 'fg-owner', '-n', 'gc', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    for (const [kind, name] of f.names.filter(([, n]) => n !== 'fg-s2')) {
      await eventually(`${name} deleted`, () => c.gone('v1', kind, 'gc', name));
    }
    await eventually('fg-held marked deleting', async () => !!(await c.get('v1', 'ConfigMap', 'gc', 'fg-held'))?.metadata.deletionTimestamp);
    // fg-s2 has a solid second owner: it only loses the reference to the deleting one.
    await eventually('fg-s2 keeps only its other owner', async () => (await c.get('v1', 'Secret', 'gc', 'fg-s2'))?.metadata.ownerReferences?.length === 1);
    await new Promise((r2) => setTimeout(r2, 300));
    const owner = await c.get('v1', 'ConfigMap', 'gc', 'fg-owner');
    assert.ok(owner, 'owner still there');
    assert.ok(owner.metadata.deletionTimestamp);
    assert.deepEqual(owner.metadata.finalizers, ['foregroundDeletion']);

    await c.api.patch('/api/v1/namespaces/gc/configmaps/fg-held', { metadata: { finalizers: null } });
    await eventually('fg-owner deleted', () => c.gone('v1', 'ConfigMap', 'gc', 'fg-owner'));
  });

  test('--cascade=foreground on a chain A → B → C waits for the whole chain (kubectl --wait)', async () => {
    const a = await c.cm('gc', 'fchain-a');
    const b = await c.cm('gc', 'fchain-b', [ownerRef(a, { blockOwnerDeletion: true })]);
    await c.cm('gc', 'fchain-c', [ownerRef(b, { blockOwnerDeletion: true })]);
    const r = await c.kubectl(['delete', 'cm', 'fchain-a', '-n', 'gc', '--cascade=foreground', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'configmap "fchain-a" deleted\n');
    for (const n of ['fchain-a', 'fchain-b', 'fchain-c']) assert.ok(await c.gone('v1', 'ConfigMap', 'gc', n), n);
  });

  test('--cascade=orphan: the owner goes, the dependents stay without the reference', async () => {
    const f = await family('or');
    const r = await c.kubectl(['delete', 'cm', 'or-owner', '-n', 'gc', '--cascade=orphan', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await c.gone('v1', 'ConfigMap', 'gc', 'or-owner'));
    for (const [kind, name] of f.names) {
      const o = await c.get('v1', kind, 'gc', name);
      assert.ok(o, `${name} kept`);
      const uids = (o.metadata.ownerReferences ?? []).map((x) => x.uid);
      assert.ok(!uids.includes(f.owner.metadata.uid!), `${name} no longer refers to the owner`);
    }
    assert.equal((await c.get('v1', 'Secret', 'gc', 'or-s2'))!.metadata.ownerReferences!.length, 1, 'other owner kept');
    assert.equal((await c.get('v1', 'ConfigMap', 'gc', 'or-grandchild'))!.metadata.ownerReferences!.length, 1, 'grandchild keeps its owner');
    // Nothing happens to the orphans afterwards.
    await new Promise((r2) => setTimeout(r2, 300));
    assert.ok(await c.get('v1', 'ConfigMap', 'gc', 'or-cm1'));
  });

  /** A Deployment owning a ReplicaSet owning two Pods, made by hand as the controllers would. */
  async function workload(name: string): Promise<{ deploy: Obj; rs: Obj; pods: Obj[] }> {
    const ns = 'gc';
    const deploy = await c.client.resource<Obj>('apps/v1', 'Deployment').namespace(ns).create(deploymentObj({ name, replicas: 2 }) as unknown as Obj);
    const ctl = { controller: true, blockOwnerDeletion: true };
    const labels = { app: name, 'pod-template-hash': 'abc123' };
    const rs = await c.client.resource<Obj>('apps/v1', 'ReplicaSet').namespace(ns).create({
      metadata: { name: `${name}-abc123`, labels, ownerReferences: [ownerRef(deploy, ctl)] },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'main', image: 'nginx:1.25' }] } } },
    } as Obj);
    const pods: Obj[] = [];
    for (const suffix of ['x1', 'x2']) {
      pods.push(await c.client.resource<Obj>('v1', 'Pod').namespace(ns).create({
        metadata: { name: `${name}-abc123-${suffix}`, labels, ownerReferences: [ownerRef(rs, ctl)] },
        spec: { containers: [{ name: 'main', image: 'nginx:1.25' }] },
      } as Obj));
    }
    return { deploy, rs, pods };
  }

  test('Deployment → ReplicaSet → Pods, --cascade=background', async () => {
    const w = await workload('wbg');
    assert.equal((await c.kubectl(['delete', 'deploy', 'wbg', '-n', 'gc', '--cascade=background'])).code, 0);
    await eventually('replicaset deleted', () => c.gone('apps/v1', 'ReplicaSet', 'gc', w.rs.metadata.name!));
    for (const p of w.pods) await eventually(`${p.metadata.name} deleted`, () => c.gone('v1', 'Pod', 'gc', p.metadata.name!));
  });

  test('Deployment → ReplicaSet → Pods, --cascade=foreground: pods first, then the ReplicaSet, the Deployment last', async () => {
    const w = await workload('wfg');
    // Deletion revisions, from watches: one global counter orders them.
    const ac = new AbortController();
    const deletedAt = new Map<string, number>();
    const rv0 = (await c.client.resource('v1', 'Pod').namespace('gc').list()).metadata.resourceVersion;
    const watches = [['v1', 'Pod'], ['apps/v1', 'ReplicaSet'], ['apps/v1', 'Deployment']].map(async ([av, kind]) => {
      for await (const ev of c.client.resource(av, kind).namespace('gc').watch({ resourceVersion: rv0, signal: ac.signal })) {
        if (ev.type === 'DELETED') deletedAt.set(`${kind}/${ev.object.metadata!.name!}`, Number(ev.object.metadata!.resourceVersion));
      }
    });
    const r = await c.kubectl(['delete', 'deploy', 'wfg', '-n', 'gc', '--cascade=foreground', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps "wfg" deleted\n');
    await eventually('all deletions watched', async () => deletedAt.size === 4);
    ac.abort();
    await Promise.all(watches);
    const d = deletedAt.get('Deployment/wfg')!;
    const rs = deletedAt.get(`ReplicaSet/${w.rs.metadata.name}`)!;
    for (const p of w.pods) assert.ok(deletedAt.get(`Pod/${p.metadata.name}`)! < rs, 'pods before their ReplicaSet');
    assert.ok(rs < d, 'ReplicaSet before the Deployment');
  });

  test('Deployment → ReplicaSet → Pods, --cascade=orphan: the ReplicaSet and Pods stay, the RS without its owner', async () => {
    const w = await workload('wor');
    const r = await c.kubectl(['delete', 'deploy', 'wor', '-n', 'gc', '--cascade=orphan', '--timeout=30s']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(await c.gone('apps/v1', 'Deployment', 'gc', 'wor'));
    const rs = await c.get('apps/v1', 'ReplicaSet', 'gc', w.rs.metadata.name!);
    assert.ok(rs);
    assert.equal(rs.metadata.ownerReferences, undefined);
    for (const p of w.pods) {
      const pod = await c.get('v1', 'Pod', 'gc', p.metadata.name!);
      assert.equal(pod?.metadata.ownerReferences?.[0].uid, w.rs.metadata.uid, 'pods still owned by the ReplicaSet');
    }
    // The orphaned ReplicaSet can then be deleted in the background with its pods.
    assert.equal((await c.kubectl(['delete', 'rs', w.rs.metadata.name!, '-n', 'gc'])).code, 0);
    for (const p of w.pods) await eventually(`${p.metadata.name} deleted`, () => c.gone('v1', 'Pod', 'gc', p.metadata.name!));
  });

  test('a namespace deleted in the foreground loses foregroundDeletion; spec.finalizers stay for the namespace controller', async () => {
    await c.namespace('gc-fgns');
    const r = await c.kubectl(['delete', 'ns', 'gc-fgns', '--cascade=foreground', '--wait=false']);
    assert.equal(r.code, 0, r.stderr);
    const ns = await eventually('foregroundDeletion removed', async () => {
      const o = await c.client.resource<Obj & { spec?: { finalizers?: string[] }; status?: { phase?: string } }>('v1', 'Namespace').get('gc-fgns');
      return o.metadata.finalizers === undefined ? o : undefined;
    });
    assert.equal(ns.status?.phase, 'Terminating');
    assert.deepEqual(ns.spec?.finalizers, ['kubernetes'], 'no namespace controller runs here');
  });

  test('an ownerReference naming an owner in another namespace: a Warning event, and the dependent is collected', async () => {
    await c.namespace('gc-other');
    const owner = await c.cm('gc-other', 'elsewhere');
    await c.cm('gc', 'cross-ns', [ownerRef(owner)]);
    await eventually('cross-ns deleted', () => c.gone('v1', 'ConfigMap', 'gc', 'cross-ns'));
    const events = await eventually('OwnerRefInvalidNamespace event', async () => {
      const list = await c.client.resource<KubeObject & { reason?: string; message?: string }>('v1', 'Event').namespace('gc').list();
      const found = list.items.filter((e) => e.reason === 'OwnerRefInvalidNamespace');
      return found.length ? found : undefined;
    });
    assert.match(events[0].message!, /does not exist in namespace "gc"/);
    assert.ok(await c.get('v1', 'ConfigMap', 'gc-other', 'elsewhere'), 'the owner in the other namespace is untouched');
  });
});
