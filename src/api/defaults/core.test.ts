import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from './index.ts';
import { findByKind } from '../resources.ts';

const res = (apiVersion: string, kind: string) => findByKind(apiVersion, kind)!;

test('defaults: namespace', () => {
  const ns: any = { metadata: { name: 'team' } };
  applyDefaults(res('v1', 'Namespace'), ns);
  assert.deepEqual(ns, { metadata: { name: 'team', labels: { 'kubernetes.io/metadata.name': 'team' } }, status: { phase: 'Active' }, spec: { finalizers: ['kubernetes'] } });
  // emptied finalizers stay empty (the namespace controller removes them)
  const done: any = { metadata: { name: 'x' }, spec: { finalizers: [] }, status: { phase: 'Terminating' } };
  applyDefaults(res('v1', 'Namespace'), done);
  assert.deepEqual(done.spec.finalizers, []);
});

test('defaults: secret type and stringData', () => {
  const s: any = { metadata: { name: 's' }, data: { a: 'YQ==' }, stringData: { b: 'hello', a: 'z' } };
  applyDefaults(res('v1', 'Secret'), s);
  assert.deepEqual(s, { metadata: { name: 's' }, type: 'Opaque', data: { a: 'eg==', b: 'aGVsbG8=' } });
});

test('defaults: persistent volumes and claims', () => {
  const pvc: any = { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2048Mi' } } } };
  applyDefaults(res('v1', 'PersistentVolumeClaim'), pvc);
  assert.deepEqual(pvc, { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } }, volumeMode: 'Filesystem' }, status: { phase: 'Pending' } });
  const pv: any = { spec: { capacity: { storage: '5Gi' }, hostPath: { path: '/x' } } };
  applyDefaults(res('v1', 'PersistentVolume'), pv);
  assert.deepEqual(pv, { spec: { capacity: { storage: '5Gi' }, hostPath: { path: '/x', type: '' }, persistentVolumeReclaimPolicy: 'Retain', volumeMode: 'Filesystem' },
    status: { phase: 'Pending' } });
});

test('defaults: node allocatable follows capacity', () => {
  const node: any = { status: { capacity: { cpu: '4', memory: '8192Mi' } } };
  applyDefaults(res('v1', 'Node'), node);
  assert.deepEqual(node.status, { capacity: { cpu: '4', memory: '8Gi' }, allocatable: { cpu: '4', memory: '8Gi' } });
});

test('defaults: limit range container defaults', () => {
  const lr: any = { spec: { limits: [
    { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, default: { memory: '512Mi' } },
    { type: 'Pod', max: { cpu: '4' } },
  ] } };
  applyDefaults(res('v1', 'LimitRange'), lr);
  assert.deepEqual(lr.spec.limits, [
    { type: 'Container', max: { cpu: '2', memory: '1Gi' }, min: { cpu: '100m' }, default: { memory: '512Mi', cpu: '2' }, defaultRequest: { memory: '512Mi', cpu: '2' } },
    { type: 'Pod', max: { cpu: '4' } },
  ]);
});

test('defaults: resource quota quantities are canonical', () => {
  const rq: any = { spec: { hard: { 'requests.memory': '1024Mi', pods: 10 } } };
  applyDefaults(res('v1', 'ResourceQuota'), rq);
  assert.deepEqual(rq.spec.hard, { 'requests.memory': '1Gi', pods: '10' });
});

test('defaults: priority class preemption policy', () => {
  const pc: any = { value: 10 };
  applyDefaults(res('scheduling.k8s.io/v1', 'PriorityClass'), pc);
  assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
});

test('defaults: kinds without defaults are untouched', () => {
  for (const [v, k] of [['v1', 'ConfigMap'], ['v1', 'ServiceAccount'], ['coordination.k8s.io/v1', 'Lease'], ['policy/v1', 'PodDisruptionBudget'], ['v1', 'Event']]) {
    const o: any = { metadata: { name: 'x' }, spec: {} };
    applyDefaults(res(v, k), o);
    assert.deepEqual(o, { metadata: { name: 'x' }, spec: {} });
  }
});
