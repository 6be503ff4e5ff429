// The ResourceQuota admission plugin without a server: a fake quota store
// with compare-and-swap on resourceVersion, shared by several plugin
// instances to stand for several API servers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ResourceQuota } from 'kubernetes-types/core/v1.js';
import { findResource } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import { ResourceQuotaAdmission, type AdmissionAttributes, type QuotaAccess } from './resourcequota.ts';

class FakeQuotaStore implements QuotaAccess {
  quotas = new Map<string, ResourceQuota>();
  private rv = 1;
  writes = 0;
  conflicts = 0;
  /** Yields between read and write so concurrent admissions interleave. */
  async list(namespace: string): Promise<ResourceQuota[]> {
    await new Promise((r) => setImmediate(r));
    return [...this.quotas.values()].filter((q) => q.metadata?.namespace === namespace).map((q) => structuredClone(q));
  }
  /** Runs before each status write (to simulate another server's write in between). */
  beforeUpdate?: (rq: ResourceQuota) => void;
  async updateStatus(rq: ResourceQuota): Promise<void> {
    await new Promise((r) => setImmediate(r));
    this.beforeUpdate?.(rq);
    const cur = this.quotas.get(rq.metadata!.name!)!;
    if (cur.metadata?.resourceVersion !== rq.metadata?.resourceVersion) {
      this.conflicts++;
      throw ApiError.conflict('resourcequotas', rq.metadata!.name!, 'the object has been modified');
    }
    this.writes++;
    this.quotas.set(rq.metadata!.name!, { ...cur, status: structuredClone(rq.status), metadata: { ...cur.metadata, resourceVersion: String(++this.rv) } });
  }
  add(name: string, hard: Record<string, string>, used?: Record<string, string>, extra: Partial<NonNullable<ResourceQuota['spec']>> = {}): void {
    this.quotas.set(name, {
      metadata: { name, namespace: 'ns', resourceVersion: String(++this.rv) },
      spec: { hard, ...extra },
      status: used ? { hard, used } : {},
    });
  }
  used(name: string): Record<string, string> | undefined { return this.quotas.get(name)?.status?.used as Record<string, string> | undefined; }
}

const PODS = findResource('', 'v1', 'pods')!;
const SERVICES = findResource('', 'v1', 'services')!;
const CONFIGMAPS = findResource('', 'v1', 'configmaps')!;

function podAttrs(name: string, resources?: object, dryRun = false): AdmissionAttributes {
  return {
    operation: 'CREATE', info: PODS, namespace: 'ns', subresource: '', dryRun,
    obj: { metadata: { name, namespace: 'ns' }, spec: { containers: [{ name: 'c', image: 'x', ...(resources ? { resources } : {}) }] } },
  };
}

async function refused(p: Promise<void>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ApiError);
    return e;
  }
  throw new Error('admitted, but should have been refused');
}

test('charges a create into status.used; refuses past the limit with upstream\'s message (403 Forbidden)', async () => {
  const store = new FakeQuotaStore();
  store.add('q', { pods: '2', 'requests.cpu': '1' }, { pods: '1', 'requests.cpu': '500m' });
  const adm = new ResourceQuotaAdmission(store);
  const res = { requests: { cpu: '250m' }, limits: { cpu: '250m' } };
  await adm.admit(podAttrs('a', res));
  assert.deepEqual(store.used('q'), { pods: '2', 'requests.cpu': '750m' });
  const e = await refused(adm.admit(podAttrs('b', res)));
  assert.equal(e.code, 403);
  assert.equal(e.reason, 'Forbidden');
  assert.equal(e.message, 'pods "b" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2');
  assert.deepEqual(e.details, { name: 'b', kind: 'pods', group: undefined });
  assert.deepEqual(store.used('q'), { pods: '2', 'requests.cpu': '750m' }, 'a refusal charges nothing');
});

test('several exceeded resources are listed, sorted', async () => {
  const store = new FakeQuotaStore();
  store.add('q', { pods: '5', 'requests.cpu': '1', 'requests.memory': '1Gi' }, { pods: '0', 'requests.cpu': '900m', 'requests.memory': '1000Mi' });
  const e = await refused(new ResourceQuotaAdmission(store).admit(podAttrs('p', { requests: { cpu: '200m', memory: '100Mi' } })));
  assert.equal(e.message, 'pods "p" is forbidden: exceeded quota: q, requested: requests.cpu=200m,requests.memory=100Mi, '
    + 'used: requests.cpu=900m,requests.memory=1000Mi, limited: requests.cpu=1,requests.memory=1Gi');
});

test('pods must state what a compute quota constrains; a quota without status applies not at all or is "status unknown"', async () => {
  const store = new FakeQuotaStore();
  store.add('compute', { 'limits.cpu': '2', 'requests.memory': '1Gi' }, { 'limits.cpu': '0', 'requests.memory': '0' });
  const adm = new ResourceQuotaAdmission(store);
  const e = await refused(adm.admit(podAttrs('p')));
  assert.equal(e.message, 'pods "p" is forbidden: failed quota: compute: must specify limits.cpu for: c; requests.memory for: c');

  const s2 = new FakeQuotaStore();
  s2.add('fresh', { pods: '1' }); // the controller has not filled status yet
  await new ResourceQuotaAdmission(s2).admit(podAttrs('p'));
  assert.equal(s2.writes, 0);

  const s3 = new FakeQuotaStore();
  s3.add('partial', { pods: '1', 'count/pods': '1' }, { pods: '0' });
  const e3 = await refused(new ResourceQuotaAdmission(s3).admit(podAttrs('p')));
  assert.equal(e3.message, 'pods "p" is forbidden: status unknown for quota: partial, resources: count/pods,pods');
});

test('scoped quotas apply only to matching pods; dry runs check but do not charge', async () => {
  const store = new FakeQuotaStore();
  store.add('be', { pods: '1' }, { pods: '1' }, { scopes: ['BestEffort'] });
  const adm = new ResourceQuotaAdmission(store);
  await refused(adm.admit(podAttrs('best-effort')));
  await adm.admit(podAttrs('burstable', { requests: { cpu: '1' } }));
  const s2 = new FakeQuotaStore();
  s2.add('q', { pods: '3' }, { pods: '0' });
  await new ResourceQuotaAdmission(s2).admit(podAttrs('x', undefined, true));
  assert.equal(s2.writes, 0);
});

test('updates charge only the increase (a Service turning NodePort); other resources are not affected', async () => {
  const store = new FakeQuotaStore();
  store.add('q', { 'services.nodeports': '1', services: '5' }, { 'services.nodeports': '0', services: '1' });
  const adm = new ResourceQuotaAdmission(store);
  const old = { metadata: { name: 's', namespace: 'ns', resourceVersion: '3' }, spec: { type: 'ClusterIP', ports: [{ port: 80 }] } };
  const np = { ...old, spec: { type: 'NodePort', ports: [{ port: 80 }, { port: 81 }] } };
  const e = await refused(adm.admit({ operation: 'UPDATE', info: SERVICES, namespace: 'ns', subresource: '', obj: np, old, dryRun: false }));
  assert.match(e.message, /^services "s" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1$/);
  await adm.admit({ operation: 'UPDATE', info: SERVICES, namespace: 'ns', subresource: '', obj: { ...np, spec: { type: 'NodePort', ports: [{ port: 80 }] } }, old, dryRun: false });
  assert.deepEqual(store.used('q'), { 'services.nodeports': '1', services: '1' }, 'the Service was already counted');
  // Pods' updates and status writes are not quota's business.
  await adm.admit({ ...podAttrs('p'), operation: 'UPDATE', old: podAttrs('p').obj });
  assert.equal(store.writes, 1);
});

test('concurrent creates through several plugin instances (servers) on one store never exceed the limit', async () => {
  const store = new FakeQuotaStore();
  store.add('cms', { configmaps: '7' }, { configmaps: '0' });
  store.add('counts', { 'count/configmaps': '10' }, { 'count/configmaps': '0' });
  const servers = [new ResourceQuotaAdmission(store), new ResourceQuotaAdmission(store), new ResourceQuotaAdmission(store)];
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => servers[i % 3].admit({
    operation: 'CREATE', info: CONFIGMAPS, namespace: 'ns', subresource: '', dryRun: false, obj: { metadata: { name: `cm-${i}`, namespace: 'ns' } },
  })));
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  assert.equal(ok, 7, 'exactly as many as the tighter quota allows');
  assert.deepEqual(store.used('cms'), { configmaps: '7' });
  assert.deepEqual(store.used('counts'), { 'count/configmaps': '7' }, 'the other quota was charged exactly once per admitted create');
  assert.ok(store.conflicts > 0, 'the servers did race (the test exercises the compare-and-swap)');
  for (const r of results) {
    if (r.status === 'rejected') assert.match((r.reason as Error).message, /exceeded quota: cms, requested: configmaps=1, used: configmaps=7, limited: configmaps=7$/);
  }
});

test('events are never counted; cluster-scoped resources neither', async () => {
  const store = new FakeQuotaStore();
  store.add('q', { 'count/events': '0' }, { 'count/events': '0' });
  const adm = new ResourceQuotaAdmission(store);
  await adm.admit({ operation: 'CREATE', info: findResource('', 'v1', 'events')!, namespace: 'ns', subresource: '', dryRun: false, obj: { metadata: { name: 'e' } } });
  await adm.admit({ operation: 'CREATE', info: findResource('', 'v1', 'namespaces')!, namespace: '', subresource: '', dryRun: false, obj: { metadata: { name: 'n' } } });
  assert.equal(store.writes, 0);
});

test('refused after a race, a request gives back what it had charged on other quotas', async () => {
  const store = new FakeQuotaStore();
  store.add('a-pods', { pods: '10' }, { pods: '3' });
  store.add('b-pods', { pods: '2' }, { pods: '1' });
  let raced = false;
  store.beforeUpdate = (rq) => {
    // Another server takes the last pod of b-pods just before our write.
    if (rq.metadata?.name === 'b-pods' && !raced) {
      raced = true;
      const cur = store.quotas.get('b-pods')!;
      store.quotas.set('b-pods', { ...cur, status: { ...cur.status, used: { pods: '2' } }, metadata: { ...cur.metadata, resourceVersion: '999' } });
    }
  };
  const e = await refused(new ResourceQuotaAdmission(store).admit(podAttrs('p')));
  assert.equal(e.message, 'pods "p" is forbidden: exceeded quota: b-pods, requested: pods=1, used: pods=2, limited: pods=2');
  assert.deepEqual(store.used('a-pods'), { pods: '3' }, 'the charge on a-pods was refunded');
  assert.deepEqual(store.used('b-pods'), { pods: '2' });
});
