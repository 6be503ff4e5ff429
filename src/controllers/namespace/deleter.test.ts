// The namespace deleter against a real in-process API server (memory store):
// one sync pass at a time, no controller loop, so each step is observable.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { ConfigMap, Namespace, NamespaceCondition, Pod } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../../../test/helpers/testserver.ts';
import { isNotFound, type RestClient } from '../../client/index.ts';
import { realClock } from '../../base/clock.ts';
import { RESOURCES } from '../../api/resources.ts';
import { RetryLater } from '../worker.ts';
import { deletableResources, NamespaceDeleter } from './deleter.ts';

const logger = pino({ level: 'silent' });
let ts: TestServer;
let c: RestClient;
before(async () => { ts = await startTestServer(); c = ts.client; });
after(async () => { await ts.close(); });

const namespaces = () => c.resource<Namespace>('v1', 'Namespace');
const cms = (ns: string) => c.resource<ConfigMap>('v1', 'ConfigMap').namespace(ns);
const pods = (ns: string) => c.resource<Pod>('v1', 'Pod').namespace(ns);
const pod = (name: string, grace?: number): Pod => ({ metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }], terminationGracePeriodSeconds: grace } });

async function gone(ns: string): Promise<boolean> {
  try { await namespaces().get(ns); return false; } catch (e) { if (isNotFound(e)) return true; throw e; }
}
function condition(ns: Namespace, type: string): NamespaceCondition | undefined {
  return ns.status?.conditions?.find((x) => x.type === type);
}

test('deletableResources: namespaced, listable and deletable, no virtual ones', () => {
  const names = deletableResources().map((r) => `${r.plural}.${r.group}`);
  for (const want of ['pods.', 'configmaps.', 'secrets.', 'serviceaccounts.', 'deployments.apps', 'leases.coordination.k8s.io', 'events.']) {
    assert.ok(names.includes(want), want);
  }
  for (const not of ['namespaces.', 'nodes.', 'bindings.', 'localsubjectaccessreviews.authorization.k8s.io']) assert.ok(!names.includes(not), not);
});

test('content is deleted; what remains (terminating pods, finalizers) is reported in conditions; then the namespace is finalized', async () => {
  await namespaces().create({ metadata: { name: 'd1' } });
  await cms('d1').create({ metadata: { name: 'a' }, data: { k: 'v' } });
  await cms('d1').create({ metadata: { name: 'held', finalizers: ['example.com/hold'] } });
  await c.resource('v1', 'Secret').namespace('d1').create({ metadata: { name: 's' } } as never);
  await c.resource('apps/v1', 'Deployment').namespace('d1').create({
    metadata: { name: 'web' },
    spec: { selector: { matchLabels: { app: 'web' } }, template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } } },
  } as never);
  // No serviceaccount controller runs here: the pods' account is made by hand (ServiceAccount admission requires it).
  await c.resource('v1', 'ServiceAccount').namespace('d1').create({ metadata: { name: 'default' } } as never);
  await pods('d1').create(pod('unbound'));
  await pods('d1').create(pod('bound', 20));
  await pods('d1').createSubresource('bound', 'binding', { apiVersion: 'v1', kind: 'Binding', metadata: { name: 'bound' }, target: { kind: 'Node', name: 'n1' } });

  const deleter = new NamespaceDeleter({ client: c, clock: realClock, logger });
  // Not being deleted: nothing happens.
  await deleter.sync('d1');
  assert.equal((await cms('d1').list()).items.length, 2);

  await namespaces().delete('d1');
  const err = await deleter.sync('d1').then(() => undefined, (e: unknown) => e);
  assert.ok(err instanceof RetryLater, String(err));
  // Back-off, capped at half the pod's remaining grace (≈20 s) plus a second, as upstream.
  assert.equal(err.afterMs, undefined);
  assert.ok(err.maxMs !== undefined && err.maxMs >= 9_000 && err.maxMs <= 11_000, String(err.maxMs));

  assert.deepEqual((await cms('d1').list()).items.map((x) => x.metadata!.name), ['held']);
  assert.deepEqual((await pods('d1').list()).items.map((x) => x.metadata!.name), ['bound']);
  assert.equal((await c.resource('apps/v1', 'Deployment').namespace('d1').list()).items.length, 0);
  assert.equal((await c.resource('v1', 'Secret').namespace('d1').list()).items.length, 0);

  const ns = await namespaces().get('d1');
  assert.equal(ns.status?.phase, 'Terminating');
  assert.deepEqual(ns.spec?.finalizers, ['kubernetes']);
  const remaining = condition(ns, 'NamespaceContentRemaining')!;
  assert.equal(remaining.status, 'True');
  assert.equal(remaining.reason, 'SomeResourcesRemain');
  assert.equal(remaining.message, 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 1 resource instances');
  const fin = condition(ns, 'NamespaceFinalizersRemaining')!;
  assert.equal(fin.status, 'True');
  assert.equal(fin.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances');
  assert.equal(condition(ns, 'NamespaceDeletionContentFailure')?.status, 'False');
  assert.equal(condition(ns, 'NamespaceDeletionDiscoveryFailure')?.reason, 'ResourcesDiscovered');

  // The kubelet finishes the pod; only the finalizer holds things up now.
  await pods('d1').delete('bound', { gracePeriodSeconds: 0 });
  const again = await deleter.sync('d1').then(() => undefined, (e: unknown) => e);
  assert.ok(again instanceof RetryLater);
  assert.equal(again.maxMs, undefined, 'finalizers: the queue\'s back-off, no cap');
  const ns2 = await namespaces().get('d1');
  assert.equal(condition(ns2, 'NamespaceContentRemaining')!.message, 'Some resources are remaining: configmaps. has 1 resource instances');
  assert.equal(condition(ns2, 'NamespaceContentRemaining')!.lastTransitionTime, remaining.lastTransitionTime);

  await cms('d1').patch('held', 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
  await deleter.sync('d1');
  assert.equal(await gone('d1'), true);
  await deleter.sync('d1'); // gone: nothing to do
});

test('resources without deletecollection are deleted one by one', async () => {
  await namespaces().create({ metadata: { name: 'd2' } });
  for (const n of ['x', 'y', 'z']) await cms('d2').create({ metadata: { name: n } });
  const noCollection = () => deletableResources(RESOURCES).map((r) => (r.plural === 'configmaps' ? { ...r, verbs: r.verbs.filter((v) => v !== 'deletecollection') } : r));
  const deleter = new NamespaceDeleter({ client: c, clock: realClock, logger, resources: noCollection });
  await namespaces().delete('d2');
  await deleter.sync('d2');
  assert.equal(await gone('d2'), true);
});

test('a namespace whose `kubernetes` finalizer is gone but another remains is left to its owner', async () => {
  await namespaces().create({ metadata: { name: 'd3' }, spec: { finalizers: ['kubernetes', 'example.com/other'] } });
  await namespaces().delete('d3');
  const deleter = new NamespaceDeleter({ client: c, clock: realClock, logger });
  await deleter.sync('d3');
  const ns = await namespaces().get('d3');
  assert.deepEqual(ns.spec?.finalizers, ['example.com/other']);
  await deleter.sync('d3'); // nothing of ours left to do
  await namespaces().updateSubresource('d3', 'finalize', { ...ns, spec: { finalizers: [] } });
  assert.equal(await gone('d3'), true);
});
