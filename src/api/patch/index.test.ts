import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patchTypeFromContentType } from './index.ts';

test('patch types by Content-Type', () => {
  assert.equal(patchTypeFromContentType('application/json-patch+json'), 'json');
  assert.equal(patchTypeFromContentType('application/merge-patch+json; charset=utf-8'), 'merge');
  assert.equal(patchTypeFromContentType('Application/Strategic-Merge-Patch+JSON'), 'strategic');
  assert.equal(patchTypeFromContentType('application/apply-patch+yaml'), 'apply');
  assert.equal(patchTypeFromContentType('application/apply-patch+cbor'), undefined);
  assert.equal(patchTypeFromContentType('application/json'), undefined);
});
