// `kubectl auth whoami` and `kubectl auth can-i` against the review resources.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Pilot } from './helpers/pilot.ts';
import { ApiClient } from './helpers/api.ts';

let pilot: Pilot;
before(async () => { pilot = await new Pilot().start(); });
after(async () => { await pilot?.dispose(); });

test('whoami names the client certificate user and its groups', async () => {
  const out = await pilot.k(['auth', 'whoami', '-o', 'json']);
  const review = JSON.parse(out) as { kind: string; status: { userInfo: { username: string; groups: string[] } } };
  assert.equal(review.kind, 'SelfSubjectReview');
  assert.equal(review.status.userInfo.username, 'admin');
  assert.deepEqual(review.status.userInfo.groups, ['system:masters', 'system:authenticated']);
});

test('can-i answers from the authorizer (no RBAC yet: everything is allowed)', async () => {
  assert.equal((await pilot.k(['auth', 'can-i', 'create', 'deployments', '-n', 'default'])).trim(), 'yes');
  const list = await pilot.k(['auth', 'can-i', '--list']);
  assert.match(list, /\*\.\*\s+\[\]\s+\[\]\s+\[\*\]/);
});

test('malformed reviews are 422, and reviews are create-only', async () => {
  const api = new ApiClient(pilot.kubeconfig);
  try {
    const bad = await api.post('/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { spec: {} });
    assert.equal(bad.status, 422);
    assert.match(bad.json.message, /exactly one of nonResourceAttributes or resourceAttributes must be specified/);
    const sar = await api.post('/apis/authorization.k8s.io/v1/subjectaccessreviews', { spec: { resourceAttributes: { verb: 'get', resource: 'pods' } } });
    assert.equal(sar.status, 422, 'a subject is required');
    const list = await api.get('/apis/authentication.k8s.io/v1/selfsubjectreviews');
    assert.equal(list.status, 405);
  } finally {
    api.close();
  }
});
