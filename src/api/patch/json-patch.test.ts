import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { applyJsonPatch } from './json-patch.ts';

const live = { metadata: { name: 'web', labels: { app: 'web' } }, spec: { replicas: 1, ports: [{ port: 80 }] } };

function fails(fn: () => unknown, code: number, reason: string, message?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, code);
    assert.equal(e.reason, reason);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}

test('applies RFC 6902 operations to a copy', () => {
  const out = applyJsonPatch(live, [
    { op: 'replace', path: '/spec/replicas', value: 3 },
    { op: 'add', path: '/metadata/labels/tier', value: 'front' },
    { op: 'add', path: '/spec/ports/-', value: { port: 443 } },
    { op: 'remove', path: '/metadata/labels/app' },
    { op: 'test', path: '/spec/replicas', value: 3 },
    { op: 'copy', from: '/metadata/name', path: '/metadata/generateName' },
    { op: 'move', from: '/metadata/generateName', path: '/metadata/annotations' },
  ]);
  assert.deepEqual(out, {
    metadata: { name: 'web', labels: { tier: 'front' }, annotations: 'web' },
    spec: { replicas: 3, ports: [{ port: 80 }, { port: 443 }] },
  });
  assert.equal(live.spec.replicas, 1, 'the live object is untouched');
  assert.deepEqual(live.metadata.labels, { app: 'web' });
});

test('JSON pointer escapes name annotation keys with slashes', () => {
  const out = applyJsonPatch({ metadata: { annotations: { 'a/b': 'x' } } }, [{ op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' }]);
  assert.deepEqual(out, { metadata: { annotations: { 'a/b': 'y' } } });
});

test('a body that is not a list of operations is a 400', () => {
  fails(() => applyJsonPatch(live, { op: 'add' }), 400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  fails(() => applyJsonPatch(live, ['x']), 400, 'BadRequest', 'json: cannot unmarshal string into Go value of type jsonpatch.Operation');
});

test('operations that cannot apply are the generic 422', () => {
  const msg = 'the server rejected our request due to an error in our request';
  fails(() => applyJsonPatch(live, [{ op: 'test', path: '/spec/replicas', value: 2 }]), 422, 'Invalid', msg);
  fails(() => applyJsonPatch(live, [{ op: 'replace', path: '/spec/missing', value: 2 }]), 422, 'Invalid', msg);
  fails(() => applyJsonPatch(live, [{ op: 'remove', path: '/nope/x' }]), 422, 'Invalid', msg);
  fails(() => applyJsonPatch(live, [{ op: 'add', path: '/a/b/c', value: 1 }]), 422, 'Invalid', msg);
  fails(() => applyJsonPatch(live, [{ op: 'frobnicate', path: '/spec' }]), 422, 'Invalid', msg);
  fails(() => applyJsonPatch(live, [{ op: 'replace', path: '', value: [1] }]), 422, 'Invalid', msg);
});

test('more than 10000 operations is a 413', () => {
  const ops = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/spec/replicas', value: 1 }));
  fails(() => applyJsonPatch(live, ops), 413, 'RequestEntityTooLarge',
    'Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001');
});
