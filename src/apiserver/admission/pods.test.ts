import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPodCreate } from './pods.ts';

test('pods get the default service account and node-failure tolerations', () => {
  const pod = { spec: { containers: [{ name: 'c', image: 'x' }] } } as Record<string, any>;  
  admitPodCreate(pod);
  assert.equal(pod.spec.serviceAccountName, 'default');
  assert.equal(pod.spec.serviceAccount, 'default');
  assert.deepEqual(pod.spec.tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
});

test('existing tolerations and accounts are kept', () => {
  const pod = { spec: { serviceAccountName: 'builder', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] } } as Record<string, any>;  
  admitPodCreate(pod);
  assert.equal(pod.spec.serviceAccountName, 'builder');
  assert.equal(pod.spec.tolerations.length, 2);
  assert.equal(pod.spec.tolerations[0].tolerationSeconds, 5);
  const all = { spec: { tolerations: [{ operator: 'Exists' }] } } as Record<string, any>;  
  admitPodCreate(all);
  assert.equal(all.spec.tolerations.length, 1, 'a toleration of everything needs no more');
});
