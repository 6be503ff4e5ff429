// The DaemonSet controller's sync without a server: listers are plain
// indexers, the API is a fake that records calls and (like an informer)
// shows its writes to the controller, time is a FakeClock.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { FakeClock } from '../../base/clock.ts';
import { ApiError } from '../../base/errors.ts';
import { Indexer, objectKey, WorkQueue, type KubeObject } from '../../client/index.ts';
import { rfc3339 } from '../replicaset/util.ts';
import { DaemonSetsController, type DaemonSetApi } from './daemonset.ts';
import { REVISION_HASH_LABEL, TEMPLATE_GENERATION_ANNOTATION, TEMPLATE_GENERATION_LABEL, templateHash } from './history.ts';
import { targetNodeName } from './node-affinity.ts';
import { groupByNode } from './pods.ts';
import { planRollingUpdate } from './rolling-update.ts';
import { calculateDaemonSetCounts } from './status.ts';

const silent = pino({ level: 'silent' });
const KEY = 'default/agent';

interface Call { op: string; name?: string; body?: unknown }
/** kubernetes-types marks status and server-set metadata read-only; the fake API writes them. */
type Writable<T> = { -readonly [K in keyof T]: T[K] };

class FakeRecorder {
  events: { reason: string; type: string; message: string }[] = [];
  event(_obj: KubeObject, type: string, reason: string, message: string): void {
    this.events.push({ type, reason, message });
  }
  eventf(obj: KubeObject, type: string, reason: string, fmt: string, ...args: unknown[]): void {
    this.event(obj, type, reason, fmt.replace(/%[sdv]/g, () => String(args.shift())));
  }
  messages(reason: string): string[] { return this.events.filter((e) => e.reason === reason).map((e) => e.message); }
}

class Fixture {
  clock = new FakeClock();
  dss = new Indexer<DaemonSet>();
  pods = new Indexer<Pod>();
  nodes = new Indexer<Node>();
  crs = new Indexer<ControllerRevision>();
  calls: Call[] = [];
  recorder = new FakeRecorder();
  queue = new WorkQueue<string>({ clock: this.clock });
  /** Whether writes show up in the caches (and handlers) at once. */
  observe = true;
  private seq = 100;
  api: DaemonSetApi;
  c: DaemonSetsController;

  constructor() {
    const notFound = (res: string, name: string): ApiError => ApiError.notFound(res, name);
    this.api = {
      getDaemonSet: async (ns, name) => {
        const ds = this.dss.get(ns, name);
        if (!ds) throw notFound('daemonsets.apps', name);
        return structuredClone(ds);
      },
      updateDaemonSetStatus: async (ds) => {
        this.calls.push({ op: 'updateStatus', body: ds.status });
        const next = { ...structuredClone(ds), metadata: { ...ds.metadata, resourceVersion: String(++this.seq) } };
        this.dss.set(next);
        return next;
      },
      createPod: async (ns, pod) => {
        this.calls.push({ op: 'createPod', body: pod });
        const n = ++this.seq;
        const created: Pod = {
          ...structuredClone(pod),
          metadata: { ...pod.metadata, name: `${pod.metadata!.generateName}p${n}`, namespace: ns, uid: `pod-${n}`, resourceVersion: String(n), creationTimestamp: rfc3339(this.clock.now()) },
          status: { phase: 'Pending' },
        };
        if (this.observe) this.addPod(created);
        return created;
      },
      deletePod: async (ns, name, opts) => {
        this.calls.push({ op: 'deletePod', name, body: opts });
        const p = this.pods.get(ns, name);
        if (!p) throw notFound('pods', name);
        if (this.observe) {
          this.pods.delete(objectKey(p));
          this.c.podHandler().delete!(p);
        }
      },
      patchPod: async (ns, name, patch) => {
        this.calls.push({ op: 'patchPod', name, body: patch });
        const p = this.pods.get(ns, name);
        const refs = (patch as { metadata?: { ownerReferences?: Pod['metadata'] extends infer M ? M extends { ownerReferences?: infer R } ? R : never : never } }).metadata?.ownerReferences;
        if (p && refs && !refs.some((r) => (r as { $patch?: string }).$patch)) {
          this.pods.set({ ...structuredClone(p), metadata: { ...p.metadata, ownerReferences: refs, resourceVersion: String(++this.seq) } });
        }
      },
      getRevision: async (ns, name) => {
        const cr = this.crs.get(ns, name);
        if (!cr) throw notFound('controllerrevisions.apps', name);
        return structuredClone(cr);
      },
      createRevision: async (ns, cr) => {
        this.calls.push({ op: 'createRevision', name: cr.metadata?.name, body: cr });
        if (this.crs.get(ns, cr.metadata!.name!)) throw new ApiError(409, 'AlreadyExists', `controllerrevisions.apps "${cr.metadata!.name}" already exists`);
        const created = { ...structuredClone(cr), metadata: { ...cr.metadata, namespace: ns, uid: `cr-${++this.seq}`, resourceVersion: String(this.seq) } };
        this.crs.set(created);
        return created;
      },
      updateRevision: async (_ns, cr) => {
        this.calls.push({ op: 'updateRevision', name: cr.metadata?.name, body: cr });
        const next = { ...structuredClone(cr), metadata: { ...cr.metadata, resourceVersion: String(++this.seq) } };
        this.crs.set(next);
        return next;
      },
      deleteRevision: async (ns, name) => {
        this.calls.push({ op: 'deleteRevision', name });
        const cr = this.crs.get(ns, name);
        if (!cr) throw notFound('controllerrevisions.apps', name);
        this.crs.delete(objectKey(cr));
      },
      patchRevision: async (_ns, name, patch) => { this.calls.push({ op: 'patchRevision', name, body: patch }); },
      getNode: async (name) => {
        this.calls.push({ op: 'getNode', name });
        const n = this.nodes.get('', name);
        if (!n) throw notFound('nodes', name);
        return n;
      },
    };
    this.c = new DaemonSetsController({
      daemonSets: this.dss, pods: this.pods, nodes: this.nodes, revisions: this.crs, api: this.api,
      recorder: this.recorder, clock: this.clock, logger: silent, queue: this.queue,
    });
  }

  addPod(p: Pod): void {
    this.pods.set(p);
    this.c.podHandler().add!(p);
  }

  updatePod(name: string, fn: (p: Writable<Pod>) => void): Pod {
    const old = this.pods.get('default', name)!;
    const next: Writable<Pod> = structuredClone(old);
    fn(next);
    next.metadata = { ...next.metadata, resourceVersion: String(++this.seq) };
    this.pods.set(next);
    this.c.podHandler().update!(old, next);
    return next;
  }

  node(name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node {
    const n: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name, labels, uid: `node-${name}`, resourceVersion: String(++this.seq) }, spec: taints.length ? { taints } : {} };
    const old = this.nodes.get('', name);
    this.nodes.set(n);
    if (old) this.c.nodeHandler().update!(old, n); else this.c.nodeHandler().add!(n);
    return n;
  }

  removeNode(name: string): void {
    const n = this.nodes.get('', name)!;
    this.nodes.delete(name);
    this.c.nodeHandler().delete!(n);
  }

  ds(spec: Partial<NonNullable<DaemonSet['spec']>> = {}, generation = 1): DaemonSet {
    const d: DaemonSet = {
      apiVersion: 'apps/v1', kind: 'DaemonSet',
      metadata: {
        name: 'agent', namespace: 'default', uid: 'ds-uid', generation, resourceVersion: String(++this.seq),
        annotations: { [TEMPLATE_GENERATION_ANNOTATION]: String(generation) },
      },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'c', image: 'agent:1' }] } },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
        revisionHistoryLimit: 10,
        ...spec,
      },
      status: { ...(this.dss.get('default', 'agent')?.status ?? { currentNumberScheduled: 0, desiredNumberScheduled: 0, numberMisscheduled: 0, numberReady: 0 }) },
    };
    this.dss.set(d);
    return d;
  }

  /** A new template image: what `kubectl set image` does (the apiserver bumps generation and template generation). */
  setImage(image: string): DaemonSet {
    const cur = this.dss.get('default', 'agent')!;
    const spec = structuredClone(cur.spec!);
    spec.template.spec!.containers[0].image = image;
    return this.ds(spec, (cur.metadata?.generation ?? 1) + 1);
  }

  /** What the scheduler and kubelet do: bind each pending pod to its pinned node, then Running (and Ready unless told). */
  runPods(ready: (p: Pod) => boolean = () => true): void {
    for (const p of this.pods.list('default')) {
      if (p.metadata?.deletionTimestamp || p.status?.phase === 'Failed') continue;
      const isReady = ready(p);
      const cur = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      if (p.spec?.nodeName && p.status?.phase === 'Running' && cur === isReady) continue;
      this.updatePod(p.metadata!.name!, (q) => {
        q.spec!.nodeName = targetNodeName(q);
        q.status = { phase: 'Running', conditions: [{ type: 'Ready', status: isReady ? 'True' : 'False', lastTransitionTime: rfc3339(this.clock.now()) }] };
      });
    }
  }

  sync(): Promise<void> { return this.c.sync(KEY); }
  ops(op: string): Call[] { return this.calls.filter((c) => c.op === op); }
  reset(): void { this.calls = []; this.recorder.events = []; }
  podsOn(node: string): Pod[] { return this.pods.list('default').filter((p) => targetNodeName(p) === node); }
  status(): NonNullable<DaemonSet['status']> { return this.dss.get('default', 'agent')!.status!; }
}

function threeNodes(f: Fixture): void {
  f.node('n1');
  f.node('n2');
  f.node('n3');
}

test('one pod per node, pinned by node affinity, labelled with the revision; events as upstream', async () => {
  const f = new Fixture();
  threeNodes(f);
  const ds = f.ds();
  await f.sync();
  const created = f.ops('createPod').map((c) => c.body as Pod);
  assert.equal(created.length, 3);
  const hash = templateHash(ds);
  assert.deepEqual(created.map((p) => targetNodeName(p)).sort(), ['n1', 'n2', 'n3']);
  for (const p of created) {
    assert.equal(p.metadata?.generateName, 'agent-');
    assert.deepEqual(p.metadata?.labels, { app: 'agent', [TEMPLATE_GENERATION_LABEL]: '1', [REVISION_HASH_LABEL]: hash });
    assert.deepEqual(p.metadata?.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
    assert.equal(p.spec?.nodeName, undefined, 'the scheduler binds it');
    const term = p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    assert.equal(term?.length, 1);
    assert.equal(term?.[0].matchFields?.[0].key, 'metadata.name');
    assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute'));
  }
  assert.deepEqual(f.recorder.messages('SuccessfulCreate').sort(), f.pods.list('default').map((p) => `Created pod: ${p.metadata!.name}`).sort());

  // The revision: <ds>-<hash>, revision 1, data a patch replacing the template.
  const revs = f.ops('createRevision').map((c) => c.body as ControllerRevision);
  assert.equal(revs.length, 1);
  assert.equal(revs[0].metadata?.name, `agent-${hash}`);
  assert.equal(revs[0].revision, 1);
  assert.equal(revs[0].metadata?.labels?.[REVISION_HASH_LABEL], hash);
  const data = revs[0].data as { spec: { template: Record<string, unknown> } };
  assert.equal(data.spec.template.$patch, 'replace');
  assert.deepEqual(Object.keys(data.spec.template), ['$patch', 'metadata', 'spec'], 'keys sorted as Go marshals a map');

  // Status: 3 desired and scheduled, none ready yet.
  assert.deepEqual(f.status(), {
    currentNumberScheduled: 3, desiredNumberScheduled: 3, numberMisscheduled: 0, numberReady: 0,
    updatedNumberScheduled: 3, numberUnavailable: 3, observedGeneration: 1,
  }, 'zero optional counts are omitted, as upstream serializes them');
  f.runPods();
  f.reset();
  await f.sync();
  assert.equal(f.ops('createPod').length, 0, 'steady state creates nothing');
  assert.equal(f.ops('createRevision').length, 0, 'the revision is reused');
  assert.equal(f.status().numberReady, 3);
  assert.equal(f.status().numberAvailable, 3);
  assert.equal(f.status().numberUnavailable, undefined);
  f.reset();
  await f.sync();
  assert.equal(f.ops('updateStatus').length, 0, 'an unchanged status is not written');
});

test('expectations: a lagging cache does not make it create twice', async () => {
  const f = new Fixture();
  threeNodes(f);
  f.ds();
  f.observe = false;
  await f.sync();
  await f.sync();
  assert.equal(f.ops('createPod').length, 3);
  assert.deepEqual(f.c.expectations.get(KEY), { add: 3, del: 0 });
});

test('nodes joining, relabelled and removed; nodeSelector honoured', async () => {
  const f = new Fixture();
  f.node('n1', { role: 'worker' });
  f.node('n2', { role: 'master' });
  f.ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { role: 'worker' }, containers: [{ name: 'c', image: 'agent:1' }] } } });
  await f.sync();
  assert.deepEqual(f.ops('createPod').map((c) => targetNodeName(c.body as Pod)), ['n1']);
  f.runPods();
  assert.equal(f.queue.len(), 1);

  // A matching node joins: it gets a pod; the handler enqueued the DaemonSet.
  f.reset();
  f.node('n3', { role: 'worker' });
  await f.sync();
  assert.deepEqual(f.ops('createPod').map((c) => targetNodeName(c.body as Pod)), ['n3']);
  f.runPods();

  // n1 is relabelled away: its pod is misscheduled, then deleted.
  f.reset();
  f.node('n1', { role: 'gpu' });
  const counts = calculateDaemonSetCounts(f.dss.get('default', 'agent')!, f.nodes.list(), groupByNode(f.pods.list('default'), false), '', f.clock.now());
  assert.equal(counts.numberMisscheduled, 1);
  assert.equal(counts.desiredNumberScheduled, 1);
  const victim = f.podsOn('n1')[0].metadata!.name!;
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), [victim]);
  assert.deepEqual(f.recorder.messages('SuccessfulDelete'), [`Deleted pod: ${victim}`]);
  assert.equal(f.status().desiredNumberScheduled, 1);
  assert.equal(f.status().numberMisscheduled, 0);

  // n3 is removed: its (bound) pod is force-deleted once the API confirms the node is gone.
  f.reset();
  const gone = f.podsOn('n3')[0].metadata!.name!;
  f.removeNode('n3');
  await f.sync();
  assert.deepEqual(f.ops('getNode').map((c) => c.name), ['n3']);
  assert.deepEqual(f.ops('deletePod'), [{ op: 'deletePod', name: gone, body: { gracePeriodSeconds: 0 } }]);
  assert.equal(f.status().desiredNumberScheduled, 0);
});

test('an unscheduled pod for a node that is gone is deleted without asking the API', async () => {
  const f = new Fixture();
  f.node('n1');
  f.ds();
  await f.sync();
  const name = f.podsOn('n1')[0].metadata!.name!;
  f.removeNode('n1');
  f.reset();
  await f.sync();
  assert.equal(f.ops('getNode').length, 0);
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), [name]);
});

test('the cache lagging behind a new node does not remove its pod', async () => {
  const f = new Fixture();
  f.ds();
  // A pod of ours bound to a node the node cache has not shown yet.
  f.nodes.set({ metadata: { name: 'late' } });
  f.node('n1');
  await f.sync();
  f.runPods();
  f.nodes.delete('n1');
  f.reset();
  // The API still has n1: nothing is deleted.
  f.api.getNode = async (name) => ({ metadata: { name } });
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
});

test('taints: NoSchedule keeps new pods off but leaves existing ones; NoExecute removes them', async () => {
  const f = new Fixture();
  f.node('n1');
  f.node('n2', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  f.ds();
  await f.sync();
  assert.deepEqual(f.ops('createPod').map((c) => targetNodeName(c.body as Pod)), ['n1'], 'no pod on the tainted node');
  f.runPods();

  f.reset();
  f.node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0, 'an existing pod stays on a NoSchedule node');
  assert.equal(f.ops('createPod').length, 0);
  assert.equal(f.status().desiredNumberScheduled, 0);
  assert.equal(f.status().numberMisscheduled, 1);

  f.reset();
  f.node('n1', {}, [{ key: 'maintenance', effect: 'NoExecute' }]);
  await f.sync();
  assert.equal(f.ops('deletePod').length, 1, 'NoExecute evicts it');

  // Tolerating the taint brings pods back on both nodes.
  f.reset();
  f.ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { tolerations: [{ operator: 'Exists' }], containers: [{ name: 'c', image: 'agent:1' }] } } }, 2);
  await f.sync();
  assert.deepEqual(f.ops('createPod').map((c) => targetNodeName(c.body as Pod)).sort(), ['n1', 'n2']);
});

test('failed pods are deleted and replaced, with a per-node back-off', async () => {
  const f = new Fixture();
  f.node('n1');
  f.ds();
  await f.sync();
  f.runPods();
  const first = f.podsOn('n1')[0].metadata!.name!;
  f.updatePod(first, (p) => { p.status = { phase: 'Failed' }; });
  f.reset();
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), [first]);
  assert.deepEqual(f.recorder.messages('FailedDaemonPod'), [`Found failed daemon pod default/${first} on node n1, will try to kill it`]);
  assert.equal(f.recorder.events.find((e) => e.reason === 'FailedDaemonPod')?.type, 'Warning');
  f.reset();
  await f.sync();
  assert.equal(f.ops('createPod').length, 1, 'replaced');
  f.runPods();

  // It fails again at once: within the back-off (1 s), it is left alone and the DaemonSet requeued.
  const second = f.podsOn('n1')[0].metadata!.name!;
  f.updatePod(second, (p) => { p.status = { phase: 'Failed' }; });
  f.reset();
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
  await f.clock.advance(1_000);
  f.reset();
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), [second]);
  // The back-off doubled: 2 s this time.
  assert.equal(f.c.failedPodsBackoff.get(`ds-uid/1/n1`), 2_000);
});

test('succeeded pods are deleted (Normal SucceededDaemonPod); duplicates beyond the oldest go', async () => {
  const f = new Fixture();
  f.node('n1');
  f.ds();
  await f.sync();
  f.runPods();
  const name = f.podsOn('n1')[0].metadata!.name!;
  f.updatePod(name, (p) => { p.status = { phase: 'Succeeded' }; });
  f.reset();
  await f.sync();
  assert.deepEqual(f.ops('deletePod').map((c) => c.name), [name]);
  assert.equal(f.recorder.events.find((e) => e.reason === 'SucceededDaemonPod')?.type, 'Normal');

  // Two live pods on one node: the newer goes.
  const g = new Fixture();
  g.node('n1');
  const ds = g.ds({ updateStrategy: { type: 'OnDelete' } });
  const mk = (n: string, at: number): Pod => ({
    metadata: { name: n, namespace: 'default', uid: n, resourceVersion: '1', labels: { app: 'agent' }, creationTimestamp: rfc3339(at),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: ds.metadata!.uid!, controller: true }] },
    spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running' },
  });
  g.addPod(mk('old', Date.UTC(2024, 0, 1)));
  g.addPod(mk('new', Date.UTC(2024, 0, 2)));
  await g.sync();
  assert.deepEqual(g.ops('deletePod').map((c) => c.name), ['new']);
});

test('rolling update without surge replaces at most maxUnavailable pods at a time', async () => {
  const f = new Fixture();
  f.node('n1'); f.node('n2'); f.node('n3'); f.node('n4');
  f.ds();
  await f.sync();
  f.runPods();
  await f.sync();
  const ds2 = f.setImage('agent:2');
  const newHash = templateHash(ds2);
  f.reset();
  await f.sync();
  // A second revision; one old pod deleted (maxUnavailable 1).
  const rev = f.ops('createRevision').map((c) => c.body as ControllerRevision);
  assert.equal(rev[0].revision, 2);
  assert.equal(f.ops('deletePod').length, 1);
  assert.equal(f.ops('createPod').length, 0, 'the manage loop recreates on the next sync');
  assert.equal(f.status().updatedNumberScheduled ?? 0, 0);
  assert.equal(f.status().observedGeneration, 2);

  // Round after round, never more than one node without an available pod.
  for (let round = 0; round < 10; round++) {
    f.reset();
    await f.sync();
    const unavailableNodes = ['n1', 'n2', 'n3', 'n4'].filter((n) => !f.podsOn(n).some((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')));
    assert.ok(unavailableNodes.length <= 1, `round ${round}: ${unavailableNodes}`);
    f.runPods();
    if (f.pods.list('default').every((p) => p.metadata?.labels?.[REVISION_HASH_LABEL] === newHash) && f.pods.size === 4) break;
  }
  await f.sync();
  assert.equal(f.pods.size, 4);
  for (const p of f.pods.list('default')) {
    assert.equal(p.metadata?.labels?.[REVISION_HASH_LABEL], newHash);
    assert.equal(p.metadata?.labels?.[TEMPLATE_GENERATION_LABEL], '2');
    assert.equal(p.spec?.containers[0].image, 'agent:2');
  }
  assert.equal(f.status().updatedNumberScheduled, 4);
  assert.equal(f.status().numberAvailable, 4);
});

test('maxUnavailable as a percentage rounds up; unready old pods are replaced regardless', () => {
  const f = new Fixture();
  const nodes = ['a', 'b', 'c', 'd', 'e'].map((n) => f.node(n));
  const ds = f.ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '30%', maxSurge: 0 } } });
  const pods = new Map<string, Pod[]>();
  for (const n of nodes) {
    const ready = n.metadata!.name !== 'e';
    pods.set(n.metadata!.name!, [{
      metadata: { name: `p-${n.metadata!.name}`, labels: { [REVISION_HASH_LABEL]: 'old' } },
      spec: { nodeName: n.metadata!.name, containers: [] },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    }]);
  }
  // 30% of 5 = 2 (rounded up); p-e is unavailable: replaced and counted.
  const plan = planRollingUpdate(ds, nodes, pods, 'new', f.clock.now());
  assert.deepEqual(plan.podsToDelete, ['p-e', 'p-a']);
  assert.deepEqual(plan.nodesToCreate, []);
});

test('rolling update with surge starts the new pod first and removes the old one once it is available', async () => {
  const f = new Fixture();
  f.node('n1'); f.node('n2');
  f.ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
  await f.sync();
  f.runPods();
  await f.sync();
  f.setImage('agent:2');
  f.reset();
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
  assert.equal(f.ops('createPod').length, 1, 'one surge pod (maxSurge 1)');
  const surgeNode = targetNodeName(f.ops('createPod')[0].body as Pod)!;
  assert.equal(f.podsOn(surgeNode).length, 2);
  // Not ready yet: nothing more happens.
  f.runPods((p) => p.spec?.containers[0].image !== 'agent:2');
  f.reset();
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
  assert.equal(f.ops('createPod').length, 0);
  // Ready: the old pod on that node goes, the other node surges.
  f.runPods();
  f.reset();
  await f.sync();
  assert.equal(f.ops('deletePod').length, 1);
  assert.equal(f.podsOn(surgeNode).length, 1);
  assert.equal(f.ops('createPod').length, 1);
});

test('OnDelete: a template change replaces nothing until pods are deleted', async () => {
  const f = new Fixture();
  threeNodes(f);
  f.ds({ updateStrategy: { type: 'OnDelete' } });
  await f.sync();
  f.runPods();
  await f.sync();
  f.setImage('agent:2');
  f.reset();
  await f.sync();
  assert.equal(f.ops('deletePod').length, 0);
  assert.equal(f.status().updatedNumberScheduled ?? 0, 0);
  // The user deletes one: its replacement is of the new revision.
  const victim = f.podsOn('n2')[0];
  f.pods.delete(objectKey(victim));
  f.c.podHandler().delete!(victim);
  f.reset();
  await f.sync();
  assert.equal((f.ops('createPod')[0].body as Pod).spec?.containers[0].image, 'agent:2');
  assert.equal(f.status().updatedNumberScheduled, 1);
});

test('history: old revisions beyond revisionHistoryLimit go (oldest first, never one a pod uses); a rollback renumbers', async () => {
  const f = new Fixture();
  f.node('n1');
  f.ds({ revisionHistoryLimit: 2, updateStrategy: { type: 'OnDelete' } });
  await f.sync();
  f.runPods();
  const firstHash = f.podsOn('n1')[0].metadata!.labels![REVISION_HASH_LABEL];
  for (const image of ['agent:2', 'agent:3', 'agent:4']) {
    f.setImage(image);
    await f.sync();
  }
  // Revisions 1 (used by the live pod), 3 and 4 remain; 2 was the oldest unused.
  const revs = f.crs.list('default').map((c) => [c.revision, c.metadata!.labels![REVISION_HASH_LABEL]] as const).sort();
  assert.deepEqual(revs.map((r) => r[0]), [1, 3, 4]);
  assert.equal(revs[0][1], firstHash);

  // Back to agent:3 (what `kubectl rollout undo` does): its revision becomes number 5.
  f.reset();
  f.setImage('agent:3');
  await f.sync();
  assert.equal(f.ops('createRevision').length, 0);
  const renumbered = f.ops('updateRevision').map((c) => c.body as ControllerRevision);
  assert.equal(renumbered.length, 1);
  assert.equal(renumbered[0].revision, 5);
});

test('orphans matching the selector are adopted; a DaemonSet selecting everything is refused', async () => {
  const f = new Fixture();
  f.node('n1');
  f.ds();
  f.addPod({ metadata: { name: 'stray', namespace: 'default', uid: 'stray-uid', resourceVersion: '1', labels: { app: 'agent' } }, spec: { nodeName: 'n1', containers: [] }, status: { phase: 'Running' } });
  await f.sync();
  const patch = f.ops('patchPod')[0];
  assert.equal(patch.name, 'stray');
  assert.deepEqual(patch.body, { metadata: { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }], uid: 'stray-uid' } });
  assert.equal(f.ops('createPod').length, 0, 'the adopted pod serves n1');

  const g = new Fixture();
  g.node('n1');
  g.ds({ selector: {} });
  await g.sync();
  assert.equal(g.ops('createPod').length, 0);
  assert.deepEqual(g.recorder.messages('SelectingAll'), ['This daemon set is selecting all pods. A non-empty selector is required.']);
});

test('a DaemonSet being deleted is left alone; a deleted one forgets its expectations', async () => {
  const f = new Fixture();
  f.node('n1');
  const ds = f.ds();
  f.dss.set({ ...ds, metadata: { ...ds.metadata, deletionTimestamp: rfc3339(f.clock.now()) } });
  await f.sync();
  assert.equal(f.calls.length, 0);
  f.c.expectations.set(KEY, 1, 0);
  f.dss.delete(KEY);
  await f.sync();
  assert.equal(f.c.expectations.get(KEY), undefined);
});

test('node updates enqueue only when eligibility changes', () => {
  const f = new Fixture();
  f.ds({ template: { metadata: { labels: { app: 'agent' } }, spec: { nodeSelector: { role: 'worker' }, containers: [{ name: 'c', image: 'x' }] } } });
  f.node('n1', { role: 'db' });
  assert.equal(f.queue.len(), 0, 'a node it does not want');
  f.node('n1', { role: 'db', other: 'x' });
  assert.equal(f.queue.len(), 0, 'still not wanted');
  f.node('n1', { role: 'worker' });
  assert.equal(f.queue.len(), 1);
});

test('a revision name taken by another template is a hash collision: collisionCount goes up and the next name is used', async () => {
  const f = new Fixture();
  f.node('n1');
  const ds = f.ds();
  const hash = templateHash(ds);
  f.crs.set({
    apiVersion: 'apps/v1', kind: 'ControllerRevision',
    metadata: { name: `agent-${hash}`, namespace: 'default', uid: 'other', resourceVersion: '1', labels: { app: 'agent', [REVISION_HASH_LABEL]: hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }] },
    data: { spec: { template: { $patch: 'replace', spec: { containers: [{ name: 'c', image: 'something-else' }] } } } },
    revision: 1,
  });
  await assert.rejects(f.sync(), /already exists/);
  assert.equal(f.status().collisionCount, 1);
  assert.equal(f.ops('createPod').length, 0);
  f.reset();
  await f.sync();
  const created = f.ops('createRevision').map((c) => c.body as ControllerRevision);
  const next = templateHash(f.dss.get('default', 'agent')!);
  assert.notEqual(next, hash);
  assert.equal(created.at(-1)?.metadata?.name, `agent-${next}`);
  assert.equal(created.at(-1)?.revision, 2, 'numbered after the other revision');
  assert.equal((f.ops('createPod')[0].body as Pod).metadata?.labels?.[REVISION_HASH_LABEL], next);
  assert.equal(f.status().collisionCount, 1, 'kept by later status writes');
});
