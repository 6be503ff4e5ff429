import { test } from 'node:test';
import assert from 'node:assert/strict';
import { field, keyElement, parsePe, pathString, peString } from './fieldpath.ts';
import { FieldSet } from './fieldset.ts';

test('path elements have upstream string forms', () => {
  assert.equal(peString(field('spec')), 'f:spec');
  assert.equal(peString(keyElement([['protocol', 'TCP'], ['containerPort', 80]])), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.equal(peString({ t: 'v', value: 'x' }), 'v:"x"');
  assert.equal(peString({ t: 'i', index: 3 }), 'i:3');
  for (const s of ['f:a.b/c', 'k:{"name":"web"}', 'v:"kubernetes.io/pvc"', 'v:8', 'i:0']) assert.equal(peString(parsePe(s)), s);
  assert.equal(pathString([field('spec'), field('containers'), keyElement([['name', 'web']]), field('image')]), '.spec.containers[name="web"].image');
  assert.equal(pathString([field('ports'), keyElement([['containerPort', 80], ['protocol', 'TCP']])]), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString([field('finalizers'), { t: 'v', value: 'a' }]), '.finalizers[="a"]');
});

test('fieldsV1 round-trips, sorted, with "." for members that have children', () => {
  const v1 = {
    'f:spec': {
      'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"web"}': { '.': {}, 'f:name': {}, 'f:image': {} } } } },
      'f:replicas': {},
    },
    'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
  };
  const s = FieldSet.fromFieldsV1(v1);
  const out = s.toFieldsV1();
  assert.deepEqual(out, v1);
  assert.deepEqual(Object.keys(out), ['f:metadata', 'f:spec']);
  assert.deepEqual(Object.keys((out['f:spec'] as Record<string, unknown>)), ['f:replicas', 'f:template']);
  const item = ((((out['f:spec'] as any)['f:template'])['f:spec'])['f:containers'])['k:{"name":"web"}'];
  assert.deepEqual(Object.keys(item), ['.', 'f:image', 'f:name']);
  assert.ok(s.has([field('spec'), field('replicas')]));
  assert.ok(s.has([field('metadata'), field('labels')]));
  assert.ok(!s.has([field('spec')]));
});

test('set algebra', () => {
  const a = new FieldSet().insert([field('spec'), field('replicas')]).insert([field('spec'), field('paused')]);
  const b = new FieldSet().insert([field('spec'), field('replicas')]).insert([field('metadata'), field('labels'), field('x')]);
  assert.deepEqual(a.intersection(b).paths().map(pathString), ['.spec.replicas']);
  assert.deepEqual(a.difference(b).paths().map(pathString), ['.spec.paused']);
  assert.deepEqual(a.union(b).paths().map(pathString), ['.metadata.labels.x', '.spec.paused', '.spec.replicas']);
  assert.ok(a.difference(a).isEmpty());
  assert.deepEqual(a.union(b).withoutPrefixes([[field('spec')]]).paths().map(pathString), ['.metadata.labels.x']);
});

test('paths list a node\'s members before its children\'s', () => {
  const s = new FieldSet().insert([field('spec'), field('a'), field('x')]).insert([field('spec'), field('z')]);
  assert.deepEqual(s.paths().map(pathString), ['.spec.z', '.spec.a.x']);
});
