// The StatefulSet controller in a real `pilot server` (its controller manager
// runs it), with the fake kubelet from the test making pods Running/Ready,
// driven through the real kubectl (apply, scale, set image, patch, rollout
// status|history|undo): creation in ordinal order, each pod only after its
// predecessor is Ready (asserted from a watch); Parallel; scale down from the
// highest ordinal; claims from volumeClaimTemplates; a partitioned rolling
// update; rollback through ControllerRevisions; claims deleted with the set
// under whenDeleted=Delete.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ControllerRevision, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Event as CoreEvent, Node, PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig, ResourceInformer, RestClient, type ResourceClient } from '../src/client/index.ts';
import { FakeKubelet } from './helpers/fake-kubelet.ts';
import { Pilot } from './helpers/pilot.ts';

let pilot: Pilot;
let client: RestClient;
let kubelet: FakeKubelet;
let sets: ResourceClient<StatefulSet>;
let pods: ResourceClient<Pod>;
let claims: ResourceClient<PersistentVolumeClaim>;
let revisions: ResourceClient<ControllerRevision>;
let podWatch: ResourceInformer<Pod>;
const watchAbort = new AbortController();
/** Pod changes in the order the watch delivered them: "add web-0", "ready web-0", "deleting web-2", "deleted web-2". */
const log: string[] = [];
/** Pods of StatefulSets named here never become Ready. */
const stalled = new Set<string>();

const isReady = (p: Pod): boolean => !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

before(async () => {
  // The statefulset controller plus the garbage collector (owner references), as in a cluster; no
  // scheduler or node agent of the server's own: the fake kubelet binds and runs every pod.
  pilot = await new Pilot({
    extraArgs: ['--controllers', 'statefulset,garbage-collector,serviceaccount', '--leader-elect=false', '--disable-scheduler', '--disable-agent'],
  }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  sets = client.resource<StatefulSet>('apps/v1', 'StatefulSet').namespace('default');
  pods = client.resource<Pod>('v1', 'Pod').namespace('default');
  claims = client.resource<PersistentVolumeClaim>('v1', 'PersistentVolumeClaim').namespace('default');
  revisions = client.resource<ControllerRevision>('apps/v1', 'ControllerRevision').namespace('default');
  await client.resource<Node>('v1', 'Node').create({ metadata: { name: 'fake-node' } });
  podWatch = new ResourceInformer<Pod>(pods, { name: 'test-pod-log' });
  podWatch.on({
    add: (p) => { log.push(`add ${p.metadata?.name}`); if (isReady(p)) log.push(`ready ${p.metadata?.name}`); },
    update: (o, p) => {
      if (!isReady(o) && isReady(p)) log.push(`ready ${p.metadata?.name}`);
      if (!o.metadata?.deletionTimestamp && p.metadata?.deletionTimestamp) log.push(`deleting ${p.metadata?.name}`);
    },
    delete: (p) => log.push(`deleted ${p.metadata?.name}`),
  });
  podWatch.start(watchAbort.signal);
  await podWatch.waitForSync(watchAbort.signal);
  // Pods take a little while to start, so that "created only after the previous is Ready" is a real check.
  kubelet = await new FakeKubelet(new RestClient(loadKubeconfig(pilot.kubeconfig)), {
    readyDelayMs: 150, ready: (p) => !stalled.has(p.metadata?.labels?.app ?? ''),
  }).start();
});

after(async () => {
  await kubelet?.stop();
  watchAbort.abort();
  await podWatch?.stop();
  client?.close();
  await pilot?.dispose();
});

async function until<T>(what: string, fn: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}\npod log: ${log.join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function manifest(name: string, replicas: number, extra = ''): string {
  return `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${name}
spec:
  serviceName: ${name}-svc
  replicas: ${replicas}
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: c
        image: registry.local/app:1
${extra}`;
}

/** Names of the live (not terminating) pods of a set, by ordinal. */
async function livePods(name: string): Promise<Pod[]> {
  return (await pods.list({ labelSelector: `app=${name}` })).items
    .filter((p) => !p.metadata?.deletionTimestamp)
    .sort((a, b) => Number(a.metadata!.name!.split('-').pop()) - Number(b.metadata!.name!.split('-').pop()));
}

/** The set's status says every replica is ready at one revision, for its latest generation. */
async function settled(name: string, replicas: number): Promise<StatefulSet> {
  return until(`${name} settled at ${replicas}`, async () => {
    const s = await sets.get(name);
    const st = s.status;
    const live = await livePods(name);
    return (st?.observedGeneration ?? 0) >= (s.metadata?.generation ?? 0) && st?.replicas === replicas && (st?.readyReplicas ?? 0) === replicas
      && st?.currentRevision === st?.updateRevision && (st?.updatedReplicas ?? 0) === replicas && live.length === replicas && s;
  });
}

const k = (...args: string[]): Promise<string> => pilot.k(args);

/** Where `entry` is in the log (asserting it is there). */
function at(entry: string): number {
  const i = log.indexOf(entry);
  assert.ok(i >= 0, `${entry} in pod log: ${log.join(', ')}`);
  return i;
}

test('OrderedReady: pods and claims created in order, each pod only after the previous one is Ready; rollout status; events', async () => {
  await pilot.k(['apply', '-f', '-'], {
    input: manifest('web', 3, `  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`),
  });
  const out = await pilot.k(['rollout', 'status', 'statefulset/web', '--timeout=60s']);
  assert.match(out, /partitioned roll out complete: 3 new pods have been updated/);
  const s = await settled('web', 3);

  for (let i = 1; i < 3; i++) {
    assert.ok(at(`add web-${i}`) > at(`ready web-${i - 1}`), `web-${i} created after web-${i - 1} was Ready: ${log.join(', ')}`);
  }
  const live = await livePods('web');
  assert.deepEqual(live.map((p) => p.metadata?.name), ['web-0', 'web-1', 'web-2']);
  for (const [i, p] of live.entries()) {
    assert.equal(p.metadata?.labels?.['statefulset.kubernetes.io/pod-name'], `web-${i}`);
    assert.equal(p.metadata?.labels?.['apps.kubernetes.io/pod-index'], String(i));
    assert.equal(p.metadata?.labels?.['controller-revision-hash'], s.status?.updateRevision);
    assert.equal(p.spec?.hostname, `web-${i}`);
    assert.equal(p.spec?.subdomain, 'web-svc');
    assert.deepEqual(p.spec?.volumes?.find((v) => v.name === 'data')?.persistentVolumeClaim, { claimName: `data-web-${i}` });
    const ref = p.metadata?.ownerReferences?.[0];
    assert.deepEqual([ref?.kind, ref?.name, ref?.uid, ref?.controller, ref?.blockOwnerDeletion], ['StatefulSet', 'web', s.metadata?.uid, true, true]);
  }
  const pvcs = (await claims.list({ labelSelector: 'app=web' })).items.map((c) => c.metadata?.name).sort();
  assert.deepEqual(pvcs, ['data-web-0', 'data-web-1', 'data-web-2']);

  // One ControllerRevision <set>-<hash>, revision 1, the set's status pointing at it.
  const revs = (await revisions.list({ labelSelector: 'app=web' })).items;
  assert.equal(revs.length, 1);
  assert.equal(revs[0].revision, 1);
  assert.equal(revs[0].metadata?.name, s.status?.currentRevision);
  assert.match(revs[0].metadata!.name!, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(s.status?.collisionCount, 0);
  assert.equal(s.status?.availableReplicas, 3);

  const events = await until('events', async () => {
    const list = (await client.resource<CoreEvent>('v1', 'Event').namespace('default').list({ fieldSelector: 'involvedObject.name=web' })).items;
    return list.length >= 6 && list;
  });
  const messages = events.map((e) => `${e.reason} ${e.message}`);
  assert.ok(messages.includes('SuccessfulCreate create Pod web-0 in StatefulSet web successful'), messages.join('\n'));
  assert.ok(messages.includes('SuccessfulCreate create Claim data-web-2 Pod web-2 in StatefulSet web success'), messages.join('\n'));
});

test('kubectl scale: down one at a time from the highest ordinal, up again in order; claims kept (Retain)', async () => {
  await k('scale', 'statefulset/web', '--replicas=1');
  await settled('web', 1);
  assert.ok(at('deleted web-2') < at('deleting web-1'), `web-1 deleted only after web-2 was gone: ${log.join(', ')}`);
  const pvcs = (await claims.list({ labelSelector: 'app=web' })).items.map((c) => c.metadata?.name).sort();
  assert.deepEqual(pvcs, ['data-web-0', 'data-web-1', 'data-web-2']);

  const mark = log.length;
  await k('scale', 'statefulset/web', '--replicas=3');
  await settled('web', 3);
  const later = log.slice(mark);
  assert.ok(later.indexOf('add web-2') > later.indexOf('ready web-1') && later.indexOf('ready web-1') > later.indexOf('add web-1'), later.join(', '));
});

test('Parallel: all pods created without waiting for readiness', async () => {
  stalled.add('par');
  await pilot.k(['apply', '-f', '-'], { input: manifest('par', 3, '  podManagementPolicy: Parallel\n') });
  const live = await until('3 pods of par', async () => { const l = await livePods('par'); return l.length === 3 && l; });
  assert.ok(live.every((p) => !isReady(p)), 'none of them is Ready');
  const s = await until('par status', async () => { const x = await sets.get('par'); return x.status?.replicas === 3 && x; });
  assert.equal(s.status?.readyReplicas ?? 0, 0);
  // And scale down takes them all at once, unready as they are.
  await k('scale', 'statefulset/par', '--replicas=0');
  await until('par scaled to 0', async () => (await livePods('par')).length === 0);
});

test('rolling update with a partition, then to the end; rollout history and undo through ControllerRevisions', async () => {
  await pilot.k(['apply', '-f', '-'], { input: manifest('roll', 3) });
  const s1 = await settled('roll', 3);
  const rev1 = s1.status!.currentRevision!;
  await k('patch', 'statefulset/roll', '-p', '{"spec":{"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":2}}}}');
  await k('annotate', 'statefulset/roll', 'kubernetes.io/change-cause=image 2');
  const mark = log.length;
  await k('set', 'image', 'statefulset/roll', 'c=registry.local/app:2');
  let out = await pilot.k(['rollout', 'status', 'statefulset/roll', '--timeout=60s']);
  assert.match(out, /partitioned roll out complete: 1 new pods have been updated/);
  const s2 = await until('roll-2 updated', async () => {
    const s = await sets.get('roll');
    return s.status?.updatedReplicas === 1 && s.status.readyReplicas === 3 && s;
  });
  const rev2 = s2.status!.updateRevision!;
  assert.notEqual(rev2, rev1);
  assert.equal(s2.status?.currentRevision, rev1, 'below the partition the old revision stays current');
  assert.equal(s2.status?.currentReplicas, 2);
  let live = await livePods('roll');
  assert.deepEqual(live.map((p) => p.spec?.containers[0].image), ['registry.local/app:1', 'registry.local/app:1', 'registry.local/app:2']);
  assert.deepEqual(live.map((p) => p.metadata?.labels?.['controller-revision-hash']), [rev1, rev1, rev2]);

  const mark2 = log.length;
  await k('patch', 'statefulset/roll', '-p', '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}');
  out = await pilot.k(['rollout', 'status', 'statefulset/roll', '--timeout=60s']);
  assert.match(out, /partitioned roll out complete: 3 new pods have been updated/);
  const s3 = await settled('roll', 3);
  assert.equal(s3.status?.currentRevision, rev2);
  live = await livePods('roll');
  assert.ok(live.every((p) => p.spec?.containers[0].image === 'registry.local/app:2'));
  // Updated from the highest ordinal down, each only after the previous replacement was Ready.
  const later = log.slice(mark);
  const idx = (e: string): number => { const i = later.indexOf(e); assert.ok(i >= 0, `${e} in ${later.join(', ')}`); return i; };
  assert.ok(idx('deleting roll-2') < idx('deleting roll-1') && idx('deleting roll-1') < idx('deleting roll-0'), later.join(', '));
  const phase2 = log.slice(mark2);
  const at2 = (e: string): number => { const i = phase2.indexOf(e); assert.ok(i >= 0, `${e} in ${phase2.join(', ')}`); return i; };
  assert.ok(at2('deleting roll-1') < at2('add roll-1') && at2('add roll-1') < at2('ready roll-1') && at2('ready roll-1') < at2('deleting roll-0'), phase2.join(', '));
  assert.ok(!phase2.includes('deleting roll-2'), 'roll-2 was already at the update revision');

  const history = await k('rollout', 'history', 'statefulset/roll');
  assert.match(history, /REVISION\s+CHANGE-CAUSE/);
  assert.match(history, /^1\s+<none>$/m);
  assert.match(history, /^2\s+image 2$/m);
  const detail = await k('rollout', 'history', 'statefulset/roll', '--revision=1');
  assert.match(detail, /registry\.local\/app:1/);

  out = await k('rollout', 'undo', 'statefulset/roll');
  assert.match(out, /statefulset.apps\/roll rolled back/);
  await until('template rolled back', async () => (await sets.get('roll')).spec?.template?.spec?.containers[0].image === 'registry.local/app:1');
  const s5 = await settled('roll', 3);
  assert.equal(s5.status?.currentRevision, rev1, 'the old revision is current again, not a new one');
  live = await livePods('roll');
  assert.ok(live.every((p) => p.spec?.containers[0].image === 'registry.local/app:1'));
  const revs = (await revisions.list({ labelSelector: 'app=roll' })).items.map((r) => [r.metadata?.name, r.revision]).sort((a, b) => Number(a[1]) - Number(b[1]));
  assert.deepEqual(revs, [[rev2, 2], [rev1, 3]]);
  assert.match(await k('rollout', 'history', 'statefulset/roll'), /^3\s+/m);
  // Back at revision 3's template already: kubectl skips.
  out = await k('rollout', 'undo', 'statefulset/roll', '--to-revision=3');
  assert.equal(out.trim(), "statefulset.apps/roll skipped rollback (current template already matches revision 3)");
});

test('persistentVolumeClaimRetentionPolicy whenDeleted=Delete: claims go with the set', async () => {
  await pilot.k(['apply', '-f', '-'], {
    input: manifest('ret', 1, `  persistentVolumeClaimRetentionPolicy: {whenDeleted: Delete, whenScaled: Retain}
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`),
  });
  const s = await settled('ret', 1);
  const claim = await until('claim owned by the set', async () => {
    const c = await claims.get('data-ret-0');
    return c.metadata?.ownerReferences?.some((r) => r.uid === s.metadata?.uid && r.kind === 'StatefulSet') && c;
  });
  assert.ok(claim);
  await k('delete', 'statefulset/ret');
  await until('claim deleted with the set', async () => {
    try {
      const c = await claims.get('data-ret-0');
      return !!c.metadata?.deletionTimestamp;
    } catch {
      return true;
    }
  });
});
