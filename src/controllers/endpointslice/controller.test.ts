// The EndpointSlice controller without a server: the reconciler's plans
// (100 per slice, minimal churn, placeholder, reuse of deleted slices) and
// the controller's sync against fake listers and a recording API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { pino } from 'pino';
import { Indexer, WorkQueue } from '../../client/index.ts';
import { RetryLater } from '../worker.ts';
import { EndpointSliceController, type EndpointSliceApi } from './controller.ts';
import { desiredEndpoints, endpointKey, type PortGroup } from './desired.ts';
import { reconcile, serviceSliceOwner } from './reconciler.ts';
import { EndpointSliceTracker } from './tracker.ts';

const silent = pino({ level: 'silent' });

function svc(spec: Service['spec'] = {}): Service {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'svc-uid', creationTimestamp: '2024-01-01T00:00:00Z', labels: { tier: 'fe' } },
    spec: { selector: { app: 'web' }, clusterIP: '10.43.0.10', ipFamilies: ['IPv4'], ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
  };
}

function pod(i: number, o: { ready?: boolean; node?: string; deleting?: boolean } = {}): Pod {
  const ip = `10.42.${i >> 8}.${i & 255}`;
  return {
    metadata: { name: `p${String(i).padStart(4, '0')}`, namespace: 'default', uid: `uid-${i}`, resourceVersion: '1', labels: { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T01:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1', containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: '2024-01-01T00:01:00Z' }] },
  };
}

class Fixture {
  services = new Indexer<Service>();
  pods = new Indexer<Pod>();
  nodes = new Indexer<Node>();
  slices = new Indexer<EndpointSlice>();
  calls: { op: string; slice?: EndpointSlice; name?: string }[] = [];
  queue = new WorkQueue<string>();
  /** Whether writes show in the slice cache (the informer). */
  observe = true;
  private rv = 100;
  private seq = 0;
  c: EndpointSliceController;

  constructor() {
    this.nodes.set({ metadata: { name: 'n1', labels: { 'topology.kubernetes.io/zone': 'z1' } } });
    const store = (s: EndpointSlice): EndpointSlice => {
      const out = { ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: String(++this.rv) } };
      if (this.observe) this.slices.set(out);
      return out;
    };
    const api: EndpointSliceApi = {
      create: async (_ns, s) => {
        this.calls.push({ op: 'create', slice: structuredClone(s) });
        return store({ ...s, metadata: { ...s.metadata, name: `${s.metadata!.generateName}${String(++this.seq).padStart(5, 'x')}`, uid: `slice-${this.seq}` } });
      },
      update: async (_ns, s) => { this.calls.push({ op: 'update', slice: structuredClone(s) }); return store(s); },
      delete: async (ns, name) => { this.calls.push({ op: 'delete', name }); if (this.observe) this.slices.delete(`${ns}/${name}`); },
    };
    this.c = new EndpointSliceController({
      services: this.services, pods: this.pods, nodes: this.nodes, slices: this.slices, api, logger: silent, queue: this.queue,
      recorder: { eventf: () => undefined },
    });
  }

  ops(op: string): { op: string; slice?: EndpointSlice; name?: string }[] { return this.calls.filter((c) => c.op === op); }
  live(): EndpointSlice[] { return this.slices.list('default'); }
}

test('one slice per 100 endpoints, labelled, owned, with conditions, node and zone', async () => {
  const f = new Fixture();
  f.services.set(svc());
  for (let i = 1; i <= 250; i++) f.pods.set(pod(i));
  await f.c.sync('default/web');
  const created = f.ops('create').map((c) => c.slice!);
  assert.deepEqual(created.map((s) => s.endpoints.length).sort((a, b) => a - b), [50, 100, 100]);
  const s = created[0];
  assert.equal(s.metadata?.generateName, 'web-');
  assert.equal(s.metadata?.name, undefined);
  assert.deepEqual(s.metadata?.labels, { tier: 'fe', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' });
  assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(s.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2024-01-01T00:00:00Z');
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints[0], {
    addresses: ['10.42.0.1'], conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'default', name: 'p0001', uid: 'uid-1' }, nodeName: 'n1', zone: 'z1',
  });
  // In sync: nothing to do.
  f.calls = [];
  await f.c.sync('default/web');
  assert.deepEqual(f.calls, []);
});

test('minimal churn: one changed endpoint rewrites only its slice; a removed one too; new ones fill the slice being rewritten', async () => {
  const f = new Fixture();
  f.services.set(svc());
  for (let i = 1; i <= 150; i++) f.pods.set(pod(i));
  await f.c.sync('default/web');
  const before = new Map(f.live().map((s) => [s.metadata!.name!, s.endpoints.map(endpointKey).sort().join()]));
  f.calls = [];
  // Pod 7 turns not ready, pod 8 goes, pod 151 arrives.
  f.pods.set(pod(7, { ready: false }));
  f.pods.delete('default/p0008');
  f.pods.set(pod(151));
  await f.c.sync('default/web');
  assert.equal(f.ops('create').length, 0);
  assert.equal(f.ops('delete').length, 0);
  const updates = f.ops('update');
  assert.equal(updates.length, 1, 'only the slice holding pods 7 and 8');
  const u = updates[0].slice!;
  assert.equal(u.endpoints.find((e) => e.targetRef?.name === 'p0007')?.conditions?.ready, false);
  assert.ok(!u.endpoints.some((e) => e.targetRef?.name === 'p0008'));
  assert.ok(u.endpoints.some((e) => e.targetRef?.name === 'p0151'), 'the new endpoint went into the slice being rewritten');
  for (const s of f.live()) if (s.metadata!.name !== u.metadata!.name) assert.equal(s.endpoints.map(endpointKey).sort().join(), before.get(s.metadata!.name!));
});

test('terminating pods stay with ready=false, terminating=true (serving as their readiness says)', async () => {
  const f = new Fixture();
  f.services.set(svc());
  f.pods.set(pod(1, { deleting: true }));
  await f.c.sync('default/web');
  assert.deepEqual(f.ops('create')[0].slice!.endpoints[0].conditions, { ready: false, serving: true, terminating: true });
});

test('no endpoints: one placeholder slice, kept as is; pods on unknown nodes are left out and retried', async () => {
  const f = new Fixture();
  f.services.set(svc());
  f.pods.set(pod(1, { node: 'ghost' }));
  await assert.rejects(f.c.sync('default/web'), (e) => e instanceof RetryLater && /ghost/.test(e.message));
  const [placeholder] = f.ops('create').map((c) => c.slice!);
  assert.deepEqual(placeholder.endpoints, []);
  assert.deepEqual(placeholder.ports, []);
  f.calls = [];
  f.pods.delete('default/p0001');
  await f.c.sync('default/web');
  assert.deepEqual(f.calls, [], 'the placeholder is not deleted and re-created');
  // The node appears: its pod's Service is queued, and the placeholder is reused for the endpoint.
  f.pods.set(pod(2, { node: 'n2' }));
  const n2: Node = { metadata: { name: 'n2' } };
  f.nodes.set(n2);
  f.c.nodeHandler().add!(n2);
  assert.equal(f.queue.len(), 0, 'before the caches synced, node events are covered by the Services\' first syncs');
  f.c.synced = true;
  f.c.nodeHandler().add!(n2);
  assert.equal(f.queue.len(), 1);
  await f.c.sync('default/web');
  assert.equal(f.ops('create').length, 0);
  assert.equal(f.ops('delete').length, 0);
  assert.equal(f.ops('update').length, 1);
  assert.deepEqual(f.ops('update')[0].slice!.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
});

test('a stale cache (own writes not yet seen) makes the sync wait instead of creating twice', async () => {
  const f = new Fixture();
  f.observe = false;
  f.services.set(svc());
  f.pods.set(pod(1));
  await f.c.sync('default/web');
  assert.equal(f.ops('create').length, 1);
  await assert.rejects(f.c.sync('default/web'), RetryLater);
  assert.equal(f.ops('create').length, 1, 'no duplicate slice');
});

test('Services without a selector or of type ExternalName get no slices; slices of another owner are replaced', async () => {
  const f = new Fixture();
  f.services.set(svc({ selector: undefined }));
  f.pods.set(pod(1));
  await f.c.sync('default/web');
  f.services.set(svc({ type: 'ExternalName', externalName: 'x.example' }));
  await f.c.sync('default/web');
  assert.deepEqual(f.calls, []);
  // A leftover slice from an earlier Service of the same name (other uid).
  f.slices.set({
    metadata: { name: 'web-old', namespace: 'default', resourceVersion: '5', labels: { 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'old-uid', controller: true }] },
    addressType: 'IPv4', endpoints: [], ports: [],
  });
  f.services.set(svc());
  await f.c.sync('default/web');
  assert.deepEqual(f.ops('delete').map((c) => c.name), ['web-old']);
  assert.equal(f.ops('create').length, 1);
});

test('reconcile: leftover endpoints go into the fullest unchanged slice they fit in, else a new slice; deletions are reused', () => {
  const s = svc();
  const nodes = new Indexer<Node>();
  nodes.set({ metadata: { name: 'n1' } });
  const pods = Array.from({ length: 12 }, (_, i) => pod(i + 1));
  const groups = desiredEndpoints(s, pods, nodes, 'IPv4').groups;
  const all = [...[...groups.values()][0].endpoints.values()];
  const mk = (name: string, eps: typeof all): EndpointSlice => ({
    metadata: { name, namespace: 'default', resourceVersion: '1', labels: { tier: 'fe', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }] },
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080, protocol: 'TCP' }], endpoints: eps,
  });
  // max 5: a holds 4, b holds 2; 6 endpoints are new.
  const a = mk('a', all.slice(0, 4));
  const b = mk('b', all.slice(4, 6));
  const plan = reconcile(serviceSliceOwner(s), [a, b], new Map([['IPv4', groups as Map<string, PortGroup>]]), 5);
  // 6 left: a new slice takes 5; the last one fits in the fullest unchanged slice with room (a: 4 + 1).
  assert.equal(plan.create.length, 1);
  assert.equal(plan.create[0].endpoints.length, 5);
  assert.deepEqual(plan.update.map((x) => [x.metadata!.name, x.endpoints.length]), [['a', 5]]);
  assert.deepEqual(plan.delete, []);

  // Port change: old slices deleted, but reused for the new port mapping instead of create+delete.
  const s2 = svc({ ports: [{ name: 'http', port: 80, targetPort: 9090, protocol: 'TCP' }] });
  const g2 = desiredEndpoints(s2, pods.slice(0, 3), nodes, 'IPv4').groups;
  const plan2 = reconcile(serviceSliceOwner(s2), [a], new Map([['IPv4', g2]]), 5);
  assert.equal(plan2.create.length, 0);
  assert.equal(plan2.delete.length, 0);
  assert.equal(plan2.update.length, 1);
  assert.equal(plan2.update[0].metadata?.name, 'a');
  assert.equal(plan2.update[0].metadata?.resourceVersion, '1');
  assert.deepEqual(plan2.update[0].ports, [{ name: 'http', port: 9090, protocol: 'TCP' }]);
});

test('tracker: own writes must be seen; others\' deletions end the wait', () => {
  const t = new EndpointSliceTracker();
  const s = (name: string, rv: string): EndpointSlice => ({ metadata: { name, resourceVersion: rv }, addressType: 'IPv4', endpoints: [] });
  t.wrote('k', s('a', '10'));
  assert.equal(t.stale('k', []), true);
  assert.equal(t.stale('k', [s('a', '9')]), true);
  assert.equal(t.stale('k', [s('a', '10')]), false);
  t.deleted('k', 'a');
  assert.equal(t.stale('k', [s('a', '10')]), true);
  assert.equal(t.stale('k', []), false);
  t.wrote('k', s('b', '11'));
  t.observedDeletion('k', 'b');
  assert.equal(t.stale('k', []), false);
});
