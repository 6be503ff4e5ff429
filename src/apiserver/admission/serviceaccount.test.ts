import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { AdmissionAttributes } from './chain.ts';
import { ServiceAccountAdmission, TOKEN_MOUNT_PATH, mountServiceAccountToken, shouldAutomount } from './serviceaccount.ts';

type Obj = Record<string, any>;

const create = (obj: Obj): AdmissionAttributes => ({ operation: 'CREATE', info: findResource('', 'v1', 'pods')!, namespace: 'ns', subresource: '', obj, dryRun: false });
const pod = (spec: Obj = {}): Obj => ({ metadata: { name: 'x', namespace: 'ns' }, spec: { containers: [{ name: 'a', image: 'i' }, { name: 'b', image: 'i' }], initContainers: [{ name: 'init', image: 'i' }], ...spec } });

function plugin(accounts: Record<string, Obj>, lookups: string[] = []): ServiceAccountAdmission {
  return new ServiceAccountAdmission({ get: async (ns, name) => { lookups.push(`${ns}/${name}`); return accounts[name]; } }, { random: () => 0, sleep: async () => {} });
}

void test('the kube-api-access volume: token, CA bundle and namespace, mounted read-only in every container', async () => {
  const a = create(pod());
  await plugin({ default: { metadata: { name: 'default' } } }).admit(a);
  const spec = a.obj.spec;
  assert.equal(spec.serviceAccountName, 'default');
  assert.equal(spec.volumes.length, 1);
  const vol = spec.volumes[0];
  assert.match(vol.name, /^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.deepEqual(vol.projected, {
    sources: [
      { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
      { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
      { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
    ],
    defaultMode: 420,
  });
  for (const c of [...spec.containers, ...spec.initContainers]) {
    assert.deepEqual(c.volumeMounts, [{ name: vol.name, readOnly: true, mountPath: TOKEN_MOUNT_PATH }]);
  }
});

void test('automount: the pod wins over the account; default is yes', () => {
  assert.equal(shouldAutomount(undefined, pod()), true);
  assert.equal(shouldAutomount({ automountServiceAccountToken: false }, pod()), false);
  assert.equal(shouldAutomount({ automountServiceAccountToken: false }, pod({ automountServiceAccountToken: true })), true);
  assert.equal(shouldAutomount({}, pod({ automountServiceAccountToken: false })), false);
});

void test('no volume when automount is off, on the pod or on the account', async () => {
  const off = create(pod({ automountServiceAccountToken: false }));
  await plugin({ default: { metadata: { name: 'default' } } }).admit(off);
  assert.equal(off.obj.spec.volumes, undefined);
  const saOff = create(pod({ serviceAccountName: 'quiet' }));
  await plugin({ quiet: { metadata: { name: 'quiet' }, automountServiceAccountToken: false } }).admit(saOff);
  assert.equal(saOff.obj.spec.volumes, undefined);
});

void test('a container that mounts something at the path keeps it; no volume when nobody needs it', () => {
  const own = { name: 'mine', mountPath: TOKEN_MOUNT_PATH };
  const p = pod({ containers: [{ name: 'a', image: 'i', volumeMounts: [own] }, { name: 'b', image: 'i' }], initContainers: [] });
  mountServiceAccountToken(p, () => 0);
  assert.deepEqual(p.spec.containers[0].volumeMounts, [own]);
  assert.equal(p.spec.containers[1].volumeMounts.length, 1);
  assert.equal(p.spec.volumes.length, 1);
  const all = pod({ containers: [{ name: 'a', image: 'i', volumeMounts: [own] }], initContainers: [] });
  mountServiceAccountToken(all, () => 0);
  assert.equal(all.spec.volumes, undefined);
});

void test('a missing account is refused (403); `default` is looked up several times first', async () => {
  const lookups: string[] = [];
  await assert.rejects(plugin({}, lookups).admit(create(pod())), (e: unknown) => e instanceof ApiError && e.code === 403
    && e.message === 'pods "x" is forbidden: error looking up service account ns/default: serviceaccount "default" not found');
  assert.equal(lookups.length, 10);
  const once: string[] = [];
  await assert.rejects(plugin({}, once).admit(create(pod({ serviceAccountName: 'builder' }))), /error looking up service account ns\/builder: serviceaccount "builder" not found/);
  assert.equal(once.length, 1);
});

void test('mirror pods are left alone', async () => {
  const p = pod();
  p.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' };
  const a = create(p);
  await plugin({}).admit(a);
  assert.equal(a.obj.spec.volumes, undefined);
  assert.equal(a.obj.spec.serviceAccountName, undefined);
});
