import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ruleAllows, uncoveredRules, describeRule, subjectMatches, type Attributes, type Obj, type PolicyRule } from './rules.ts';
import { RbacAuthorizer, attributesOf, forbidden } from './authorizer.ts';
import { EscalationGuard } from './escalation.ts';
import { aggregateAll } from '../../../api/rbac/aggregation.ts';
import { bootstrapClusterRoles, bootstrapClusterRoleBindings, controllerServiceAccount } from './bootstrap-policy.ts';
import type { RbacSource } from './resolver.ts';
import { ApiError } from '../../../base/errors.ts';

const bob = { username: 'bob', groups: ['system:authenticated'] };
const res = (verb: string, resource: string, o: Partial<Attributes> = {}): Attributes =>
  ({ user: bob, verb, resourceRequest: true, apiGroup: '', resource, namespace: 'dev', ...o });

void test('rule matching: verbs, groups, resources, subresources, names, URLs', () => {
  const cases: [PolicyRule, Attributes, boolean][] = [
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods', { name: 'p' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('list', 'pods'), false],
    [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }, res('delete', 'pods', { name: 'p' }), true],
    [{ verbs: ['get'], apiGroups: ['apps'], resources: ['pods'] }, res('get', 'pods'), false],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*'] }, res('get', 'deployments', { apiGroup: 'apps' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods'] }, res('get', 'pods', { subresource: 'log' }), false],
    [{ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] }, res('get', 'pods', { subresource: 'log' }), true],
    [{ verbs: ['get'], apiGroups: ['*'], resources: ['*/scale'] }, res('get', 'deployments', { apiGroup: 'apps', subresource: 'scale' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('get', 'configmaps', { name: 'a' }), true],
    [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('get', 'configmaps', { name: 'b' }), false],
    [{ verbs: ['list'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }, res('list', 'configmaps'), false],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, { user: bob, verb: 'get', resourceRequest: false, path: '/healthz' }, true],
    [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { user: bob, verb: 'get', resourceRequest: false, path: '/apis/apps/v1' }, true],
    [{ verbs: ['get'], nonResourceURLs: ['/apis/*'] }, { user: bob, verb: 'get', resourceRequest: false, path: '/api' }, false],
    [{ verbs: ['get'], nonResourceURLs: ['/healthz'] }, { user: bob, verb: 'post', resourceRequest: false, path: '/healthz' }, false],
  ];
  for (const [rule, a, want] of cases) assert.equal(ruleAllows(a, rule), want, `${JSON.stringify(rule)} vs ${a.verb} ${a.resource ?? a.path}/${a.subresource ?? ''} ${a.name ?? ''}`);
});

void test('subjects: users, groups, service accounts (namespace defaults to the binding\'s)', () => {
  const sa = { username: 'system:serviceaccount:dev:robot', groups: ['system:serviceaccounts'] };
  assert.ok(subjectMatches({ kind: 'User', name: 'bob' }, bob, ''));
  assert.ok(subjectMatches({ kind: 'Group', name: 'system:authenticated' }, bob, ''));
  assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'robot', namespace: 'dev' }, sa, ''));
  assert.ok(subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'dev'));
  assert.ok(!subjectMatches({ kind: 'ServiceAccount', name: 'robot' }, sa, 'prod'));
  assert.ok(!subjectMatches({ kind: 'User', name: 'system:serviceaccount:dev:other' }, sa, ''));
});

/** A source over plain objects, after the bootstrap policy has been aggregated. */
function source(extra: Obj[] = []): RbacSource {
  const roles = bootstrapClusterRoles();
  for (const [name, rules] of aggregateAll(roles)) roles.find((r) => r.metadata.name === name)!.rules = rules;
  const all = [...roles, ...bootstrapClusterRoleBindings(), ...extra];
  const of = (kind: string) => all.filter((o) => o.kind === kind);
  return {
    role: (ns, name) => of('Role').find((r) => r.metadata.namespace === ns && r.metadata.name === name),
    clusterRole: (name) => of('ClusterRole').find((r) => r.metadata.name === name),
    roleBindings: (ns) => of('RoleBinding').filter((b) => b.metadata.namespace === ns),
    clusterRoleBindings: () => of('ClusterRoleBinding'),
  };
}

const rb = (ns: string, name: string, roleKind: string, role: string, subjects: Obj[]): Obj =>
  ({ kind: 'RoleBinding', metadata: { namespace: ns, name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: roleKind, name: role }, subjects });

void test('authorizer: bootstrap policy, role bindings scoped to their namespace, masters and nodes', () => {
  const az = new RbacAuthorizer(source([rb('dev', 'bob-view', 'ClusterRole', 'view', [{ kind: 'User', name: 'bob' }])]));
  assert.ok(az.authorize(res('list', 'pods')).allowed);
  assert.ok(!az.authorize(res('list', 'pods', { namespace: 'prod' })).allowed);
  assert.ok(!az.authorize(res('get', 'secrets', { name: 's' })).allowed, 'view does not show secrets');
  assert.ok(!az.authorize(res('delete', 'pods', { name: 'p' })).allowed);
  assert.ok(az.authorize({ user: bob, verb: 'get', resourceRequest: false, path: '/version' }).allowed);
  assert.ok(az.authorize(res('create', 'selfsubjectaccessreviews', { apiGroup: 'authorization.k8s.io', namespace: '' })).allowed);
  assert.ok(!az.authorize({ user: bob, verb: 'get', resourceRequest: false, path: '/metrics' }).allowed);
  assert.ok(az.authorize(res('delete', 'nodes', { user: { username: 'root', groups: ['system:masters'] }, namespace: '' })).allowed);
  const node = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
  assert.ok(az.authorize(res('patch', 'nodes', { user: node, subresource: 'status', name: 'n1', namespace: '' })).allowed);
  assert.ok(!az.authorize(res('delete', 'namespaces', { user: node, name: 'dev', namespace: 'dev' })).allowed);
  const rules = az.rulesFor(bob, 'dev');
  assert.ok(rules.resourceRules.some((r) => r.resources.includes('pods') && r.verbs.includes('list')));
  assert.ok(rules.nonResourceRules.some((r) => r.nonResourceURLs.includes('/version')));
});

void test('controller accounts: each controller\'s role lets it do its job and no more', () => {
  const az = new RbacAuthorizer(source());
  const as = (controller: string) => ({ username: `system:serviceaccount:kube-system:${controllerServiceAccount(controller)}`, groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'] });
  assert.ok(az.authorize(res('create', 'pods', { user: as('replicaset') })).allowed);
  assert.ok(az.authorize(res('update', 'replicasets', { user: as('replicaset'), apiGroup: 'apps', subresource: 'status', name: 'r' })).allowed);
  assert.ok(!az.authorize(res('create', 'pods', { user: as('deployment') })).allowed);
  assert.ok(az.authorize(res('update', 'deployments', { user: as('deployment'), apiGroup: 'apps', subresource: 'status', name: 'd' })).allowed);
  assert.ok(az.authorize(res('create', 'events', { user: as('deployment') })).allowed);
  assert.ok(!az.authorize(res('get', 'secrets', { user: as('deployment'), name: 's' })).allowed);
  assert.ok(az.authorize(res('delete', 'secrets', { user: as('garbage-collector'), name: 's' })).allowed);
});

void test('escalation: writing roles needs their permissions; binding needs the role\'s permissions or bind', () => {
  const carol = { username: 'carol', groups: ['system:authenticated'] };
  const src = source([
    rb('dev', 'carol-admin', 'ClusterRole', 'admin', [{ kind: 'User', name: 'carol' }]),
    { kind: 'ClusterRole', metadata: { name: 'binder' }, rules: [{ verbs: ['bind'], apiGroups: ['rbac.authorization.k8s.io'], resources: ['clusterroles'], resourceNames: ['cluster-admin'] }] },
    rb('dev', 'carol-binder', 'ClusterRole', 'binder', [{ kind: 'User', name: 'carol' }]),
  ]);
  const az = new RbacAuthorizer(src);
  const guard = new EscalationGuard(az, az.resolver);
  const role = (rules: PolicyRule[]): Obj => ({ metadata: { namespace: 'dev', name: 'r' }, rules });
  guard.checkRole(carol, role([{ verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'secrets'] }]), 'roles');
  assert.throws(() => guard.checkRole(carol, role([{ verbs: ['get'], apiGroups: [''], resources: ['nodes'] }]), 'roles'), (e: unknown) =>
    e instanceof ApiError && e.code === 403 &&
    e.message === 'roles.rbac.authorization.k8s.io "r" is forbidden: user "carol" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
  assert.throws(() => guard.checkRole(carol, { metadata: { name: 'agg' }, aggregationRule: { clusterRoleSelectors: [] }, rules: [] }, 'clusterroles'), /must have cluster-admin privileges to use the aggregationRule/);
  guard.checkBinding(carol, rb('dev', 'b', 'ClusterRole', 'view', []), 'rolebindings');
  guard.checkBinding(carol, rb('dev', 'b', 'ClusterRole', 'cluster-admin', []), 'rolebindings'); // holds bind on it
  assert.throws(() => guard.checkBinding(carol, rb('prod', 'b', 'ClusterRole', 'view', []), 'rolebindings'), /attempting to grant RBAC permissions not currently held/);
  assert.throws(() => guard.checkBinding(carol, rb('dev', 'b', 'Role', 'missing', []), 'rolebindings'), /roles.rbac.authorization.k8s.io "missing" not found/);
});

void test('uncoveredRules and describeRule', () => {
  const owner: PolicyRule[] = [{ verbs: ['get', 'list'], apiGroups: ['', 'apps'], resources: ['pods', 'deployments'] }, { verbs: ['get'], apiGroups: [''], resources: ['*/status'] }];
  assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get'], apiGroups: ['apps'], resources: ['deployments'] }, { verbs: ['get'], apiGroups: [''], resources: ['pods/status'] }]), []);
  assert.deepEqual(uncoveredRules(owner, [{ verbs: ['get', 'watch'], apiGroups: [''], resources: ['pods'] }]).map(describeRule), ['{APIGroups:[""], Resources:["pods"], Verbs:["watch"]}']);
  assert.equal(uncoveredRules(owner, [{ verbs: ['*'], apiGroups: [''], resources: ['pods'] }]).length, 1, 'a wildcard is only covered by a wildcard');
  assert.equal(uncoveredRules([{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] }], [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'] }]).length, 1);
});

void test('forbidden messages are upstream\'s', () => {
  const msg = (a: Attributes) => forbidden(a).message;
  assert.equal(msg(res('list', 'pods')), 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "dev"');
  assert.equal(msg(res('get', 'deployments', { apiGroup: 'apps', name: 'web', subresource: 'scale' })), 'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments/scale" in API group "apps" in the namespace "dev"');
  assert.equal(msg(res('list', 'nodes', { namespace: '' })), 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope');
  assert.equal(msg({ user: bob, verb: 'get', resourceRequest: false, path: '/metrics' }), 'forbidden: User "bob" cannot get path "/metrics"');
  const a = attributesOf(bob, { isResourceRequest: true, path: '/api/v1/namespaces/dev', verb: 'get', group: '', version: 'v1', namespace: '', resource: 'namespaces', subresource: '', name: 'dev', parts: [] }, 'GET');
  assert.equal(a.namespace, 'dev', 'a namespace is its own namespace');
});

void test('aggregation: admin includes edit includes view, transitively', () => {
  const roles = bootstrapClusterRoles();
  const agg = aggregateAll(roles);
  const has = (name: string, resource: string, verb: string) => (agg.get(name) ?? []).some((r) => r.resources?.includes(resource) && r.verbs.includes(verb));
  assert.ok(has('view', 'pods', 'list') && !has('view', 'secrets', 'get'));
  assert.ok(has('edit', 'pods', 'list') && has('edit', 'secrets', 'get') && !has('edit', 'roles', 'create'));
  assert.ok(has('admin', 'pods', 'list') && has('admin', 'secrets', 'get') && has('admin', 'roles', 'create'));
});
