import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONDITION_TYPES, failureConditions, updateConditions } from './conditions.ts';

const T0 = '2024-01-01T00:00:00Z';
const T1 = '2024-01-01T00:00:05Z';

test('no failures: every maintained condition False with upstream\'s ok reasons and messages', () => {
  const conds = updateConditions(undefined, [], T0)!;
  assert.deepEqual(conds.map((c) => c.type), [...CONDITION_TYPES]);
  assert.ok(conds.every((c) => c.status === 'False' && c.lastTransitionTime === T0));
  assert.deepEqual(conds.find((c) => c.type === 'NamespaceContentRemaining'),
    { type: 'NamespaceContentRemaining', status: 'False', lastTransitionTime: T0, reason: 'ContentRemoved', message: 'All content successfully removed' });
  assert.deepEqual(conds.find((c) => c.type === 'NamespaceFinalizersRemaining'),
    { type: 'NamespaceFinalizersRemaining', status: 'False', lastTransitionTime: T0, reason: 'ContentHasNoFinalizers', message: 'All content-preserving finalizers finished' });
  // The same again: nothing to write.
  assert.equal(updateConditions({ conditions: conds }, [], T1), undefined);
});

test('remaining content and finalizers: True, sorted, worded as upstream; transition time moves only on a flip', () => {
  const totals = {
    remaining: new Map([['pods.', 2], ['configmaps.', 1], ['deployments.apps', 0]]),
    finalizers: new Map([['example.com/hold', 1], ['foregroundDeletion', 2]]),
    errors: [],
  };
  const first = updateConditions(undefined, failureConditions(totals, T0), T0)!;
  const remaining = first.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.equal(remaining.status, 'True');
  assert.equal(remaining.reason, 'SomeResourcesRemain');
  assert.equal(remaining.message, 'Some resources are remaining: configmaps. has 1 resource instances, pods. has 2 resource instances');
  const fin = first.find((c) => c.type === 'NamespaceFinalizersRemaining')!;
  assert.equal(fin.reason, 'SomeFinalizersRemain');
  assert.equal(fin.message, 'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances, foregroundDeletion in 2 resource instances');
  assert.equal(first.find((c) => c.type === 'NamespaceDeletionContentFailure')!.status, 'False');

  // Fewer pods now: message changes, status does not, so the time stays.
  totals.remaining.set('pods.', 1);
  const second = updateConditions({ conditions: first }, failureConditions(totals, T1), T1)!;
  const r2 = second.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.match(r2.message!, /pods\. has 1 resource instances/);
  assert.equal(r2.lastTransitionTime, T0);

  // All gone: flips to False with a new time.
  const third = updateConditions({ conditions: second }, [], T1)!;
  const r3 = third.find((c) => c.type === 'NamespaceContentRemaining')!;
  assert.equal(r3.status, 'False');
  assert.equal(r3.lastTransitionTime, T1);
});

test('deletion failures become NamespaceDeletionContentFailure', () => {
  const one = failureConditions({ remaining: new Map(), finalizers: new Map(), errors: ['pods: boom'] }, T0);
  assert.deepEqual(one, [{ type: 'NamespaceDeletionContentFailure', status: 'True', lastTransitionTime: T0, reason: 'ContentDeletionFailed',
    message: 'Failed to delete all resource types, 1 remaining: pods: boom' }]);
  const two = failureConditions({ remaining: new Map(), finalizers: new Map(), errors: ['a', 'b'] }, T0);
  assert.equal(two[0]!.message, 'Failed to delete all resource types, 2 remaining: [a, b]');
});
