import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultGarbageCollectionPolicy, finalizersForDelete } from './gc-finalizers.ts';

test('default policies: background, orphan for v1 RCs and batch/v1 Jobs, none for Events', () => {
  assert.equal(defaultGarbageCollectionPolicy({ group: 'apps', kind: 'Deployment' }), 'Background');
  assert.equal(defaultGarbageCollectionPolicy({ group: '', kind: 'ConfigMap' }), 'Background');
  assert.equal(defaultGarbageCollectionPolicy({ group: '', kind: 'ReplicationController' }), 'Orphan');
  assert.equal(defaultGarbageCollectionPolicy({ group: 'batch', kind: 'Job' }), 'Orphan');
  assert.equal(defaultGarbageCollectionPolicy({ group: 'batch', kind: 'CronJob' }), 'Background');
  assert.equal(defaultGarbageCollectionPolicy({ group: '', kind: 'Event' }), 'Unsupported');
  assert.equal(defaultGarbageCollectionPolicy({ group: 'events.k8s.io', kind: 'Event' }), 'Unsupported');
});

test('propagationPolicy becomes a finalizer', () => {
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Orphan' }, 'Background'), { changed: true, finalizers: ['orphan'] });
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Foreground' }, 'Background'), { changed: true, finalizers: ['foregroundDeletion'] });
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Background' }, 'Background'), { changed: false, finalizers: [] });
  assert.deepEqual(finalizersForDelete(undefined, {}, 'Background'), { changed: false, finalizers: [] });
  // Other finalizers are kept, first.
  assert.deepEqual(finalizersForDelete(['example.com/x'], { propagationPolicy: 'Foreground' }, 'Background').finalizers, ['example.com/x', 'foregroundDeletion']);
});

test('legacy orphanDependents', () => {
  assert.deepEqual(finalizersForDelete(undefined, { orphanDependents: true }, 'Background').finalizers, ['orphan']);
  assert.deepEqual(finalizersForDelete(['orphan'], { orphanDependents: false }, 'Orphan'), { changed: true, finalizers: [] });
  assert.deepEqual(finalizersForDelete(['foregroundDeletion'], { orphanDependents: false }, 'Background'), { changed: true, finalizers: [] });
});

test('without options: the object\'s own GC finalizer, else the default policy', () => {
  assert.deepEqual(finalizersForDelete(undefined, {}, 'Orphan').finalizers, ['orphan']);
  assert.deepEqual(finalizersForDelete(['foregroundDeletion'], {}, 'Orphan'), { changed: false, finalizers: ['foregroundDeletion'] });
  assert.deepEqual(finalizersForDelete(['orphan'], {}, 'Background'), { changed: false, finalizers: ['orphan'] });
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Background' }, 'Orphan'), { changed: false, finalizers: [] });
});

test('a later DELETE may switch the policy', () => {
  assert.deepEqual(finalizersForDelete(['foregroundDeletion'], { propagationPolicy: 'Orphan' }, 'Background'), { changed: true, finalizers: ['orphan'] });
  assert.deepEqual(finalizersForDelete(['orphan', 'example.com/x'], { propagationPolicy: 'Background' }, 'Background'), { changed: true, finalizers: ['example.com/x'] });
});

test('Unsupported (Events): GC finalizers are never added (and, as upstream, dropped)', () => {
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Foreground' }, 'Unsupported'), { changed: false, finalizers: [] });
  assert.deepEqual(finalizersForDelete(undefined, { propagationPolicy: 'Orphan' }, 'Unsupported'), { changed: false, finalizers: [] });
  assert.deepEqual(finalizersForDelete(['orphan', 'example.com/x'], {}, 'Unsupported'), { changed: true, finalizers: ['example.com/x'] });
});
