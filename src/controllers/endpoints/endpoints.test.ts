// The Endpoints controller's sync without a server: listers are plain
// indexers, the API is a fake that records calls and shows writes in the
// Endpoints indexer, as the informer would.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EndpointAddress, Endpoints, Pod, Service } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { ApiError } from '../../base/errors.ts';
import { Indexer, WorkQueue } from '../../client/index.ts';
import { EndpointsController, desiredSubsets, type EndpointsApi } from './endpoints.ts';
import { repackSubsets, truncateEndpoints } from './subsets.ts';
import { TriggerTimeTracker } from './trigger-time.ts';

const silent = pino({ level: 'silent' });

class Fixture {
  services = new Indexer<Service>();
  pods = new Indexer<Pod>();
  endpoints = new Indexer<Endpoints>();
  calls: { op: string; body?: Endpoints; name?: string }[] = [];
  events: string[] = [];
  queue = new WorkQueue<string>();
  failUpdate = false;
  private rv = 0;
  c: EndpointsController;

  constructor() {
    const api: EndpointsApi = {
      create: async (_ns, ep) => {
        this.calls.push({ op: 'create', body: structuredClone(ep) });
        const out = { ...structuredClone(ep), metadata: { ...ep.metadata, resourceVersion: String(++this.rv) } };
        this.endpoints.set(out);
        return out;
      },
      update: async (_ns, ep) => {
        if (this.failUpdate) throw new ApiError(409, 'Conflict', 'the object has been modified');
        this.calls.push({ op: 'update', body: structuredClone(ep) });
        const out = { ...structuredClone(ep), metadata: { ...ep.metadata, resourceVersion: String(++this.rv) } };
        this.endpoints.set(out);
        return out;
      },
      delete: async (ns, name) => {
        this.calls.push({ op: 'delete', name });
        if (!this.endpoints.delete(`${ns}/${name}`)) throw ApiError.notFound('endpoints', name);
      },
    };
    this.c = new EndpointsController({
      services: this.services, pods: this.pods, endpoints: this.endpoints, api, logger: silent, queue: this.queue,
      recorder: { eventf: (_o, _t, reason) => { this.events.push(reason); } },
    });
  }

  ops(op: string): { op: string; body?: Endpoints; name?: string }[] { return this.calls.filter((c) => c.op === op); }
}

function svc(name: string, spec: Service['spec'] = {}, labels?: Record<string, string>): Service {
  return {
    metadata: { name, namespace: 'default', uid: `svc-${name}`, creationTimestamp: '2024-01-01T00:00:00Z', ...(labels ? { labels } : {}) },
    spec: { selector: { app: 'web' }, clusterIP: '10.43.0.10', ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }], ...spec },
  };
}

function pod(name: string, ip: string | undefined, o: { ready?: boolean; labels?: Record<string, string>; port?: number; phase?: string; deleting?: boolean; hostname?: string; subdomain?: string; readySince?: string } = {}): Pod {
  return {
    metadata: {
      name, namespace: 'default', uid: `uid-${name}`, resourceVersion: '1', labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:10:00Z' } : {}),
    },
    spec: {
      nodeName: 'n1', ...(o.hostname ? { hostname: o.hostname } : {}), ...(o.subdomain ? { subdomain: o.subdomain } : {}),
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: o.port ?? 8080, protocol: 'TCP' }] }],
    },
    status: {
      phase: o.phase ?? 'Running', ...(ip ? { podIP: ip, podIPs: [{ ip }] } : {}),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: o.readySince ?? '2024-01-01T00:05:00Z' }],
    },
  };
}

const ips = (a: EndpointAddress[] | undefined): string[] => (a ?? []).map((x) => x.ip);

test('creates Endpoints: ready pods in addresses, not-ready in notReadyAddresses, named port resolved, labels and trigger time', async () => {
  const f = new Fixture();
  f.services.set(svc('web', {}, { tier: 'fe' }));
  f.pods.set(pod('a', '10.42.0.2'));
  f.pods.set(pod('b', '10.42.0.1'));
  f.pods.set(pod('c', '10.42.0.3', { ready: false, readySince: '2024-01-01T00:03:00Z' }));
  f.pods.set(pod('no-ip', undefined));
  f.pods.set(pod('other', '10.42.0.9', { labels: { app: 'other' } }));
  f.pods.set(pod('done', '10.42.0.8', { phase: 'Succeeded' }));
  f.pods.set(pod('leaving', '10.42.0.7', { deleting: true }));
  await f.c.sync('default/web');
  const [created] = f.ops('create');
  assert.ok(created);
  const ep = created.body!;
  assert.equal(ep.metadata?.name, 'web');
  assert.deepEqual(ep.metadata?.labels, { tier: 'fe' });
  // First sync: every change is new; the earliest is the Service's creation.
  assert.equal(ep.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2024-01-01T00:00:00Z');
  assert.equal(ep.subsets?.length, 1);
  assert.deepEqual(ips(ep.subsets![0].addresses), ['10.42.0.1', '10.42.0.2']);
  assert.deepEqual(ips(ep.subsets![0].notReadyAddresses), ['10.42.0.3']);
  assert.deepEqual(ep.subsets![0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(ep.subsets![0].addresses![0], {
    ip: '10.42.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'b', uid: 'uid-b' },
  });

  // Nothing changed: no write.
  await f.c.sync('default/web');
  assert.equal(f.calls.length, 1);

  // c becomes ready: an update, trigger time = its transition.
  f.pods.set(pod('c', '10.42.0.3', { readySince: '2024-01-01T00:07:00Z' }));
  await f.c.sync('default/web');
  const [updated] = f.ops('update');
  assert.deepEqual(ips(updated.body!.subsets![0].addresses), ['10.42.0.1', '10.42.0.2', '10.42.0.3']);
  assert.equal(updated.body!.subsets![0].notReadyAddresses, undefined);
  assert.equal(updated.body!.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], '2024-01-01T00:07:00Z');
  assert.equal(updated.body!.metadata?.resourceVersion, '1', 'updates the object it read (compare-and-swap)');
});

test('pods serving different ports end up in different subsets; a pod without the named port is left out of that port', async () => {
  const f = new Fixture();
  f.services.set(svc('web', { ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: 9090, targetPort: 9090, protocol: 'TCP' }] }));
  f.pods.set(pod('a', '10.0.0.1', { port: 8080 }));
  f.pods.set(pod('b', '10.0.0.2', { port: 8081 }));
  await f.c.sync('default/web');
  const subsets = f.ops('create')[0].body!.subsets!;
  // metrics (9090) is served by both; http by a on 8080 and b on 8081.
  const byPorts = Object.fromEntries(subsets.map((s) => [s.ports!.map((p) => `${p.name}:${p.port}`).join(','), ips(s.addresses)]));
  assert.deepEqual(byPorts, { 'http:8080': ['10.0.0.1'], 'http:8081': ['10.0.0.2'], 'metrics:9090': ['10.0.0.1', '10.0.0.2'] });
});

test('publishNotReadyAddresses lists every pod as ready, terminating ones included; headless label and hostname', async () => {
  const f = new Fixture();
  f.services.set(svc('db', { clusterIP: 'None', publishNotReadyAddresses: true, selector: { app: 'web' } }));
  f.pods.set(pod('a', '10.0.0.1', { ready: false, hostname: 'a', subdomain: 'db' }));
  f.pods.set(pod('b', '10.0.0.2', { deleting: true, hostname: 'b', subdomain: 'other' }));
  await f.c.sync('default/db');
  const ep = f.ops('create')[0].body!;
  assert.deepEqual(ep.metadata?.labels, { 'service.kubernetes.io/headless': '' });
  assert.deepEqual(ips(ep.subsets![0].addresses), ['10.0.0.1', '10.0.0.2']);
  assert.equal(ep.subsets![0].addresses![0].hostname, 'a');
  assert.equal(ep.subsets![0].addresses![1].hostname, undefined, 'subdomain names another Service');
});

test('headless Service without ports still lists addresses; no pods → no subsets', async () => {
  const f = new Fixture();
  f.services.set(svc('h', { clusterIP: 'None', ports: [] }));
  f.pods.set(pod('a', '10.0.0.1'));
  await f.c.sync('default/h');
  assert.deepEqual(f.ops('create')[0].body!.subsets, [{ addresses: [{ ip: '10.0.0.1', nodeName: 'n1', targetRef: { kind: 'Pod', namespace: 'default', name: 'a', uid: 'uid-a' } }] }]);
  f.services.set(svc('empty', { selector: { app: 'nothing' } }));
  await f.c.sync('default/empty');
  assert.equal(f.ops('create')[1].body!.subsets, undefined);
});

test('Services without a selector, and ExternalName ones, are left alone; a deleted Service loses its Endpoints', async () => {
  const f = new Fixture();
  const manual = svc('manual', { selector: undefined });
  f.services.set(manual);
  f.endpoints.set({ metadata: { name: 'manual', namespace: 'default', resourceVersion: '5' }, subsets: [{ addresses: [{ ip: '1.2.3.4' }] }] });
  f.services.set(svc('ext', { type: 'ExternalName', externalName: 'example.com' }));
  f.pods.set(pod('a', '10.0.0.1'));
  await f.c.sync('default/manual');
  await f.c.sync('default/ext');
  assert.equal(f.calls.length, 0);
  f.services.set(svc('web'));
  await f.c.sync('default/web');
  f.services.delete('default/web');
  await f.c.sync('default/web');
  assert.deepEqual(f.ops('delete').map((c) => c.name), ['web']);
  await f.c.sync('default/web'); // already gone: fine
  assert.equal(f.endpoints.get('default', 'web'), undefined);
});

test('a failed update records FailedToUpdateEndpoint and throws (retried)', async () => {
  const f = new Fixture();
  f.services.set(svc('web'));
  f.endpoints.set({ metadata: { name: 'web', namespace: 'default', resourceVersion: '3' } });
  f.pods.set(pod('a', '10.0.0.1'));
  f.failUpdate = true;
  await assert.rejects(f.c.sync('default/web'), /modified/);
  assert.deepEqual(f.events, ['FailedToUpdateEndpoint']);
  f.failUpdate = false;
  await f.c.sync('default/web');
  assert.ok(f.ops('update')[0].body!.metadata?.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], 'the retry still carries the trigger time');
});

test('pod events enqueue the Services selecting the pod, old labels included', () => {
  const f = new Fixture();
  f.services.set(svc('web'));
  f.services.set(svc('api', { selector: { app: 'api' } }));
  f.services.set(svc('manual', { selector: undefined }));
  const h = f.c.podHandler();
  h.add!(pod('a', '10.0.0.1'));
  assert.equal(f.queue.len(), 1);
  const base = pod('a', '10.0.0.1', { labels: { app: 'api' } });
  const moved: Pod = { ...base, metadata: { ...base.metadata, resourceVersion: '2' } };
  h.update!(pod('a', '10.0.0.1'), moved);
  // web (old labels) is already queued; api (new labels) joins.
  assert.equal(f.queue.len(), 2);
});

test('repackSubsets: a ready address wins over the same address not ready; ports with identical address sets merge', () => {
  const a = { ip: '10.0.0.1', targetRef: { uid: 'a' } };
  const b = { ip: '10.0.0.2', targetRef: { uid: 'b' } };
  const out = repackSubsets([
    { addresses: [a], ports: [{ port: 80 }] },
    { notReadyAddresses: [a], ports: [{ port: 80 }] },
    { addresses: [b], ports: [{ port: 80 }] },
    { addresses: [a], ports: [{ port: 81 }] },
    { addresses: [b], ports: [{ port: 81 }] },
  ]);
  assert.deepEqual(out, [{ addresses: [a, b], ports: [{ port: 80 }, { port: 81 }] }]);
});

test('truncateEndpoints: over 1000 addresses, not-ready ones go first, then ready ones in proportion; annotation set by sync', async () => {
  const mk = (n: number, base: number) => Array.from({ length: n }, (_, i) => ({ ip: `10.${base}.${i >> 8}.${i & 255}` }));
  const ep: Endpoints = { metadata: {}, subsets: [{ addresses: mk(900, 1), notReadyAddresses: mk(300, 2) }] };
  assert.equal(truncateEndpoints(ep), true);
  assert.equal(ep.subsets![0].addresses!.length, 900);
  assert.equal(ep.subsets![0].notReadyAddresses!.length, 100);
  const big: Endpoints = { metadata: {}, subsets: [{ addresses: mk(1200, 1), ports: [{ port: 1 }] }, { addresses: mk(800, 2), notReadyAddresses: mk(10, 3), ports: [{ port: 2 }] }] };
  assert.equal(truncateEndpoints(big), true);
  assert.deepEqual(big.subsets!.map((s) => [s.addresses?.length, s.notReadyAddresses?.length]), [[600, undefined], [400, undefined]]);
  assert.equal(truncateEndpoints({ metadata: {}, subsets: [{ addresses: mk(1000, 1) }] }), false);

  const f = new Fixture();
  f.services.set(svc('web'));
  for (let i = 0; i < 1001; i++) f.pods.set(pod(`p${i}`, `10.1.${i >> 8}.${i & 255}`));
  await f.c.sync('default/web');
  const created = f.ops('create')[0].body!;
  assert.equal(created.metadata?.annotations?.['endpoints.kubernetes.io/over-capacity'], 'truncated');
  assert.equal(created.subsets![0].addresses!.length, 1000);
});

test('TriggerTimeTracker reports only changes since the last sync', () => {
  const t = new TriggerTimeTracker();
  const s = svc('web');
  const p1 = pod('a', '1.1.1.1', { readySince: '2024-01-01T00:05:00Z' });
  const first = t.compute('k', s, [p1]);
  assert.equal(first.time, Date.parse('2024-01-01T00:00:00Z'), 'first sync: the Service creation');
  assert.equal(t.compute('k', s, [p1]).time, first.time, 'not committed (the write failed): the retry reports it again');
  first.commit();
  assert.equal(t.compute('k', s, [p1]).time, undefined, 'nothing changed');
  const p2 = pod('b', '1.1.1.2', { readySince: '2024-01-01T00:06:00Z' });
  assert.equal(t.compute('k', s, [p1, p2]).time, Date.parse('2024-01-01T00:06:00Z'));
});

test('desiredSubsets skips pods whose IP is of another family', () => {
  const s = svc('web');
  assert.deepEqual(desiredSubsets(s, [pod('v6', 'fd00::1')]), []);
});
