// persistentVolumeClaimRetentionPolicy: the owner references each policy wants
// on a claim, for a pod inside and outside the set's ordinal range.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PersistentVolumeClaim, Pod } from 'kubernetes-types/core/v1.js';
import type { StatefulSet } from 'kubernetes-types/apps/v1.js';
import { claimOwnerMatchesSetAndPod, hasStaleOwnerRef, updateClaimOwnerRefs } from './retention.ts';

function set(whenDeleted: string, whenScaled: string): StatefulSet {
  return {
    metadata: { name: 'web', namespace: 'default', uid: 'set-uid' },
    spec: {
      replicas: 2, serviceName: 'web', selector: { matchLabels: { app: 'web' } }, template: {},
      persistentVolumeClaimRetentionPolicy: { whenDeleted, whenScaled },
    },
  };
}

const pod = (ordinal: number): Pod => ({ metadata: { name: `web-${ordinal}`, namespace: 'default', uid: `pod-${ordinal}` } });
const claim = (): PersistentVolumeClaim => ({ metadata: { name: 'data-web-0', namespace: 'default' } });
const owners = (c: PersistentVolumeClaim): string[] => (c.metadata?.ownerReferences ?? []).map((r) => `${r.kind}/${r.name}`);

const cases: [string, string, number, string[]][] = [
  ['Retain', 'Retain', 0, []],
  ['Retain', 'Retain', 5, []],
  ['Delete', 'Retain', 0, ['StatefulSet/web']],
  ['Delete', 'Retain', 5, ['StatefulSet/web']],
  ['Retain', 'Delete', 0, []],
  ['Retain', 'Delete', 5, ['Pod/web-5']],
  ['Delete', 'Delete', 0, ['StatefulSet/web']],
  ['Delete', 'Delete', 5, ['Pod/web-5']],
];

for (const [whenDeleted, whenScaled, ordinal, want] of cases) {
  test(`whenDeleted=${whenDeleted} whenScaled=${whenScaled}, pod ${ordinal} ${ordinal < 2 ? 'in range' : 'scaled away'}: ${want.join(', ') || 'no references'}`, () => {
    const s = set(whenDeleted, whenScaled);
    const p = pod(ordinal);
    const c = claim();
    assert.equal(claimOwnerMatchesSetAndPod(c, s, p), want.length === 0);
    assert.equal(updateClaimOwnerRefs(c, s, p), want.length > 0);
    assert.deepEqual(owners(c), want);
    assert.ok(claimOwnerMatchesSetAndPod(c, s, p));
    assert.equal(updateClaimOwnerRefs(c, s, p), false, 'idempotent');
    // Plain owner references: the claim is not controlled by anyone.
    assert.ok((c.metadata?.ownerReferences ?? []).every((r) => r.controller === undefined && r.blockOwnerDeletion === undefined));
  });
}

test('switching the policy back to Retain removes the references; other owners are kept', () => {
  const c = claim();
  c.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'keep', uid: 'cm' }];
  updateClaimOwnerRefs(c, set('Delete', 'Delete'), pod(0));
  assert.deepEqual(owners(c), ['ConfigMap/keep', 'StatefulSet/web']);
  assert.equal(updateClaimOwnerRefs(c, set('Retain', 'Retain'), pod(0)), true);
  assert.deepEqual(owners(c), ['ConfigMap/keep']);
});

test('a claim still owned by an earlier pod of the same name is stale', () => {
  const c = claim();
  c.metadata!.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'web-0', uid: 'old-pod' }];
  assert.ok(hasStaleOwnerRef(c, { metadata: { name: 'web-0' } }), 'the pod about to be created');
  assert.ok(!hasStaleOwnerRef(c, { metadata: { name: 'web-0', uid: 'old-pod' } }));
  assert.ok(!hasStaleOwnerRef(c, { metadata: { name: 'web-1' } }));
});
