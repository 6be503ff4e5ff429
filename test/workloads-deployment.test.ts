// The Deployment and ReplicaSet controllers against a real in-process API
// server, run by the test itself (no controller manager), with the fake
// kubelet making pods Running/Ready, driven through the API and the real
// kubectl (rollout status|history|undo|pause|resume|restart, scale):
// scale 3 → 10 → 0; a rolling update watched pod by pod (never above
// replicas+maxSurge, never below replicas−maxUnavailable available); rollback;
// revision history limit; Recreate; the progress deadline.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Event as CoreEvent, Pod } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from './helpers/testserver.ts';
import type { ResourceClient } from '../src/client/index.ts';
import { replicaSetController } from '../src/controllers/replicaset/index.ts';
import { deploymentController, REVISION } from '../src/controllers/deployment/index.ts';
import { FakeKubelet, runControllers, type RunningControllers } from './helpers/fake-kubelet.ts';
import { KUBECTL, run, type RunResult } from './helpers/pilot.ts';

let ts: TestServer;
let controllers: RunningControllers;
let kubelet: FakeKubelet;
let deployments: ResourceClient<Deployment>;
let rss: ResourceClient<ReplicaSet>;
let pods: ResourceClient<Pod>;
let cacheDir: string;
/** Pods of Deployments named here never become ready (the deadline test). */
const stalled = new Set<string>();

before(async () => {
  ts = await startTestServer({ controllers: [] });
  // No serviceaccount controller here: pods need their account to exist (ServiceAccount admission), as upstream.
  await ts.client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } });
  deployments = ts.client.resource<Deployment>('apps/v1', 'Deployment').namespace('default');
  rss = ts.client.resource<ReplicaSet>('apps/v1', 'ReplicaSet').namespace('default');
  pods = ts.client.resource<Pod>('v1', 'Pod').namespace('default');
  controllers = runControllers(ts.client, [replicaSetController(), deploymentController()]);
  kubelet = await new FakeKubelet(ts.newClient({ qps: 0 }), { ready: (p) => !stalled.has(p.metadata?.labels?.app ?? '') }).start();
  cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-kcache-'));
});

after(async () => {
  await kubelet?.stop();
  await controllers?.stop();
  await ts?.close();
  if (cacheDir) fs.rmSync(cacheDir, { recursive: true, force: true });
});

function kubectl(...args: string[]): Promise<RunResult> {
  return run(KUBECTL, ['--kubeconfig', ts.server.kubeconfigPath, '--cache-dir', cacheDir, ...args], { timeoutMs: 30_000 });
}

async function k(...args: string[]): Promise<string> {
  const r = await kubectl(...args);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 15_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function deployment(name: string, replicas: number, spec: Partial<Deployment['spec']> = {}): Deployment {
  return {
    metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image: 'registry.local/app:1' }] } },
      ...spec,
    },
  };
}

const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
const condition = (d: Deployment, type: string): string | undefined => {
  const c = d.status?.conditions?.find((x) => x.type === type);
  return c && `${c.status}/${c.reason}`;
};

/** The rollout finished as upstream reports it: latest generation observed, all replicas updated and available, NewReplicaSetAvailable. */
async function rolledOut(name: string, ms = 20_000): Promise<Deployment> {
  return until(`${name} rolled out`, async () => {
    const d = await deployments.get(name);
    const s = d.status ?? {};
    const n = d.spec?.replicas ?? 1;
    const live = (await pods.list({ labelSelector: `app=${name}` })).items.filter((p) => !p.metadata?.deletionTimestamp);
    return (s.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (s.updatedReplicas ?? 0) === n && (s.replicas ?? 0) === n
      && (s.availableReplicas ?? 0) === n && live.length === n && condition(d, 'Progressing') === 'True/NewReplicaSetAvailable' && d;
  }, ms);
}

async function ownedReplicaSets(name: string): Promise<ReplicaSet[]> {
  const d = await deployments.get(name);
  return (await rss.list({ labelSelector: `app=${name}` })).items
    .filter((rs) => rs.metadata?.ownerReferences?.some((r) => r.uid === d.metadata?.uid))
    .sort((a, b) => Number(a.metadata?.annotations?.[REVISION]) - Number(b.metadata?.annotations?.[REVISION]));
}

test('scale 3 → 10 → 0 through kubectl scale; one ReplicaSet named <deploy>-<hash>; conditions and revision', async () => {
  await deployments.create(deployment('web', 3));
  let d = await rolledOut('web');
  assert.equal(d.metadata?.annotations?.[REVISION], '1');
  assert.equal(condition(d, 'Available'), 'True/MinimumReplicasAvailable');
  const [rs] = await ownedReplicaSets('web');
  const hash = rs.metadata?.labels?.['pod-template-hash'];
  assert.match(hash ?? '', /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(rs.metadata?.name, `web-${hash}`);
  for (const p of (await pods.list({ labelSelector: 'app=web' })).items) {
    assert.match(p.metadata!.name!, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
    assert.equal(p.metadata?.labels?.['pod-template-hash'], hash);
  }
  await k('scale', 'deployment/web', '--replicas=10');
  d = await rolledOut('web');
  assert.equal(d.status?.readyReplicas, 10);
  await k('scale', 'deployment/web', '--replicas=0');
  d = await until('scaled to 0', async () => {
    const x = await deployments.get('web');
    const live = (await pods.list({ labelSelector: 'app=web' })).items;
    return x.status?.observedGeneration === x.metadata?.generation && !x.status?.replicas && live.length === 0 && x;
  });
  assert.deepEqual((await ownedReplicaSets('web')).map((r) => r.spec?.replicas), [0]);
  const events = (await ts.client.resource<CoreEvent>('v1', 'Event').namespace('default').list({ fieldSelector: 'involvedObject.name=web' })).items;
  const messages = events.filter((e) => e.reason === 'ScalingReplicaSet').map((e) => e.message);
  assert.ok(messages.includes(`Scaled up replica set web-${hash} from 0 to 3`), messages.join('\n'));
  assert.ok(messages.includes(`Scaled up replica set web-${hash} from 3 to 10`), messages.join('\n'));
  assert.ok(messages.includes(`Scaled down replica set web-${hash} from 10 to 0`), messages.join('\n'));
  assert.equal(events[0].source?.component, 'deployment-controller');
});

test('rolling update: watched pod by pod, never above replicas+maxSurge nor below replicas−maxUnavailable available', async () => {
  // 10 replicas, 25%/25%: surge rounds up to 3, unavailable down to 2.
  await deployments.create(deployment('roll', 10));
  await rolledOut('roll');
  const list = await pods.list({ labelSelector: 'app=roll' });
  const state = new Map<string, Pod>(list.items.map((p) => [p.metadata!.name!, p]));
  const abort = new AbortController();
  let maxActive = 0, minAvailable = Infinity, events = 0;
  const violations: string[] = [];
  const watching = (async () => {
    for await (const ev of pods.watch({ labelSelector: 'app=roll', resourceVersion: list.metadata.resourceVersion, signal: abort.signal })) {
      if (ev.type === 'BOOKMARK') continue;
      events++;
      if (ev.type === 'DELETED') state.delete(ev.object.metadata!.name!);
      else state.set(ev.object.metadata!.name!, ev.object);
      const active = [...state.values()].filter((p) => !p.metadata?.deletionTimestamp);
      const available = active.filter(isReady).length;
      maxActive = Math.max(maxActive, active.length);
      minAvailable = Math.min(minAvailable, available);
      if (active.length > 13 || available < 8) violations.push(`after ${ev.type} ${ev.object.metadata?.name}: ${active.length} pods, ${available} available`);
    }
  })().catch((e: unknown) => { if (!abort.signal.aborted) throw e; });

  const started = Date.now();
  await deployments.patch('roll', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'registry.local/app:2' }] } } } });
  const d = await rolledOut('roll');
  const ms = Date.now() - started;
  await new Promise((r) => setTimeout(r, 200));
  abort.abort();
  await watching;
  process.stdout.write(`# deployment: rolling update of 10 pods in ${ms} ms (${events} pod events; max ${maxActive} pods, min ${minAvailable} available)\n`);
  assert.deepEqual(violations, []);
  assert.ok(maxActive > 10, 'the rollout surged');
  assert.equal(d.metadata?.annotations?.[REVISION], '2');
  const owned = await ownedReplicaSets('roll');
  assert.deepEqual(owned.map((r) => [r.metadata?.annotations?.[REVISION], r.spec?.replicas]), [['1', 0], ['2', 10]]);
  assert.deepEqual(owned.map((r) => [r.metadata?.annotations?.['deployment.kubernetes.io/desired-replicas'], r.metadata?.annotations?.['deployment.kubernetes.io/max-replicas']]), [['10', '13'], ['10', '13']]);
  const live = (await pods.list({ labelSelector: 'app=roll' })).items;
  assert.ok(live.every((p) => p.spec?.containers[0].image === 'registry.local/app:2'));
});

test('kubectl rollout status, history, undo, pause, resume, restart', async () => {
  await k('create', 'deployment', 'kc', '--image=registry.local/app:1', '--replicas=2');
  const status = await k('rollout', 'status', 'deployment/kc', '--timeout=20s');
  assert.match(status, /deployment "kc" successfully rolled out/);

  await k('set', 'image', 'deployment/kc', 'app=registry.local/app:2');
  await k('annotate', 'deployment/kc', 'kubernetes.io/change-cause=to v2');
  assert.match(await k('rollout', 'status', 'deployment/kc', '--timeout=20s'), /successfully rolled out/);
  await rolledOut('kc');
  const history = await k('rollout', 'history', 'deployment/kc');
  assert.match(history, /REVISION\s+CHANGE-CAUSE\n1\s+<none>\n2\s+to v2\n/);
  assert.match(await k('rollout', 'history', 'deployment/kc', '--revision=1'), /Image:\s+registry\.local\/app:1/);

  // Undo: back to the first template, now revision 3.
  assert.match(await k('rollout', 'undo', 'deployment/kc'), /deployment.apps\/kc rolled back/);
  let d = await rolledOut('kc');
  assert.equal(d.spec?.template?.spec?.containers[0].image, 'registry.local/app:1');
  assert.equal(d.metadata?.annotations?.[REVISION], '3');
  const owned = await ownedReplicaSets('kc');
  assert.equal(owned.length, 2, 'the old ReplicaSet came back; no third one');
  assert.equal(owned[1].spec?.template?.spec?.containers[0].image, 'registry.local/app:1');
  assert.equal(owned[1].metadata?.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.match(await k('rollout', 'history', 'deployment/kc'), /\n2\s+to v2\n3\s+<none>\n/);

  // Paused: template changes wait; resumed: they roll.
  await k('rollout', 'pause', 'deployment/kc');
  await k('set', 'image', 'deployment/kc', 'app=registry.local/app:4');
  d = await until('paused condition', async () => {
    const x = await deployments.get('kc');
    return x.status?.observedGeneration === x.metadata?.generation && condition(x, 'Progressing') === 'Unknown/DeploymentPaused' && x;
  });
  assert.equal((await ownedReplicaSets('kc')).length, 2, 'no new ReplicaSet while paused');
  const paused = await kubectl('rollout', 'status', 'deployment/kc', '--timeout=1s');
  assert.notEqual(paused.code, 0);
  await k('rollout', 'resume', 'deployment/kc');
  assert.match(await k('rollout', 'status', 'deployment/kc', '--timeout=20s'), /successfully rolled out/);
  d = await rolledOut('kc');
  assert.equal(d.metadata?.annotations?.[REVISION], '4');

  // Restart: a new template annotation, so new pods.
  const before = new Set((await pods.list({ labelSelector: 'app=kc' })).items.map((p) => p.metadata?.name));
  await k('rollout', 'restart', 'deployment/kc');
  assert.match(await k('rollout', 'status', 'deployment/kc', '--timeout=20s'), /successfully rolled out/);
  d = await rolledOut('kc');
  assert.ok(d.spec?.template?.metadata?.annotations?.['kubectl.kubernetes.io/restartedAt']);
  const after = (await pods.list({ labelSelector: 'app=kc' })).items.filter((p) => !p.metadata?.deletionTimestamp);
  assert.ok(after.every((p) => !before.has(p.metadata?.name)), 'every pod replaced');
  assert.equal(d.metadata?.annotations?.[REVISION], '5');
  const describe = await k('describe', 'deployment', 'kc');
  assert.match(describe, /Available\s+True\s+MinimumReplicasAvailable/);
  assert.match(describe, /Progressing\s+True\s+NewReplicaSetAvailable/);
  assert.match(describe, /NewReplicaSet:\s+kc-\w+ \(2\/2 replicas created\)/);
});

test('revisionHistoryLimit: only that many old ReplicaSets are kept', async () => {
  await deployments.create(deployment('hist', 1, { revisionHistoryLimit: 2 }));
  await rolledOut('hist');
  for (let i = 2; i <= 5; i++) {
    await deployments.patch('hist', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: `registry.local/app:${i}` }] } } } });
    await rolledOut('hist');
  }
  const owned = await until('old ReplicaSets pruned', async () => {
    const l = await ownedReplicaSets('hist');
    return l.length === 3 && l;
  });
  assert.deepEqual(owned.map((r) => r.metadata?.annotations?.[REVISION]), ['3', '4', '5']);
  assert.deepEqual(owned.map((r) => r.spec?.replicas), [0, 0, 1]);
});

test('Recreate: every old pod is gone before the first new one is created', async () => {
  await deployments.create(deployment('rec', 4, { strategy: { type: 'Recreate' } }));
  await rolledOut('rec');
  const list = await pods.list({ labelSelector: 'app=rec' });
  const oldNames = new Set(list.items.map((p) => p.metadata!.name!));
  const present = new Set(oldNames);
  const abort = new AbortController();
  const problems: string[] = [];
  let newSeen = 0;
  const watching = (async () => {
    for await (const ev of pods.watch({ labelSelector: 'app=rec', resourceVersion: list.metadata.resourceVersion, signal: abort.signal })) {
      if (ev.type === 'BOOKMARK') continue;
      const name = ev.object.metadata!.name!;
      if (ev.type === 'DELETED') { present.delete(name); continue; }
      if (ev.type === 'ADDED' && !oldNames.has(name)) {
        newSeen++;
        const left = [...present].filter((n) => oldNames.has(n));
        if (left.length) problems.push(`${name} created while old pods remain: ${left.join(', ')}`);
      }
    }
  })().catch((e: unknown) => { if (!abort.signal.aborted) throw e; });
  await deployments.patch('rec', 'strategic', { spec: { template: { spec: { containers: [{ name: 'c', image: 'registry.local/app:2' }] } } } });
  const d = await rolledOut('rec');
  abort.abort();
  await watching;
  assert.deepEqual(problems, []);
  assert.equal(newSeen, 4);
  assert.equal(d.metadata?.annotations?.[REVISION], '2');
});

test('progressDeadlineSeconds: a rollout that makes no progress reports ProgressDeadlineExceeded and kubectl rollout status fails', async () => {
  stalled.add('stuck');
  await deployments.create(deployment('stuck', 2, { progressDeadlineSeconds: 2 }));
  const d = await until('deadline exceeded', async () => {
    const x = await deployments.get('stuck');
    return condition(x, 'Progressing') === 'False/ProgressDeadlineExceeded' && x;
  }, 10_000);
  assert.equal(condition(d, 'Available'), 'False/MinimumReplicasUnavailable');
  assert.equal(d.status?.unavailableReplicas, 2);
  const r = await kubectl('rollout', 'status', 'deployment/stuck', '--timeout=5s');
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /deployment "stuck" exceeded its progress deadline/);
  // Pods becoming ready completes it.
  stalled.delete('stuck');
  kubelet.poke();
  await rolledOut('stuck');
});
