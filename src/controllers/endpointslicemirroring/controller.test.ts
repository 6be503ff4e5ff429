// The mirroring controller without a server: fake listers and a recording API.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { pino } from 'pino';
import { Indexer, WorkQueue } from '../../client/index.ts';
import type { EndpointSliceApi } from '../endpointslice/controller.ts';
import { EndpointSliceMirroringController, desiredFromEndpoints } from './controller.ts';

class Fixture {
  services = new Indexer<Service>();
  endpoints = new Indexer<Endpoints>();
  slices = new Indexer<EndpointSlice>();
  calls: { op: string; slice?: EndpointSlice; name?: string }[] = [];
  events: string[] = [];
  private rv = 10;
  c: EndpointSliceMirroringController;

  constructor(max?: number) {
    const store = (s: EndpointSlice): EndpointSlice => {
      const out = { ...structuredClone(s), metadata: { ...s.metadata, resourceVersion: String(++this.rv) } };
      this.slices.set(out);
      return out;
    };
    const api: EndpointSliceApi = {
      create: async (_ns, s) => { this.calls.push({ op: 'create', slice: structuredClone(s) }); return store({ ...s, metadata: { ...s.metadata, name: `${s.metadata!.generateName}abcde` } }); },
      update: async (_ns, s) => { this.calls.push({ op: 'update', slice: structuredClone(s) }); return store(s); },
      delete: async (ns, name) => { this.calls.push({ op: 'delete', name }); this.slices.delete(`${ns}/${name}`); },
    };
    this.c = new EndpointSliceMirroringController({
      services: this.services, endpoints: this.endpoints, slices: this.slices, api, logger: pino({ level: 'silent' }), queue: new WorkQueue<string>(),
      recorder: { eventf: (_o, _t, reason) => { this.events.push(reason); } }, maxEndpointsPerSubset: max,
    });
    this.services.set({ metadata: { name: 'ext', namespace: 'default', uid: 'svc' }, spec: { ports: [{ port: 80 }] } });
  }
  ops(op: string): { op: string; slice?: EndpointSlice; name?: string }[] { return this.calls.filter((c) => c.op === op); }
}

function endpoints(subsets: Endpoints['subsets'], meta: Partial<NonNullable<Endpoints['metadata']>> = {}): Endpoints {
  return { metadata: { name: 'ext', namespace: 'default', uid: 'ep-uid', resourceVersion: '3', ...meta }, subsets };
}

test('mirrors user Endpoints of a selector-less Service into an owned slice, labels and annotations copied', async () => {
  const f = new Fixture();
  f.endpoints.set(endpoints([{ addresses: [{ ip: '10.1.0.1', hostname: 'h', nodeName: 'n1' }], notReadyAddresses: [{ ip: '10.1.0.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    { labels: { team: 'a' }, annotations: { note: 'x', 'endpoints.kubernetes.io/last-change-trigger-time': 't', 'kubectl.kubernetes.io/last-applied-configuration': '{}' } }));
  await f.c.sync('default/ext');
  const [c] = f.ops('create');
  const s = c.slice!;
  assert.equal(s.metadata?.generateName, 'ext-');
  assert.deepEqual(s.metadata?.labels, { team: 'a', 'kubernetes.io/service-name': 'ext', 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io' });
  assert.deepEqual(s.metadata?.annotations, { note: 'x' });
  assert.deepEqual(s.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Endpoints', name: 'ext', uid: 'ep-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(s.ports, [{ name: 'http', port: 80, protocol: 'TCP' }]);
  assert.deepEqual(s.endpoints, [
    { addresses: ['10.1.0.1'], conditions: { ready: true }, hostname: 'h', nodeName: 'n1' },
    { addresses: ['10.1.0.2'], conditions: { ready: false } },
  ]);
  f.calls = [];
  await f.c.sync('default/ext');
  assert.deepEqual(f.calls, [], 'in sync');
  // An annotation change rewrites the slice's annotations.
  f.endpoints.set(endpoints([{ addresses: [{ ip: '10.1.0.1', hostname: 'h', nodeName: 'n1' }], notReadyAddresses: [{ ip: '10.1.0.2' }], ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }],
    { labels: { team: 'a' }, annotations: { note: 'y' } }));
  await f.c.sync('default/ext');
  assert.deepEqual(f.ops('update')[0].slice!.metadata?.annotations, { note: 'y' });
});

test('not mirrored: a Service with a selector, skip-mirror, no Service; existing mirrored slices are then removed', async () => {
  const f = new Fixture();
  f.endpoints.set(endpoints([{ addresses: [{ ip: '10.1.0.1' }] }]));
  await f.c.sync('default/ext');
  assert.equal(f.ops('create').length, 1);
  f.services.set({ metadata: { name: 'ext', namespace: 'default', uid: 'svc' }, spec: { selector: { app: 'x' } } });
  await f.c.sync('default/ext');
  assert.deepEqual(f.ops('delete').map((c) => c.name), ['ext-abcde']);

  const g = new Fixture();
  g.endpoints.set(endpoints([{ addresses: [{ ip: '10.1.0.1' }] }], { labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } }));
  await g.c.sync('default/ext');
  g.services.delete('default/ext');
  g.endpoints.set(endpoints([{ addresses: [{ ip: '10.1.0.1' }] }]));
  await g.c.sync('default/ext');
  assert.deepEqual(g.calls, []);
});

test('invalid IPs are skipped, addresses beyond the per-subset maximum too, each with a warning event', async () => {
  const f = new Fixture(2);
  f.endpoints.set(endpoints([{ addresses: [{ ip: 'not-an-ip' }, { ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }], ports: [{ port: 80 }] }]));
  await f.c.sync('default/ext');
  assert.deepEqual(f.events.sort(), ['InvalidIPAddress', 'TooManyAddressesToMirror']);
  assert.equal(f.ops('create')[0].slice!.endpoints.length, 2);
});

test('desiredFromEndpoints splits address types and subsets with different ports', () => {
  const { desired } = desiredFromEndpoints(endpoints([
    { addresses: [{ ip: '10.0.0.1' }, { ip: 'fd00::1' }], ports: [{ port: 80, protocol: 'TCP' }] },
    { addresses: [{ ip: '10.0.0.2' }], ports: [{ port: 81, protocol: 'TCP' }] },
  ]), 1000);
  assert.deepEqual([...desired.keys()].sort(), ['IPv4', 'IPv6']);
  assert.equal(desired.get('IPv4')!.size, 2);
  assert.equal(desired.get('IPv6')!.size, 1);
});
