// The Endpoints and EndpointSlice controllers in a real `pilot server`, seen
// through the real kubectl: a Service's ready pods show up in its Endpoints
// and EndpointSlice (with node, zone and target), a pod turning not-ready
// moves to notReadyAddresses / ready=false, a deleted pod disappears, and
// the Service's deletion takes both with it. Pods are bound and made
// Running/Ready by the fake kubelet (test/helpers/fake-kubelet.ts).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Endpoints, Pod } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { Pilot, spawnKubectl } from './helpers/pilot.ts';
import { FakeKubelet } from './helpers/fake-kubelet.ts';
import { loadKubeconfig, RestClient } from '../src/client/index.ts';

let pilot: Pilot;
let client: RestClient;
let kubelet: FakeKubelet;
const notReady = new Set<string>();

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 45_000): Promise<T> {
  const start = Date.now();
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const MANIFESTS = `
apiVersion: v1
kind: Node
metadata:
  name: fake-node
  labels: { topology.kubernetes.io/zone: zone-a }
---
apiVersion: v1
kind: Service
metadata:
  name: web
  labels: { tier: frontend }
spec:
  selector: { app: web }
  ports:
  - { name: http, port: 80, targetPort: http }
---
${[1, 2, 3].map((i) => `apiVersion: v1
kind: Pod
metadata:
  name: web-${i}
  labels: { app: web }
spec:
  containers:
  - name: c
    image: registry.local/web:1
    ports: [{ name: http, containerPort: 8080 }]
`).join('---\n')}`;

before(async () => {
  // The fake node sends no heartbeats: without this, the node lifecycle controller would
  // (rightly) mark its pods not ready while the fake kubelet marks them ready again.
  pilot = await new Pilot({ extraArgs: ['--controllers', '*,-nodelifecycle'] }).start();
  client = new RestClient(loadKubeconfig(pilot.kubeconfig));
  kubelet = await new FakeKubelet(client, { selector: 'app=web', ready: (p) => !notReady.has(p.metadata?.name ?? '') }).start();
});

after(async () => {
  await kubelet?.stop();
  client?.close();
  await pilot?.dispose();
});

const podIP = async (name: string): Promise<string> => (await pilot.json<Pod>(['get', 'pod', name])).status!.podIP!;
const endpoints = (): Promise<Endpoints> => pilot.json<Endpoints>(['get', 'endpoints', 'web']);
const slices = async (): Promise<EndpointSlice[]> =>
  (await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web'])).items;
const ips = (addrs: { ip: string }[] | undefined): string[] => (addrs ?? []).map((a) => a.ip).sort();

test('a Service\'s ready pods become its Endpoints and EndpointSlice; readiness and deletion follow', async () => {
  // Every write of the Endpoints, seen through a watch: the writes that publish a change
  // carry the trigger time, and a later sync without a new trigger drops it again (as
  // upstream), so polling could miss it.
  const epWatch = spawnKubectl(pilot, ['get', 'endpoints', '-w', '-o', 'json', '--field-selector', 'metadata.name=web']);
  await new Promise((r) => setTimeout(r, 500));
  await pilot.k(['apply', '-f', '-'], { input: MANIFESTS });
  const svc = await pilot.json(['get', 'svc', 'web']);
  const all = await until('three pods with IPs', async () => {
    const got = await Promise.all(['web-1', 'web-2', 'web-3'].map(podIP));
    return got.every(Boolean) && got;
  });

  // Endpoints: one subset, all three ready, the named targetPort resolved to 8080.
  const ep = await until('Endpoints with 3 ready addresses', async () => {
    const e = await endpoints();
    return ips(e.subsets?.[0]?.addresses).length === 3 && e;
  });
  assert.deepEqual(ips(ep.subsets![0].addresses), [...all].sort());
  assert.deepEqual(ep.subsets![0].ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  assert.equal(ep.subsets!.length, 1);
  const a1 = ep.subsets![0].addresses!.find((a) => a.targetRef?.name === 'web-1')!;
  assert.equal(a1.nodeName, 'fake-node');
  assert.deepEqual(a1.targetRef, { kind: 'Pod', namespace: 'default', name: 'web-1', uid: (await pilot.json(['get', 'pod', 'web-1'])).metadata.uid });
  assert.deepEqual(ep.metadata?.labels, { tier: 'frontend' });
  try {
    await epWatch.waitFor(/"endpoints\.kubernetes\.io\/last-change-trigger-time": "\d{4}-\d\d-\d\dT/, 30_000);
  } finally {
    await epWatch.stop();
  }

  // EndpointSlice: one, named web-xxxxx, owned by the Service, with conditions, node and zone.
  const [slice] = await until('an EndpointSlice with 3 endpoints', async () => {
    const s = await slices();
    return s.length === 1 && s[0].endpoints?.length === 3 && s;
  });
  assert.match(slice.metadata!.name!, /^web-[a-z0-9]{5}$/);
  assert.equal(slice.metadata?.generateName, 'web-');
  assert.equal(slice.addressType, 'IPv4');
  assert.deepEqual(slice.metadata?.labels, {
    tier: 'frontend', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
  assert.deepEqual(slice.metadata?.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(slice.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  for (const e of slice.endpoints) {
    assert.deepEqual(e.conditions, { ready: true, serving: true, terminating: false });
    assert.equal(e.nodeName, 'fake-node');
    assert.equal(e.zone, 'zone-a');
    assert.equal(e.targetRef?.kind, 'Pod');
  }
  assert.deepEqual(slice.endpoints.map((e) => e.addresses[0]).sort(), [...all].sort());

  // kubectl get shows them.
  const sortedEps = [...all].sort();
  const epLine = (await pilot.k(['get', 'endpoints', 'web'])).split('\n')[1];
  assert.match(epLine, /^web\s+\S+:8080,\S+:8080,\S+:8080\s+\S+$/);
  for (const ip of sortedEps) assert.ok(epLine.includes(`${ip}:8080`), epLine);
  const sliceLine = (await pilot.k(['get', 'endpointslices', slice.metadata!.name!])).split('\n')[1];
  assert.match(sliceLine, new RegExp(`^${slice.metadata!.name}\\s+IPv4\\s+8080\\s+\\S+\\s+\\S+$`));

  // web-2 turns not ready: it moves to notReadyAddresses, and to ready=false in the slice.
  const ip2 = await podIP('web-2');
  notReady.add('web-2');
  kubelet.poke();
  await until('web-2 not ready in Endpoints', async () => {
    const e = await endpoints();
    return ips(e.subsets?.[0]?.notReadyAddresses).join() === ip2 && ips(e.subsets?.[0]?.addresses).length === 2 && e;
  });
  await until('web-2 not ready in the slice', async () => {
    const [s] = await slices();
    const e = s?.endpoints?.find((x) => x.targetRef?.name === 'web-2');
    return e?.conditions?.ready === false && e.conditions.serving === false && e.conditions.terminating === false;
  });
  const described = await pilot.k(['describe', 'svc', 'web']);
  assert.match(described, /Endpoints:\s+\S+:8080,\S+:8080\n/, described);

  // web-1 deleted: gone from both (the same slice is updated, not replaced).
  const ip1 = await podIP('web-1');
  await pilot.k(['delete', 'pod', 'web-1', '--wait=false']);
  await until('web-1 gone from Endpoints', async () => {
    const e = await endpoints();
    const addrs = [...ips(e.subsets?.[0]?.addresses), ...ips(e.subsets?.[0]?.notReadyAddresses)];
    return !addrs.includes(ip1) && addrs.length === 2;
  });
  const [after1] = await until('web-1 gone from the slice', async () => {
    const s = await slices();
    return s.length === 1 && s[0].endpoints?.length === 2 && !s[0].endpoints.some((e) => e.addresses[0] === ip1) && s;
  });
  assert.equal(after1.metadata?.name, slice.metadata?.name, 'minimal churn: the slice is updated in place');

  // The Service goes: its Endpoints (deleted by the controller) and slices (garbage collected) follow.
  await pilot.k(['delete', 'svc', 'web']);
  await until('Endpoints deleted', async () => (await pilot.kubectl(['get', 'endpoints', 'web'])).code !== 0);
  await until('slices deleted', async () => (await slices()).length === 0);
});

test('a Service without a selector keeps the Endpoints its user wrote; they are mirrored into an EndpointSlice', async () => {
  await pilot.k(['apply', '-f', '-'], {
    input: `apiVersion: v1
kind: Service
metadata: { name: external }
spec: { ports: [{ port: 80 }] }
---
apiVersion: v1
kind: Endpoints
metadata: { name: external }
subsets:
- addresses: [{ ip: 192.168.10.10 }]
  ports: [{ port: 80 }]
`,
  });
  // Give the controllers a chance to (wrongly) act, by syncing something else after it.
  await pilot.k(['create', 'service', 'clusterip', 'marker', '--tcp=80:80']);
  await until('the marker Service has its placeholder slice', async () =>
    (await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=marker'])).items.length === 1);
  const ep = await pilot.json<Endpoints>(['get', 'endpoints', 'external']);
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '192.168.10.10' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
  const own = await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=external']);
  assert.equal(own.items.filter((s) => s.metadata?.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io').length, 0);

  // The mirroring controller copies the user's Endpoints into a slice owned by them.
  const mirrored = await until('a mirrored slice', async () => {
    const l = await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,kubernetes.io/service-name=external']);
    return l.items.length === 1 && l.items[0];
  });
  assert.match(mirrored.metadata!.name!, /^external-[a-z0-9]{5}$/);
  assert.equal(mirrored.addressType, 'IPv4');
  assert.deepEqual(mirrored.ports, [{ name: '', port: 80, protocol: 'TCP' }]);
  assert.deepEqual(mirrored.endpoints, [{ addresses: ['192.168.10.10'], conditions: { ready: true } }]);
  assert.deepEqual(mirrored.metadata?.ownerReferences?.map((r) => [r.kind, r.name, r.uid]), [['Endpoints', 'external', ep.metadata?.uid]]);
  // A change to the Endpoints follows; their deletion takes the slice away.
  await pilot.k(['patch', 'endpoints', 'external', '--type=json', '-p', '[{"op":"add","path":"/subsets/0/notReadyAddresses","value":[{"ip":"192.168.10.11"}]}]']);
  await until('the mirrored slice follows', async () => {
    const l = await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,kubernetes.io/service-name=external']);
    return l.items.length === 1 && l.items[0].endpoints.length === 2 && l.items[0].endpoints.some((e) => e.addresses[0] === '192.168.10.11' && e.conditions?.ready === false);
  });
  await pilot.k(['delete', 'endpoints', 'external']);
  await until('the mirrored slice goes', async () =>
    (await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=external'])).items.length === 0);
  // The `kubernetes` Service's Endpoints are the apiserver's and carry skip-mirror: never mirrored.
  const k8s = await pilot.json<{ items: EndpointSlice[] }>(['get', 'endpointslices', '-l', 'endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io,kubernetes.io/service-name=kubernetes']);
  assert.equal(k8s.items.length, 0);
});
