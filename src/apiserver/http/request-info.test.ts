import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestInfo } from './request-info.ts';

const q = (s = ''): URLSearchParams => new URLSearchParams(s);

test('namespaced resource paths', () => {
  const i = parseRequestInfo('GET', '/api/v1/namespaces/ns1/pods/web/status', q());
  assert.deepEqual([i.group, i.version, i.namespace, i.resource, i.name, i.subresource, i.verb], ['', 'v1', 'ns1', 'pods', 'web', 'status', 'get']);
  const l = parseRequestInfo('GET', '/apis/apps/v1/namespaces/ns1/deployments', q());
  assert.deepEqual([l.group, l.resource, l.verb], ['apps', 'deployments', 'list']);
  assert.equal(parseRequestInfo('GET', '/apis/apps/v1/deployments', q('watch=true')).verb, 'watch');
  assert.equal(parseRequestInfo('DELETE', '/api/v1/namespaces/a/pods', q()).verb, 'deletecollection');
  assert.equal(parseRequestInfo('PATCH', '/api/v1/namespaces/a/pods/x', q()).verb, 'patch');
});

test('the namespace resource itself and its subresources', () => {
  const a = parseRequestInfo('GET', '/api/v1/namespaces', q());
  assert.deepEqual([a.resource, a.name, a.namespace, a.verb], ['namespaces', '', '', 'list']);
  const b = parseRequestInfo('GET', '/api/v1/namespaces/kube-system', q());
  assert.deepEqual([b.resource, b.name, b.namespace, b.verb], ['namespaces', 'kube-system', '', 'get']);
  const c = parseRequestInfo('PUT', '/api/v1/namespaces/foo/finalize', q());
  assert.deepEqual([c.resource, c.name, c.subresource, c.verb], ['namespaces', 'foo', 'finalize', 'update']);
});

test('legacy watch paths and discovery paths', () => {
  const w = parseRequestInfo('GET', '/api/v1/watch/namespaces/a/pods/x', q());
  assert.deepEqual([w.verb, w.namespace, w.resource, w.name], ['watch', 'a', 'pods', 'x']);
  const d = parseRequestInfo('GET', '/apis/apps', q());
  assert.equal(d.isResourceRequest, false);
  assert.deepEqual(d.parts, ['apps']);
  assert.equal(parseRequestInfo('GET', '/healthz', q()).apiPrefix, undefined);
});
