import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateRole, validateClusterRole, validateRoleBinding, validateClusterRoleBinding, validateRoleBindingUpdate } from './rbac.ts';

const msgs = (errs: { field: string; message: string }[]) => errs.map((e) => `${e.field}: ${e.message}`);
const RBAC = 'rbac.authorization.k8s.io';

void test('roles: verbs required, resources need groups, URLs only in ClusterRoles and never with resources', () => {
  assert.deepEqual(msgs(validateRole({ metadata: { name: 'r', namespace: 'ns' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] })), []);
  assert.deepEqual(msgs(validateRole({ metadata: { name: 'r', namespace: 'ns' }, rules: [{ resources: ['pods'] }] })), [
    'rules[0].verbs: Required value: verbs must contain at least one value',
    'rules[0].apiGroups: Required value: resource rules must supply at least one api group',
  ]);
  assert.match(msgs(validateRole({ metadata: { name: 'r', namespace: 'ns' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] })).join(), /namespaced rules cannot apply to non-resource URLs/);
  assert.deepEqual(msgs(validateClusterRole({ metadata: { name: 'system:r' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'] }] })), []);
  assert.match(msgs(validateClusterRole({ metadata: { name: 'c' }, rules: [{ verbs: ['get'], nonResourceURLs: ['/x'], resources: ['pods'] }] })).join(), /rules cannot apply to both regular resources and non-resource URLs/);
  assert.ok(validateClusterRole({ metadata: { name: 'a/b' }, rules: [] }).length > 0, 'names are path segments');
});

void test('bindings: roleRef kind and group, subjects, and roleRef immutable', () => {
  const ok = { metadata: { name: 'b', namespace: 'ns' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'r' }, subjects: [{ kind: 'ServiceAccount', name: 'sa' }, { kind: 'User', apiGroup: RBAC, name: 'u' }] };
  assert.deepEqual(msgs(validateRoleBinding(ok)), []);
  assert.match(msgs(validateClusterRoleBinding({ ...ok, metadata: { name: 'b' } })).join('\n'), /roleRef.kind: Unsupported value: "Role": supported values: "ClusterRole"[\s\S]*subjects\[0\].namespace: Required value/);
  assert.match(msgs(validateRoleBinding({ ...ok, subjects: [{ kind: 'Robot', name: 'x' }] })).join(), /subjects\[0\].kind: Unsupported value: "Robot"/);
  assert.match(msgs(validateRoleBinding({ ...ok, roleRef: { kind: 'Role', name: 'r' } })).join(), /roleRef.apiGroup: Unsupported value: ""/);
  assert.match(msgs(validateRoleBindingUpdate({ ...ok, roleRef: { ...ok.roleRef, name: 'other' } }, ok)).join(), /roleRef: Invalid value: .*cannot change roleRef/);
});
