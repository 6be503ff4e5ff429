// The Deployment controller's sync without a server. A small simulated
// cluster plays the API (compare-and-swap, generation, uid, timestamps) and the
// ReplicaSet controller and kubelet (pods as counts per ReplicaSet, made ready
// when told); time is a FakeClock. Rollouts are driven step by step and
// checked against maxSurge/maxUnavailable at every step.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, WorkQueue, type KubeObject } from '../../client/index.ts';
import { rfc3339, jsonEqual } from '../replicaset/util.ts';
import { DeploymentController, type DeploymentApi } from './deployment.ts';
import { computeHash, DESIRED_REPLICAS, MAX_REPLICAS, POD_TEMPLATE_HASH, REVISION, REVISION_HISTORY } from './util.ts';

const silent = pino({ level: 'silent' });

class FakeRecorder {
  events: { type: string; reason: string; message: string }[] = [];
  event(_o: KubeObject, type: string, reason: string, message: string): void { this.events.push({ type, reason, message }); }
  eventf(o: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(o, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  messages(reason: string): string[] { return this.events.filter((e) => e.reason === reason).map((e) => e.message); }
}

/** Pods as counts: how many each ReplicaSet runs, and how many of those are available. */
interface Pods { total: number; available: number }

class Cluster {
  clock = new FakeClock(Date.UTC(2024, 0, 1));
  deployments = new Indexer<Deployment>();
  rss = new Indexer<ReplicaSet>();
  pods = new Indexer<Pod>();
  recorder = new FakeRecorder();
  queue = new WorkQueue<string>({ clock: this.clock });
  calls: string[] = [];
  /** Per ReplicaSet uid. */
  running = new Map<string, Pods>();
  private rv = 1;
  private uid = 1;
  c: DeploymentController;
  api: DeploymentApi;

  constructor() {
    const conflict = (name: string): ApiError => ApiError.conflict('x', name, 'the object has been modified');
    this.api = {
      getDeployment: async (ns, name) => structuredClone(this.deployments.get(ns, name)!),
      updateDeploymentStatus: async (d) => {
        this.calls.push(`status ${d.metadata?.name}`);
        const cur = this.deployments.get(d.metadata?.namespace, d.metadata!.name!)!;
        if (cur.metadata?.resourceVersion !== d.metadata?.resourceVersion) throw conflict(d.metadata!.name!);
        // As the apiserver's status subresource: status and annotations change, nothing else.
        const next = { ...structuredClone(cur), status: structuredClone(d.status) };
        if (d.metadata?.annotations) next.metadata = { ...next.metadata, annotations: structuredClone(d.metadata.annotations) };
        return this.store(this.deployments, next);
      },
      createReplicaSet: async (ns, rs) => {
        this.calls.push(`create ${rs.metadata?.name} ${rs.spec?.replicas}`);
        if (this.rss.get(ns, rs.metadata!.name!)) throw ApiError.alreadyExists('replicasets.apps', rs.metadata!.name!, 'apps');
        const created: ReplicaSet = {
          ...structuredClone(rs), status: { replicas: 0 },
          metadata: { ...rs.metadata, uid: `rs-${this.uid++}`, generation: 1, creationTimestamp: rfc3339(this.clock.now()) },
        };
        this.running.set(created.metadata!.uid!, { total: 0, available: 0 });
        return this.store(this.rss, created);
      },
      updateReplicaSet: async (rs) => {
        const cur = this.rss.get(rs.metadata?.namespace, rs.metadata!.name!)!;
        this.calls.push(`scale ${rs.metadata?.name} ${cur.spec?.replicas}->${rs.spec?.replicas}`);
        if (cur.metadata?.resourceVersion !== rs.metadata?.resourceVersion) throw conflict(rs.metadata!.name!);
        const next: ReplicaSet = { ...structuredClone(rs), status: structuredClone(cur.status) };
        const generation = jsonEqual(cur.spec, rs.spec) ? cur.metadata!.generation! : cur.metadata!.generation! + 1;
        next.metadata = { ...next.metadata, generation };
        return this.store(this.rss, next);
      },
      patchReplicaSet: async (_ns, name) => { this.calls.push(`patchRS ${name}`); return this.rss.get('default', name)!; },
      deleteReplicaSet: async (ns, name) => {
        this.calls.push(`delete ${name}`);
        this.rss.delete(`${ns}/${name}`);
      },
    };
    this.c = new DeploymentController({
      deployments: this.deployments, replicaSets: this.rss, pods: this.pods, api: this.api,
      recorder: this.recorder, clock: this.clock, logger: silent, queue: this.queue,
    });
  }

  private store<T extends KubeObject>(idx: Indexer<T>, obj: T): T {
    obj.metadata = { ...obj.metadata, resourceVersion: String(++this.rv) };
    idx.set(obj);
    return structuredClone(obj);
  }

  deploy(replicas: number, spec: Partial<Deployment['spec']> = {}): Deployment {
    const d: Deployment = {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', uid: 'd-uid', generation: 1, creationTimestamp: rfc3339(this.clock.now()) },
      spec: {
        replicas, selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        revisionHistoryLimit: 10, progressDeadlineSeconds: 600,
        ...spec,
      },
      status: {},
    };
    return this.store(this.deployments, d);
  }

  /** A user's edit of the spec (generation bumps). */
  edit(fn: (d: Deployment) => void): void {
    const d = structuredClone(this.get());
    fn(d);
    d.metadata = { ...d.metadata, generation: d.metadata!.generation! + 1 };
    this.store(this.deployments, d);
  }

  get(): Deployment { return this.deployments.get('default', 'web')!; }
  list(): ReplicaSet[] { return [...this.rss.list('default')].sort((a, b) => (a.metadata!.uid! < b.metadata!.uid! ? -1 : 1)); }

  /** The ReplicaSet controller: pods follow spec (new ones unavailable), status follows pods. */
  rsController(): void {
    for (const rs of this.rss.list('default')) {
      const pods = this.running.get(rs.metadata!.uid!) ?? { total: 0, available: 0 };
      const want = rs.spec?.replicas ?? 1;
      pods.total = want;
      pods.available = Math.min(pods.available, want);
      this.running.set(rs.metadata!.uid!, pods);
      const status = { replicas: pods.total, readyReplicas: pods.available, availableReplicas: pods.available, observedGeneration: rs.metadata?.generation };
      if (!jsonEqual(status, rs.status)) this.store(this.rss, { ...structuredClone(rs), status });
    }
  }

  /** The kubelet: every pod becomes ready. */
  kubelet(): void {
    for (const p of this.running.values()) p.available = p.total;
    this.rsController();
  }

  totals(): Pods {
    let total = 0, available = 0;
    for (const [uid, p] of this.running) {
      if (!this.list().some((rs) => rs.metadata?.uid === uid)) continue;
      total += p.total;
      available += p.available;
    }
    return { total, available };
  }

  async sync(): Promise<void> { await this.c.sync('default/web'); }

  /** Alternates controller syncs, the ReplicaSet controller and (when `ready`) the kubelet until nothing changes. */
  async rollout(opts: { ready?: boolean; check?: () => void; max?: number } = {}): Promise<number> {
    let steps = 0;
    for (let i = 0; i < (opts.max ?? 100); i++) {
      const before = JSON.stringify([this.get(), this.list()]);
      await this.sync();
      opts.check?.();
      this.rsController();
      opts.check?.();
      if (opts.ready !== false) this.kubelet();
      opts.check?.();
      steps++;
      if (JSON.stringify([this.get(), this.list()]) === before) return steps;
    }
    throw new Error('rollout did not settle');
  }
}

const cond = (d: Deployment, type: string): [string, string] | undefined => {
  const c = d.status?.conditions?.find((x) => x.type === type);
  return c && [c.status, c.reason!];
};

test('a new Deployment: one ReplicaSet named by the template hash, revision 1, complete', async () => {
  const k = new Cluster();
  k.deploy(3);
  await k.sync();
  const [rs] = k.list();
  const hash = computeHash(k.get().spec?.template);
  assert.equal(rs.metadata?.name, `web-${hash}`);
  assert.equal(rs.metadata?.labels?.[POD_TEMPLATE_HASH], hash);
  assert.equal(rs.spec?.template?.metadata?.labels?.[POD_TEMPLATE_HASH], hash);
  assert.deepEqual(rs.spec?.selector, { matchLabels: { app: 'web', [POD_TEMPLATE_HASH]: hash } });
  assert.deepEqual(rs.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(rs.spec?.replicas, 3);
  assert.deepEqual([rs.metadata?.annotations?.[REVISION], rs.metadata?.annotations?.[DESIRED_REPLICAS], rs.metadata?.annotations?.[MAX_REPLICAS]], ['1', '3', '4']);
  assert.equal(k.get().metadata?.annotations?.[REVISION], '1');
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'NewReplicaSetCreated']);
  assert.deepEqual(k.recorder.messages('ScalingReplicaSet'), [`Scaled up replica set web-${hash} from 0 to 3`]);
  await k.rollout();
  const d = k.get();
  assert.deepEqual(cond(d, 'Available'), ['True', 'MinimumReplicasAvailable']);
  assert.deepEqual(cond(d, 'Progressing'), ['True', 'NewReplicaSetAvailable']);
  assert.deepEqual({ ...d.status, conditions: undefined }, { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: undefined });
  assert.equal(d.status?.conditions?.find((c) => c.type === 'Progressing')?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);
});

test('rolling update: never more than replicas+maxSurge pods nor fewer than replicas−maxUnavailable available', async () => {
  const k = new Cluster();
  k.deploy(10); // 25%/25%: surge 3, unavailable 2
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  let maxTotal = 0, minAvailable = Infinity;
  const check = (): void => {
    const t = k.totals();
    maxTotal = Math.max(maxTotal, t.total);
    minAvailable = Math.min(minAvailable, t.available);
    assert.ok(t.total <= 13, `${t.total} pods > 13`);
    assert.ok(t.available >= 8, `${t.available} available < 8`);
  };
  const seen = new Set<string>();
  const origSync = k.sync.bind(k);
  k.sync = async () => { await origSync(); const c = cond(k.get(), 'Progressing'); if (c) seen.add(c[1]); };
  // Pods become ready one step late: the rollout has to wait on availability.
  await k.rollout({ check });
  assert.equal(maxTotal, 13);
  assert.equal(minAvailable, 8);
  const [old, cur] = k.list();
  assert.equal(old.spec?.replicas, 0);
  assert.equal(cur.spec?.replicas, 10);
  assert.equal(cur.metadata?.annotations?.[REVISION], '2');
  assert.equal(k.get().metadata?.annotations?.[REVISION], '2');
  assert.ok(seen.has('NewReplicaSetCreated') && seen.has('ReplicaSetUpdated') && seen.has('NewReplicaSetAvailable'), [...seen].join());
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'NewReplicaSetAvailable']);
  const scaling = k.recorder.messages('ScalingReplicaSet');
  assert.ok(scaling.includes(`Scaled up replica set ${cur.metadata?.name} from 0 to 3`), scaling.join('\n'));
  assert.ok(scaling.some((m) => m.startsWith(`Scaled down replica set ${old.metadata?.name} from 10 to 8`)), scaling.join('\n'));
});

test('maxUnavailable 0 with surge 1 moves one pod at a time', async () => {
  const k = new Cluster();
  k.deploy(4, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } } });
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await k.rollout({ check: () => { const t = k.totals(); assert.ok(t.total <= 5 && t.available >= 4, JSON.stringify(t)); } });
  assert.deepEqual(k.list().map((rs) => rs.spec?.replicas), [0, 4]);
});

test('rollback: the old template makes the old ReplicaSet new again with a higher revision', async () => {
  const k = new Cluster();
  k.deploy(2);
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:1'; });
  await k.rollout();
  const [v1, v2] = k.list();
  assert.equal(k.list().length, 2, 'no third ReplicaSet');
  assert.deepEqual([v1.spec?.replicas, v2.spec?.replicas], [2, 0]);
  assert.equal(v1.metadata?.annotations?.[REVISION], '3');
  assert.equal(v1.metadata?.annotations?.[REVISION_HISTORY], '1');
  assert.equal(v2.metadata?.annotations?.[REVISION], '2');
  assert.equal(k.get().metadata?.annotations?.[REVISION], '3');
});

test('revisionHistoryLimit: old scaled-down ReplicaSets beyond the limit are deleted, oldest revision first', async () => {
  const k = new Cluster();
  k.deploy(1, { revisionHistoryLimit: 2 });
  await k.rollout();
  for (let i = 2; i <= 5; i++) {
    await k.clock.advance(1000); // distinct creation times
    k.edit((d) => { d.spec!.template!.spec!.containers[0].image = `nginx:${i}`; });
    await k.rollout();
  }
  const revisions = k.list().map((rs) => rs.metadata?.annotations?.[REVISION]).sort();
  assert.deepEqual(revisions, ['3', '4', '5']);
  const v1 = computeHash({ metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } });
  assert.deepEqual(k.calls.filter((c) => c.startsWith('delete ')).length, 2);
  assert.ok(k.calls.includes(`delete web-${v1}`));
});

test('scaling mid-rollout is proportional across ReplicaSets', async () => {
  const k = new Cluster();
  k.deploy(10, { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } } });
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await k.sync(); // new RS created at 3, old RS down to 8 (13 pods, 3 new unavailable)
  k.rsController();
  assert.deepEqual(k.list().map((rs) => rs.spec?.replicas), [8, 3]);
  k.edit((d) => { d.spec!.replicas = 20; });
  await k.sync();
  // Allowed 23 = 20 + 3, sized for 13: 8·23/13 ≈ 14, 3·23/13 ≈ 5; the 4 left over go to the largest.
  assert.deepEqual(k.list().map((rs) => rs.spec?.replicas), [18, 5]);
  assert.deepEqual(k.list().map((rs) => rs.metadata?.annotations?.[DESIRED_REPLICAS]), ['20', '20']);
  await k.rollout();
  assert.deepEqual(k.list().map((rs) => rs.spec?.replicas), [0, 20]);
});

test('Recreate: old pods all gone before the new ReplicaSet is created, then it starts at full size', async () => {
  const k = new Cluster();
  k.deploy(3, { strategy: { type: 'Recreate' } });
  await k.rollout();
  k.edit((d) => { d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  // A terminating old pod is still around.
  const oldRS = k.list()[0];
  k.pods.set({ metadata: { name: 'old-pod', namespace: 'default', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: oldRS.metadata!.name!, uid: oldRS.metadata!.uid!, controller: true }] }, status: { phase: 'Running' } });
  await k.sync();
  assert.equal(k.list()[0].spec?.replicas, 0);
  assert.equal(k.list().length, 1);
  k.rsController();
  await k.sync();
  assert.equal(k.list().length, 1, 'a pod of the old ReplicaSet still runs: no new ReplicaSet');
  k.pods.delete('default/old-pod');
  await k.sync();
  assert.equal(k.list().length, 2);
  assert.equal(k.list()[1].spec?.replicas, 3);
  await k.rollout();
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'NewReplicaSetAvailable']);
});

test('paused: no rollout, Progressing Unknown/DeploymentPaused; resumed: DeploymentResumed, then the rollout', async () => {
  const k = new Cluster();
  k.deploy(2);
  await k.rollout();
  k.edit((d) => { d.spec!.paused = true; d.spec!.template!.spec!.containers[0].image = 'nginx:2'; });
  await k.rollout();
  assert.equal(k.list().length, 1);
  assert.deepEqual(cond(k.get(), 'Progressing'), ['Unknown', 'DeploymentPaused']);
  k.edit((d) => { d.spec!.paused = false; });
  await k.sync();
  assert.equal(k.list().length, 2);
  await k.rollout();
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'NewReplicaSetAvailable']);
});

test('progressDeadlineSeconds: no progress for that long sets ProgressDeadlineExceeded; a requeue is scheduled for it', async () => {
  const k = new Cluster();
  k.deploy(2, { progressDeadlineSeconds: 30 });
  await k.rollout({ ready: false });
  // Pods were created (updatedReplicas grew): progress, then nothing.
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'ReplicaSetUpdated']);
  // The next look is due when the deadline passes.
  while (k.queue.len()) k.queue.done((await k.queue.get())!);
  await k.clock.advance(31_000);
  assert.equal(k.queue.len(), 1);
  await k.sync();
  assert.deepEqual(cond(k.get(), 'Progressing'), ['False', 'ProgressDeadlineExceeded']);
  assert.equal(k.get().status?.conditions?.find((c) => c.type === 'Progressing')?.message, `ReplicaSet "${k.list()[0].metadata?.name}" has timed out progressing.`);
  assert.deepEqual(cond(k.get(), 'Available'), ['False', 'MinimumReplicasUnavailable']);
  // Progress afterwards completes it.
  k.kubelet();
  await k.rollout();
  assert.deepEqual(cond(k.get(), 'Progressing'), ['True', 'NewReplicaSetAvailable']);
});

test('hash collision with a ReplicaSet that is not ours bumps collisionCount, and the next name differs', async () => {
  const k = new Cluster();
  const d = k.deploy(1);
  const hash = computeHash(d.spec?.template);
  await k.api.createReplicaSet('default', {
    metadata: { name: `web-${hash}`, namespace: 'default', labels: { other: 'x' } },
    spec: { replicas: 0, selector: { matchLabels: { other: 'x' } }, template: { metadata: { labels: { other: 'x' } }, spec: { containers: [{ name: 'c', image: 'other' }] } } },
  });
  await assert.rejects(k.sync(), /already exists/);
  assert.equal(k.get().status?.collisionCount, 1);
  await k.sync();
  const ours = k.list().find((rs) => rs.metadata?.ownerReferences?.[0]?.uid === 'd-uid');
  assert.equal(ours?.metadata?.name, `web-${computeHash(d.spec?.template, 1)}`);
});

test('a selector that selects everything is refused with a SelectingAll warning', async () => {
  const k = new Cluster();
  k.deploy(1, { selector: {} });
  await k.sync();
  assert.equal(k.list().length, 0);
  assert.deepEqual(k.recorder.events.map((e) => [e.type, e.reason]), [['Warning', 'SelectingAll']]);
  assert.equal(k.get().status?.observedGeneration, 1);
});

test('handlers: ReplicaSet and pod events reach the owning Deployment', () => {
  const k = new Cluster();
  const d = k.deploy(1, { strategy: { type: 'Recreate' } });
  const rs: ReplicaSet = { metadata: { name: 'web-1', namespace: 'default', uid: 'r1', resourceVersion: '5', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true }] } };
  k.rss.set(rs);
  k.c.replicaSetHandler().update!({ ...rs, metadata: { ...rs.metadata, resourceVersion: '4' } }, rs);
  assert.equal(k.queue.len(), 1);
  const orphan: ReplicaSet = { metadata: { name: 'x', namespace: 'default', uid: 'r2', labels: { app: 'web' } } };
  const fresh = new Cluster();
  fresh.deployments.set(d);
  fresh.c.replicaSetHandler().add!(orphan);
  assert.equal(fresh.queue.len(), 1, 'an orphan matching the selector wakes the Deployment');
  const q = new Cluster();
  q.deployments.set(d);
  q.rss.set(rs);
  q.c.podHandler().delete!({ metadata: { name: 'p', namespace: 'default', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-1', uid: 'r1', controller: true }] } });
  assert.equal(q.queue.len(), 1, 'Recreate: the last pod gone wakes the Deployment');
});
