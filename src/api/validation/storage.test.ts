import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const pvc = (): any => ({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data', namespace: 'default' },
  spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } });
const pv = (): any => ({ apiVersion: 'v1', kind: 'PersistentVolume', metadata: { name: 'pv-1' },
  spec: { accessModes: ['ReadWriteOnce'], capacity: { storage: '5Gi' }, hostPath: { path: '/srv/pv-1' } } });

test('storage: valid claim and volume pass', () => {
  expectValid(create(pvc()));
  expectValid(create(pv()));
});

const ACCESS = 'supported values: "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"';
const cases: [string, () => any, Case][] = [
  ['pvc', pvc, { name: 'accessModes required', mutate: (o) => { o.spec.accessModes = []; }, field: 'spec.accessModes', message: 'Required value: at least 1 access mode is required' }],
  ['pvc', pvc, { name: 'bad access mode', mutate: (o) => { o.spec.accessModes = ['ReadAll']; }, field: 'spec.accessModes', message: `Unsupported value: "ReadAll": ${ACCESS}` }],
  ['pvc', pvc, { name: 'RWOP with others', mutate: (o) => { o.spec.accessModes = ['ReadWriteOncePod', 'ReadWriteOnce']; }, field: 'spec.accessModes',
    message: 'Forbidden: may not use ReadWriteOncePod with other access modes' }],
  ['pvc', pvc, { name: 'storage required', mutate: (o) => { o.spec.resources = {}; }, field: 'spec.resources[storage]', message: 'Required value' }],
  ['pvc', pvc, { name: 'storage positive', mutate: (o) => { o.spec.resources.requests.storage = '0'; }, field: 'spec.resources[storage]', message: 'Invalid value: "0": must be greater than zero' }],
  ['pvc', pvc, { name: 'volumeMode', mutate: (o) => { o.spec.volumeMode = 'Raw'; }, field: 'spec.volumeMode', message: 'Unsupported value: "Raw": supported values: "Block", "Filesystem"' }],
  ['pv', pv, { name: 'capacity required', mutate: (o) => { o.spec.capacity = {}; }, field: 'spec.capacity', message: 'Required value' }],
  ['pv', pv, { name: 'no source', mutate: (o) => { delete o.spec.hostPath; }, field: 'spec', message: 'Required value: must specify a volume type' }],
  ['pv', pv, { name: 'two sources', mutate: (o) => { o.spec.nfs = { server: 'nfs', path: '/x' }; }, field: 'spec.nfs', message: 'Forbidden: may not specify more than 1 volume type' }],
  ['pv', pv, { name: 'reclaim policy', mutate: (o) => { o.spec.persistentVolumeReclaimPolicy = 'Keep'; }, field: 'spec.persistentVolumeReclaimPolicy',
    message: 'Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"' }],
  ['pv', pv, { name: 'local needs node affinity', mutate: (o) => { delete o.spec.hostPath; o.spec.local = { path: '/mnt/disk' }; }, field: 'spec.nodeAffinity',
    message: 'Required value: Local volume requires node affinity' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('pvc update: spec is immutable except for bound claims growing', () => {
  const old = stored(pvc);
  const a = structuredClone(old); a.spec.accessModes = ['ReadWriteMany'];
  expectError(update(a, old), 'spec', 'Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims');
  const b = structuredClone(old); b.spec.volumeName = 'pv-1';
  expectValid(update(b, old));
  old.status.phase = 'Bound';
  const c = structuredClone(old); c.spec.resources.requests.storage = '2Gi';
  expectValid(update(c, old));
  const d = structuredClone(old); d.spec.resources.requests.storage = '512Mi';
  expectError(update(d, old), 'spec.resources.requests.storage', 'Forbidden: field can not be less than previous value');
});

test('pv update: the source is immutable', () => {
  const old = stored(pv);
  const next = structuredClone(old); next.spec.hostPath.path = '/srv/other';
  expectError(update(next, old), 'spec.persistentvolumesource', 'Forbidden: spec.persistentvolumesource is immutable after creation');
  const grow = structuredClone(old); grow.spec.capacity.storage = '10Gi';
  expectValid(update(grow, old));
});
