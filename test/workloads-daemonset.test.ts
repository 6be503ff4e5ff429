// The DaemonSet controller in a real `pilot server` (its controller manager
// runs it), driven through the real kubectl: Nodes are created with
// `kubectl create -f`, and a test-side binder plays scheduler and kubelet
// (binds each pod to the node its affinity pins it to, marks it Running and
// Ready). One pod per node; a joining node gets one, a removed node's pod
// goes; NoSchedule taints keep new pods off but leave existing ones,
// NoExecute removes them; nodeSelector and node label changes; failed pods
// replaced; a rolling update watched pod by pod (never more than
// maxUnavailable nodes without a ready pod); rollout status/history/undo;
// a surge update (every node keeps a ready pod, one extra pod at a time).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, DaemonSet } from 'kubernetes-types/apps/v1.js';
import type { Event as CoreEvent, Node, Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig, ResourceInformer, RestClient, type ResourceClient } from '../src/client/index.ts';
import { DaemonBinder, pinnedNode } from './helpers/daemon-binder.ts';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;
let client: RestClient;
let binder: DaemonBinder;
let dss: ResourceClient<DaemonSet>;
let pods: ResourceClient<Pod>;
let nodes: ResourceClient<Node>;
let podWatch: ResourceInformer<Pod>;
const watchAbort = new AbortController();
/** Images whose pods never become Ready. */
const stalledImages = new Set<string>();
/** Pods of DaemonSets named here are reported Failed by the "kubelet". */
const failing = new Set<string>();

before(async () => {
  pilot = await new Pilot({ extraArgs: ['--controllers', 'daemonset,garbage-collector', '--leader-elect=false'] }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  // No serviceaccount controller here: pods need their account to exist (ServiceAccount admission), as upstream.
  await client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } });
  dss = client.resource<DaemonSet>('apps/v1', 'DaemonSet').namespace('default');
  pods = client.resource<Pod>('v1', 'Pod').namespace('default');
  nodes = client.resource<Node>('v1', 'Node');
  podWatch = new ResourceInformer<Pod>(pods, { name: 'test-pods' });
  podWatch.start(watchAbort.signal);
  await podWatch.waitForSync(watchAbort.signal);
  binder = await new DaemonBinder(new RestClient(loadKubeconfig(pilot.kubeconfig)), {
    startDelayMs: 100,
    ready: (p) => !stalledImages.has(p.spec?.containers[0]?.image ?? ''),
    fail: (p) => failing.has(p.metadata?.labels?.app ?? ''),
  }).start();
});

after(async () => {
  if (process.env.PILOT_TEST_SERVER_LOGS) process.stderr.write(pilot?.serverLogs() ?? '');
  await binder?.stop();
  watchAbort.abort();
  await podWatch?.stop();
  client?.close();
  await pilot?.dispose();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms) {
      const state = podWatch.lister().list('default').map((p) => `${p.metadata?.name}@${p.spec?.nodeName ?? pinnedNode(p)}:${p.status?.phase}${p.metadata?.deletionTimestamp ? '(deleting)' : ''}`);
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}\npods: ${state.join(', ')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

/** Live (not deleting) pods of `app`, by node. */
function podsByNode(app: string): Map<string, Pod[]> {
  const out = new Map<string, Pod[]>();
  for (const p of podWatch.lister().list('default')) {
    if (p.metadata?.labels?.app !== app || p.metadata?.deletionTimestamp) continue;
    const n = p.spec?.nodeName ?? pinnedNode(p) ?? '';
    out.set(n, [...(out.get(n) ?? []), p]);
  }
  return out;
}

/** Waits until `app` has exactly one Running, Ready pod on each of `want` and none elsewhere. */
async function waitForPodsOn(app: string, want: string[]): Promise<Map<string, Pod[]>> {
  return until(`${app} on exactly [${want.join(', ')}]`, () => {
    const m = podsByNode(app);
    const on = [...m.keys()].sort();
    if (JSON.stringify(on) !== JSON.stringify([...want].sort())) return false;
    return [...m.values()].every((ps) => ps.length === 1 && !!ps[0].spec?.nodeName && isReady(ps[0])) ? m : false;
  });
}

function nodeYaml(name: string, labels: Record<string, string> = {}, taints = ''): string {
  const l = Object.entries({ 'kubernetes.io/hostname': name, ...labels }).map(([k, v]) => `\n    ${k}: "${v}"`).join('');
  return `apiVersion: v1
kind: Node
metadata:
  name: ${name}
  labels:${l}
${taints ? `spec:\n  taints:\n${taints}` : ''}
`;
}

function daemonSetYaml(name: string, extra: { nodeSelector?: Record<string, string>; maxUnavailable?: number; maxSurge?: number } = {}): string {
  const sel = extra.nodeSelector ? `\n      nodeSelector:${Object.entries(extra.nodeSelector).map(([k, v]) => `\n        ${k}: "${v}"`).join('')}` : '';
  return `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
spec:
  selector:
    matchLabels:
      app: ${name}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate:
      maxUnavailable: ${extra.maxUnavailable ?? 1}${extra.maxSurge !== undefined ? `\n      maxSurge: ${extra.maxSurge}` : ''}
  template:
    metadata:
      labels:
        app: ${name}
    spec:${sel}
      containers:
      - name: main
        image: registry.local/${name}:1
`;
}

async function status(name: string): Promise<NonNullable<DaemonSet['status']>> {
  return (await dss.get(name)).status!;
}

test('nodes created with kubectl get one pod each; a joining node gets one, a removed node loses it', async () => {
  const created = await pilot.k(['create', '-f', '-'], { input: [nodeYaml('node-1', { disk: 'ssd' }), nodeYaml('node-2'), nodeYaml('node-3')].join('---\n') });
  assert.match(created, /node\/node-1 created/);
  await pilot.k(['apply', '-f', '-'], { input: daemonSetYaml('agent') });
  const m = await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3']);
  for (const [node, [p]] of m) {
    assert.equal(p.metadata?.ownerReferences?.[0]?.kind, 'DaemonSet');
    assert.equal(p.metadata?.labels?.['pod-template-generation'], '1');
    assert.ok(p.metadata?.labels?.['controller-revision-hash']);
    assert.deepEqual(p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
      [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] }]);
    assert.ok(p.spec?.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute' && t.operator === 'Exists'));
  }
  await until('status 3/3 ready', async () => {
    const s = await status('agent');
    return s.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3 && s.numberReady === 3 && s.numberAvailable === 3
      && s.updatedNumberScheduled === 3 && s.numberMisscheduled === 0 && !s.numberUnavailable && s.observedGeneration === 1;
  });
  const rollout = await pilot.k(['rollout', 'status', 'daemonset/agent', '--timeout=30s']);
  assert.match(rollout, /daemon set "agent" successfully rolled out/);
  const table = await pilot.k(['get', 'ds', 'agent']);
  assert.match(table, /NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE/);
  assert.match(table, /agent\s+3\s+3\s+3\s+3\s+3\s+<none>/);
  const annotated = await dss.get('agent');
  assert.equal(annotated.metadata?.annotations?.['deprecated.daemonset.template.generation'], '1');

  // Events as upstream: "Created pod: <name>" from the daemonset-controller.
  const events = await until('SuccessfulCreate events', async () => {
    const list = (await client.resource<CoreEvent>('v1', 'Event').namespace('default').list({ fieldSelector: 'involvedObject.name=agent' })).items;
    return list.filter((e) => e.reason === 'SuccessfulCreate').length >= 3 ? list : false;
  });
  const names = [...m.values()].map(([p]) => `Created pod: ${p.metadata!.name}`).sort();
  assert.deepEqual(events.filter((e) => e.reason === 'SuccessfulCreate').map((e) => e.message).sort(), names);
  assert.equal(events[0].source?.component, 'daemonset-controller');

  // A fourth node joins.
  await pilot.k(['create', '-f', '-'], { input: nodeYaml('node-4') });
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3', 'node-4']);
  await until('desired 4', async () => (await status('agent')).numberReady === 4);

  // It leaves: its pod goes, the status follows.
  await pilot.k(['delete', 'node', 'node-4']);
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3']);
  await until('desired back to 3', async () => {
    const s = await status('agent');
    return s.desiredNumberScheduled === 3 && s.currentNumberScheduled === 3;
  });
});

test('taints: NoSchedule leaves existing pods and keeps new nodes empty; NoExecute evicts; tolerations and untainting restore', async () => {
  const before3 = podsByNode('agent').get('node-3')![0].metadata!.name!;
  await pilot.k(['taint', 'node', 'node-3', 'dedicated=db:NoSchedule']);
  // The controller has seen it once node-3 counts as misscheduled; its pod is still there.
  await until('node-3 misscheduled', async () => {
    const s = await status('agent');
    return s.desiredNumberScheduled === 2 && s.numberMisscheduled === 1;
  });
  assert.equal(podsByNode('agent').get('node-3')?.[0]?.metadata?.name, before3, 'the existing pod stays (upstream: NoSchedule does not evict)');

  // A new tainted node gets nothing, while an untainted one created after it does.
  await pilot.k(['create', '-f', '-'], { input: nodeYaml('node-5', {}, '  - key: dedicated\n    value: db\n    effect: NoSchedule') });
  await pilot.k(['create', '-f', '-'], { input: nodeYaml('node-6') });
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3', 'node-6']);
  assert.equal(podsByNode('agent').has('node-5'), false);

  // NoExecute: the pod on node-3 goes.
  await pilot.k(['taint', 'node', 'node-3', 'maintenance=now:NoExecute']);
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-6']);
  await until('the evicted pod removed', () => !podWatch.lister().get('default', before3));

  // Removing the taints brings pods back on node-3 and node-5.
  await pilot.k(['taint', 'node', 'node-3', 'dedicated-', 'maintenance-']);
  await pilot.k(['taint', 'node', 'node-5', 'dedicated-']);
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3', 'node-5', 'node-6']);
  await pilot.k(['delete', 'node', 'node-5', 'node-6']);
  await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3']);
});

test('nodeSelector: only matching nodes, following label changes', async () => {
  await pilot.k(['apply', '-f', '-'], { input: daemonSetYaml('ssd', { nodeSelector: { disk: 'ssd' } }) });
  await waitForPodsOn('ssd', ['node-1']);
  await pilot.k(['label', 'node', 'node-2', 'disk=ssd']);
  await waitForPodsOn('ssd', ['node-1', 'node-2']);
  await pilot.k(['label', 'node', 'node-1', 'disk-']);
  await waitForPodsOn('ssd', ['node-2']);
  const table = await pilot.k(['get', 'ds', 'ssd']);
  assert.match(table, /ssd\s+1\s+1\s+1\s+1\s+1\s+disk=ssd/);
  await pilot.k(['delete', 'ds', 'ssd']);
  await until('ssd pods gone (garbage collector)', () => podsByNode('ssd').size === 0);
});

test('a failed pod is deleted and replaced', async () => {
  failing.add('flaky');
  await pilot.k(['apply', '-f', '-'], { input: daemonSetYaml('flaky', { nodeSelector: { 'kubernetes.io/hostname': 'node-2' } }) });
  const first = await until('a failed flaky pod', () => podWatch.lister().list('default').find((p) => p.metadata?.labels?.app === 'flaky' && p.status?.phase === 'Failed'));
  failing.delete('flaky');
  await until('the failed pod deleted', () => !podWatch.lister().get('default', first.metadata!.name!));
  await waitForPodsOn('flaky', ['node-2']);
  const events = (await client.resource<CoreEvent>('v1', 'Event').namespace('default').list({ fieldSelector: 'involvedObject.name=flaky' })).items;
  const failed = events.find((e) => e.reason === 'FailedDaemonPod');
  assert.equal(failed?.type, 'Warning');
  assert.match(failed?.message ?? '', /^Found failed daemon pod default\/flaky-\w+ on node node-2, will try to kill it$/);
  await pilot.k(['delete', 'ds', 'flaky']);
});

test('rolling update: never more than maxUnavailable nodes without a ready pod; rollout status, history and undo', async () => {
  const desired = 3;
  let minReady = Infinity;
  const sample = (): void => {
    let ready = 0;
    for (const ps of podsByNode('agent').values()) if (ps.some(isReady)) ready++;
    minReady = Math.min(minReady, ready);
  };
  const h = podWatch.on({ add: sample, update: sample, delete: sample });
  try {
    await pilot.k(['annotate', 'ds', 'agent', 'kubernetes.io/change-cause=image 2']);
    await pilot.k(['set', 'image', 'ds/agent', 'main=registry.local/agent:2']);
    const out = await pilot.k(['rollout', 'status', 'ds/agent', '--timeout=60s']);
    assert.match(out, /daemon set "agent" successfully rolled out/);
  } finally {
    h.dispose();
  }
  // maxUnavailable 1: one node at a time goes without a ready pod, never two.
  assert.equal(minReady, desired - 1, `at most one node without a ready pod (saw as few as ${minReady} ready)`);
  const m = await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3']);
  for (const [p] of m.values()) {
    assert.equal(p.spec?.containers[0].image, 'registry.local/agent:2');
    assert.equal(p.metadata?.labels?.['pod-template-generation'], '2');
  }
  const s = await status('agent');
  assert.equal(s.updatedNumberScheduled, 3);
  assert.equal(s.observedGeneration, 2);

  // Two revisions, one per template.
  const revs = (await client.resource<ControllerRevision>('apps/v1', 'ControllerRevision').namespace('default').list({ labelSelector: 'app=agent' })).items;
  assert.deepEqual(revs.map((r) => r.revision).sort(), [1, 2]);
  const hashes = revs.map((r) => r.metadata?.labels?.['controller-revision-hash']);
  assert.deepEqual(revs.map((r) => r.metadata?.name).sort(), hashes.map((h2) => `agent-${h2}`).sort());
  const history = await pilot.k(['rollout', 'history', 'ds/agent']);
  assert.match(history, /daemonset\.apps\/agent\s*\nREVISION\s+CHANGE-CAUSE\s*\n1\s+<none>\s*\n2\s+image 2/);
  const rev2 = await pilot.k(['rollout', 'history', 'ds/agent', '--revision=2']);
  assert.match(rev2, /Image:\s+registry\.local\/agent:2/);

  // Undo: back to image 1, recorded as revision 3.
  const undo = await pilot.k(['rollout', 'undo', 'ds/agent']);
  assert.match(undo, /daemonset\.apps\/agent rolled back/);
  await pilot.k(['rollout', 'status', 'ds/agent', '--timeout=60s']);
  const back = await waitForPodsOn('agent', ['node-1', 'node-2', 'node-3']);
  for (const [p] of back.values()) assert.equal(p.spec?.containers[0].image, 'registry.local/agent:1');
  const after = await pilot.k(['rollout', 'history', 'ds/agent']);
  assert.match(after, /\n2\s+image 2\s*\n3\s+/);
  assert.doesNotMatch(after, /\n1\s+<none>/, 'revision 1 became revision 3');
  // kubectl compares the revision's data with the patch it computes itself: they are byte-identical.
  const again = await pilot.k(['rollout', 'undo', 'ds/agent', '--to-revision=3']);
  assert.match(again, /skipped rollback \(current template already matches revision 3\)/);

  // A stalled update stops after maxUnavailable pods: the rest keep the old image.
  stalledImages.add('registry.local/agent:3');
  await pilot.k(['set', 'image', 'ds/agent', 'main=registry.local/agent:3']);
  const r = await pilot.kubectl(['rollout', 'status', 'ds/agent', '--timeout=3s']);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout, /Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated/);
  const stuck = podsByNode('agent');
  const images = [...stuck.values()].flat().map((p) => p.spec?.containers[0].image).sort();
  assert.deepEqual(images, ['registry.local/agent:1', 'registry.local/agent:1', 'registry.local/agent:3']);
  stalledImages.delete('registry.local/agent:3');
  binder.poke();
  await pilot.k(['rollout', 'status', 'ds/agent', '--timeout=60s']);
});

test('rolling update with maxSurge: the new pod starts beside the old one, every node keeps a ready pod', async () => {
  await pilot.k(['apply', '-f', '-'], { input: daemonSetYaml('surge', { maxUnavailable: 0, maxSurge: 1 }) });
  await waitForPodsOn('surge', ['node-1', 'node-2', 'node-3']);
  await pilot.k(['rollout', 'status', 'ds/surge', '--timeout=30s']);
  let minReadyNodes = Infinity;
  let maxPods = 0;
  const sample = (): void => {
    const m = podsByNode('surge');
    let readyNodes = 0;
    let n = 0;
    for (const ps of m.values()) {
      n += ps.length;
      if (ps.some(isReady)) readyNodes++;
    }
    minReadyNodes = Math.min(minReadyNodes, readyNodes);
    maxPods = Math.max(maxPods, n);
  };
  const h = podWatch.on({ add: sample, update: sample, delete: sample });
  try {
    await pilot.k(['set', 'image', 'ds/surge', 'main=registry.local/surge:2']);
    await pilot.k(['rollout', 'status', 'ds/surge', '--timeout=60s']);
    await waitForPodsOn('surge', ['node-1', 'node-2', 'node-3']);
  } finally {
    h.dispose();
  }
  assert.equal(minReadyNodes, 3, 'no node ever went without a ready pod');
  assert.equal(maxPods, 4, 'one surge pod at a time (maxSurge 1)');
  for (const [p] of podsByNode('surge').values()) assert.equal(p.spec?.containers[0].image, 'registry.local/surge:2');
  await pilot.k(['delete', 'ds', 'surge']);
});
