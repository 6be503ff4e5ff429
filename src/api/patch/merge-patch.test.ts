import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { applyMergePatch } from './merge-patch.ts';

test('objects merge, null deletes, arrays and scalars replace', () => {
  const live = { metadata: { labels: { a: '1', b: '2' } }, spec: { replicas: 1, args: ['x', 'y'], template: { x: 1 } } };
  const out = applyMergePatch(live, { metadata: { labels: { b: null, c: '3' } }, spec: { args: ['z'], replicas: 2, template: null } });
  assert.deepEqual(out, { metadata: { labels: { a: '1', c: '3' } }, spec: { replicas: 2, args: ['z'] } });
  assert.deepEqual(live.metadata.labels, { a: '1', b: '2' }, 'the live object is untouched');
});

test('nulls inside added or replaced values are dropped, null list items kept', () => {
  const out = applyMergePatch({ spec: { x: 1 } }, { spec: { y: { a: null, b: 1, c: [{ d: null, e: 2 }, null] } }, status: 'ok' });
  assert.deepEqual(out, { spec: { x: 1, y: { b: 1, c: [{ e: 2 }, null] } }, status: 'ok' });
});

test('a patch that is not an object is rejected', () => {
  assert.throws(() => applyMergePatch({}, null), (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === 'Invalid JSON Patch');
  assert.throws(() => applyMergePatch({}, [1]), (e: unknown) => e instanceof ApiError && e.code === 400
    && e.message === 'error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
});
