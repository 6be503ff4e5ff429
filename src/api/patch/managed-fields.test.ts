import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaFor } from '../schema/index.ts';
import { defaultManagerFromUserAgent, recordUpdate } from './managed-fields.ts';
import { capUpdateManagers, decodeManagedFields, encodeManagedFields } from './managers.ts';

const cmSchema = schemaFor('v1', 'ConfigMap');
const deploySchema = schemaFor('apps/v1', 'Deployment');
const T1 = new Date('2024-05-01T10:00:00.123Z');
const T2 = new Date('2024-05-01T11:00:00Z');

type Obj = Record<string, any>;
const mf = (o: Obj): Obj[] => o.metadata.managedFields;

test('defaultManagerFromUserAgent takes the User-Agent up to the first "/"', () => {
  assert.equal(defaultManagerFromUserAgent('kubectl-create/v1.32.0 (linux/amd64) kubernetes/abcdef'), 'kubectl-create');
  assert.equal(defaultManagerFromUserAgent('kubectl-client-side-apply/v1.32.0 (linux/amd64) kubernetes/abc'), 'kubectl-client-side-apply');
  assert.equal(defaultManagerFromUserAgent('kube-controller-manager/v1.28.0 (linux/amd64) kubernetes/x/system:serviceaccount:kube-system:deployment-controller'), 'kube-controller-manager');
  assert.equal(defaultManagerFromUserAgent('Mozilla 5.0'), 'Mozilla 5.0');
  assert.equal(defaultManagerFromUserAgent('a\u0007b\tc/1'), 'abc');
  assert.equal(defaultManagerFromUserAgent('x'.repeat(200)), 'x'.repeat(128));
  assert.equal(defaultManagerFromUserAgent(undefined), '');
});

test('a create records the creator owning what it set', () => {
  const cm: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'd', labels: { app: 'x' }, uid: 'u', resourceVersion: '1' }, data: { a: '1', b: '2' } };
  recordUpdate({ old: undefined, updated: cm, manager: 'kubectl-create', now: T1, schema: cmSchema });
  assert.deepEqual(mf(cm), [{
    manager: 'kubectl-create', operation: 'Update', apiVersion: 'v1', time: '2024-05-01T10:00:00Z', fieldsType: 'FieldsV1',
    fieldsV1: { 'f:data': { '.': {}, 'f:a': {}, 'f:b': {} }, 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
  }]);
});

test('an update moves the changed fields to the writer and merges its entries', () => {
  const old: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1', b: '2' } };
  recordUpdate({ old: undefined, updated: old, manager: 'kubectl-create', now: T1, schema: cmSchema });
  const edited: Obj = structuredClone(old);
  edited.data.a = 'changed';
  delete edited.data.b;
  edited.data.c = '3';
  recordUpdate({ old, updated: edited, manager: 'kubectl-edit', now: T2, schema: cmSchema });
  assert.deepEqual(mf(edited).map((e) => [e.manager, e.fieldsV1]), [
    ['kubectl-create', { 'f:data': {} }], // owns the map itself, no longer its entries
    ['kubectl-edit', { 'f:data': { 'f:a': {}, 'f:c': {} } }],
  ]);
  // The same manager again: one entry, fields merged, time moved.
  const again: Obj = structuredClone(edited);
  again.data.d = '4';
  recordUpdate({ old: edited, updated: again, manager: 'kubectl-edit', now: new Date('2024-05-02T00:00:00Z'), schema: cmSchema });
  const e = mf(again).find((x) => x.manager === 'kubectl-edit');
  assert.deepEqual(e?.fieldsV1, { 'f:data': { 'f:a': {}, 'f:c': {}, 'f:d': {} } });
  assert.equal(e?.time, '2024-05-02T00:00:00Z');
  assert.equal(mf(again).length, 2);
});

test('a write that changes nothing leaves the entries as they were', () => {
  const old: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
  recordUpdate({ old: undefined, updated: old, manager: 'kubectl-create', now: T1, schema: cmSchema });
  const same: Obj = structuredClone(old);
  recordUpdate({ old, updated: same, manager: 'someone', now: T2, schema: cmSchema });
  assert.deepEqual(mf(same), mf(old));
});

test('status changes on the main resource and spec changes via status are not owned', () => {
  const old: Obj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd' }, spec: { replicas: 1 } };
  const upd: Obj = { ...structuredClone(old), status: { replicas: 1 } };
  recordUpdate({ old, updated: upd, manager: 'x', now: T1, schema: deploySchema });
  assert.equal(upd.metadata.managedFields, undefined);
  recordUpdate({ old, updated: upd, manager: 'kube-controller-manager', now: T1, schema: deploySchema, subresource: 'status' });
  assert.deepEqual(mf(upd), [{
    manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'apps/v1', time: '2024-05-01T10:00:00Z',
    fieldsType: 'FieldsV1', fieldsV1: { 'f:status': { '.': {}, 'f:replicas': {} } }, subresource: 'status',
  }]);
});

test('managedFields sent by the client are used; [] or [{}] resets them; garbage falls back to live', () => {
  const old: Obj = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } };
  recordUpdate({ old: undefined, updated: old, manager: 'kubectl-create', now: T1, schema: cmSchema });
  const reset: Obj = structuredClone(old);
  reset.metadata.managedFields = [{}];
  recordUpdate({ old, updated: reset, manager: 'x', now: T2, schema: cmSchema });
  assert.equal(reset.metadata.managedFields, undefined);
  const garbage: Obj = structuredClone(old);
  garbage.metadata.managedFields = [{ manager: 'm', operation: 'Bogus' }];
  recordUpdate({ old, updated: garbage, manager: 'x', now: T2, schema: cmSchema });
  assert.deepEqual(mf(garbage), mf(old));
  const own: Obj = structuredClone(old);
  own.metadata.managedFields = [{ manager: 'other', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': { 'f:a': {} } } }];
  recordUpdate({ old, updated: own, manager: 'x', now: T2, schema: cmSchema });
  assert.deepEqual(mf(own).map((e) => e.manager), ['other']);
});

test('entries are sorted: Apply first, then by time and name', () => {
  const m = decodeManagedFields([
    { manager: 'b', operation: 'Update', apiVersion: 'v1', time: '2024-01-02T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:x': {} } },
    { manager: 'a', operation: 'Update', apiVersion: 'v1', time: '2024-01-03T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:y': {} } },
    { manager: 'z', operation: 'Apply', apiVersion: 'v1', time: '2024-01-09T00:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:z': {} } },
    { manager: 'empty', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: {} },
  ]);
  assert.deepEqual(encodeManagedFields(m).map((e) => e.manager), ['z', 'b', 'a']);
  assert.throws(() => decodeManagedFields([{ manager: 'a', operation: 'Update', apiVersion: 'v1' }]), /missing fieldsType in managed fields entry 0/);
});

test('more than ten Update managers: the oldest fold into ancient-changes', () => {
  const entries = Array.from({ length: 12 }, (_, i) => ({
    manager: `m${i}`, operation: 'Update', apiVersion: 'v1', time: `2024-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`,
    fieldsType: 'FieldsV1', fieldsV1: { [`f:f${i}`]: {} },
  }));
  const m = decodeManagedFields(entries);
  capUpdateManagers(m);
  const out = encodeManagedFields(m);
  assert.equal(out.length, 10);
  const ancient = out.find((e) => e.manager === 'ancient-changes');
  assert.deepEqual(ancient?.fieldsV1, { 'f:f0': {}, 'f:f1': {}, 'f:f2': {} });
  assert.equal(ancient?.time, '2024-01-03T00:00:00Z');
});
