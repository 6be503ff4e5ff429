import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { AdmissionAttributes } from './chain.ts';
import { applyContainerDefaults, LimitRanger, LIMIT_RANGER_ANNOTATION, podViolations, pvcViolations } from './limitranger.ts';

type Obj = Record<string, any>;

const lr = (...limits: Obj[]): Obj => ({ metadata: { name: 'lr', namespace: 'ns' }, spec: { limits } });
const pod = (containers: Obj[], initContainers?: Obj[]): Obj => ({ metadata: { name: 'x', namespace: 'ns' }, spec: { containers, ...(initContainers ? { initContainers } : {}) } });
const ctr = (name: string, resources?: Obj): Obj => ({ name, image: 'i', ...(resources ? { resources } : {}) });

void test('defaults fill missing requests and limits, noted in the annotation', () => {
  const p = pod([ctr('a'), ctr('b', { requests: { cpu: '50m' }, limits: { memory: '1Gi' } })], [ctr('init')]);
  applyContainerDefaults(p, [lr({ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '256Mi' } })]);
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
  assert.deepEqual(p.spec.containers[1].resources, { limits: { memory: '1Gi', cpu: '500m' }, requests: { cpu: '50m', memory: '256Mi' } });
  assert.deepEqual(p.spec.initContainers[0].resources.requests, { cpu: '100m', memory: '256Mi' });
  assert.equal(p.metadata.annotations[LIMIT_RANGER_ANNOTATION],
    'LimitRanger plugin set: cpu, memory request for container a; cpu, memory limit for container a; memory request for container b; cpu limit for container b; '
    + 'cpu, memory request for init container init; cpu, memory limit for init container init');
});

void test('defaultRequest comes from default, and default from max (LimitRange defaulting)', () => {
  const p = pod([ctr('a')]);
  applyContainerDefaults(p, [lr({ type: 'Container', max: { cpu: '1' } })]);
  assert.deepEqual(p.spec.containers[0].resources, { limits: { cpu: '1' }, requests: { cpu: '1' } });
});

void test('a pod with everything set gets no annotation', () => {
  const p = pod([ctr('a', { requests: { cpu: '1' }, limits: { cpu: '1' } })]);
  assert.equal(applyContainerDefaults(p, [lr({ type: 'Container', default: { cpu: '2' } })]), undefined);
  assert.equal(p.metadata.annotations, undefined);
});

const violations: { name: string; item: Obj; resources: Obj; want: string[] }[] = [
  { name: 'min request', item: { type: 'Container', min: { cpu: '100m' } }, resources: { requests: { cpu: '50m' } }, want: ['minimum cpu usage per Container is 100m, but request is 50m'] },
  { name: 'min without request', item: { type: 'Container', min: { cpu: '100m' } }, resources: {}, want: ['minimum cpu usage per Container is 100m.  No request is specified'] },
  { name: 'min limit', item: { type: 'Container', min: { memory: '1Gi' } }, resources: { requests: { memory: '2Gi' }, limits: { memory: '512Mi' } }, want: ['minimum memory usage per Container is 1Gi, but limit is 512Mi'] },
  { name: 'max limit', item: { type: 'Container', max: { cpu: '1' } }, resources: { limits: { cpu: '2' } }, want: ['maximum cpu usage per Container is 1, but limit is 2'] },
  { name: 'max without limit', item: { type: 'Container', max: { memory: '1Gi' } }, resources: {}, want: ['maximum memory usage per Container is 1Gi.  No limit is specified'] },
  { name: 'ratio', item: { type: 'Container', maxLimitRequestRatio: { cpu: '2' } }, resources: { requests: { cpu: '100m' }, limits: { cpu: '500m' } },
    want: ['cpu max limit to request ratio per Container is 2, but provided ratio is 5.000000'] },
  { name: 'ratio without request', item: { type: 'Container', maxLimitRequestRatio: { cpu: '2' } }, resources: { limits: { cpu: '500m' } },
    want: ['cpu max limit to request ratio per Container is 2, but no request is specified or request is 0'] },
  { name: 'pod max (sum of containers)', item: { type: 'Pod', max: { cpu: '1' } }, resources: { requests: { cpu: '600m' }, limits: { cpu: '600m' } },
    want: ['maximum cpu usage per Pod is 1, but limit is 1200m'] },
  { name: 'within bounds', item: { type: 'Container', min: { cpu: '100m' }, max: { cpu: '1' }, maxLimitRequestRatio: { cpu: '4' } }, resources: { requests: { cpu: '250m' }, limits: { cpu: '1' } }, want: [] },
];

for (const v of violations) {
  void test(`constraint: ${v.name}`, () => {
    const containers = v.item.type === 'Pod' ? [ctr('a', v.resources), ctr('b', v.resources)] : [ctr('a', v.resources)];
    assert.deepEqual(podViolations(pod(containers), [lr(v.item)]), v.want);
  });
}

void test('claims: min and max storage requests', () => {
  const claim = (storage: string): Obj => ({ metadata: { name: 'c' }, spec: { resources: { requests: { storage } } } });
  const ranges = [lr({ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '10Gi' } })];
  assert.deepEqual(pvcViolations(claim('500Mi'), ranges), ['minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi']);
  assert.deepEqual(pvcViolations(claim('20Gi'), ranges), ['maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi']);
  assert.deepEqual(pvcViolations(claim('5Gi'), ranges), []);
});

void test('the plugin: defaults on admit, 403 on validate (several violations in brackets)', async () => {
  const ranges = [lr({ type: 'Container', max: { cpu: '1', memory: '1Gi' }, default: { cpu: '500m', memory: '256Mi' } })];
  const plugin = new LimitRanger({ list: async () => ranges });
  const a = (obj: Obj): AdmissionAttributes => ({ operation: 'CREATE', info: findResource('', 'v1', 'pods')!, namespace: 'ns', subresource: '', obj, dryRun: false });
  const ok = a(pod([ctr('a')]));
  await plugin.admit(ok);
  await plugin.validate(ok);
  assert.deepEqual(ok.obj.spec.containers[0].resources.limits, { cpu: '500m', memory: '256Mi' });
  const big = a(pod([ctr('a', { limits: { cpu: '2', memory: '2Gi' } })]));
  await plugin.admit(big);
  await assert.rejects(plugin.validate(big), (e: unknown) => e instanceof ApiError && e.code === 403
    && e.message === 'pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
});
