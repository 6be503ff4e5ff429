import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePolicy, parsePolicy, type AuditAttributes } from './policy.ts';

const policy = parsePolicy(`
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: None
    users: ["system:kube-proxy"]
    verbs: ["watch"]
  - level: None
    nonResourceURLs: ["/healthz*", "/version"]
  - level: None
    userGroups: ["system:nodes"]
    resources:
      - group: ""
        resources: ["nodes/status"]
  - level: RequestResponse
    resources:
      - group: ""
        resources: ["configmaps"]
        resourceNames: ["special"]
  - level: Request
    namespaces: ["kube-system"]
    omitStages: [ResponseStarted]
  - level: Metadata
    resources:
      - group: "apps"
        resources: ["deployments/*", "*/scale"]
      - group: ""
        resources: ["secrets", "configmaps"]
    omitManagedFields: true
  - level: Request
    resources:
      - group: "rbac.authorization.k8s.io"
  - level: Metadata
    verbs: ["get"]
`);

function attrs(over: Partial<AuditAttributes>): AuditAttributes {
  return { user: { username: 'alice', groups: ['system:authenticated'] }, verb: 'get', resourceRequest: true, path: '/api/v1/x', apiGroup: '', namespace: 'default', resource: 'pods', subresource: '', name: '', ...over };
}

test('the first matching rule decides the level', () => {
  const level = (a: Partial<AuditAttributes>): string => evaluatePolicy(policy, attrs(a)).level;
  // users + verbs: both must match.
  assert.equal(level({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'watch', resource: 'services' }), 'None');
  assert.equal(level({ user: { username: 'system:kube-proxy', groups: [] }, verb: 'get', resource: 'services' }), 'Metadata', 'the verb does not match rule 1');
  // nonResourceURLs with a trailing wildcard, exact paths; never for resource requests.
  assert.equal(level({ resourceRequest: false, path: '/healthz/etcd', resource: '' }), 'None');
  assert.equal(level({ resourceRequest: false, path: '/version', resource: '' }), 'None');
  assert.equal(level({ resourceRequest: false, path: '/versions', resource: '' }), 'Metadata', 'falls through to the get rule');
  // userGroups + subresource.
  assert.equal(level({ user: { username: 'system:node:a', groups: ['system:nodes'] }, verb: 'patch', resource: 'nodes', subresource: 'status', namespace: '' }), 'None');
  assert.equal(level({ user: { username: 'system:node:a', groups: ['system:nodes'] }, verb: 'get', resource: 'nodes', subresource: 'status', namespace: '' }), 'None');
  assert.equal(level({ user: { username: 'bob', groups: ['dev'] }, verb: 'get', resource: 'nodes', subresource: 'status', namespace: '' }), 'Metadata', 'not in the group');
  assert.equal(level({ user: { username: 'system:node:a', groups: ['system:nodes'] }, verb: 'get', resource: 'nodes', namespace: '' }), 'Metadata', 'nodes/status is not nodes');
  // resourceNames.
  assert.equal(level({ verb: 'update', resource: 'configmaps', name: 'special' }), 'RequestResponse');
  assert.equal(level({ verb: 'update', resource: 'configmaps', name: 'other' }), 'Metadata');
  // namespaces.
  assert.equal(level({ verb: 'create', resource: 'pods', namespace: 'kube-system' }), 'Request');
  // resource/* and */subresource.
  assert.equal(level({ verb: 'update', apiGroup: 'apps', resource: 'deployments', subresource: 'status' }), 'Metadata');
  assert.equal(level({ verb: 'update', apiGroup: 'apps', resource: 'deployments' }), 'Metadata', 'as upstream, resource/* covers the resource too');
  assert.equal(level({ verb: 'update', apiGroup: 'apps', resource: 'replicasets' }), 'None');
  assert.equal(level({ verb: 'update', apiGroup: 'apps', resource: 'statefulsets', subresource: 'scale' }), 'Metadata');
  // A group with no resources listed: all of its resources.
  assert.equal(level({ verb: 'delete', apiGroup: 'rbac.authorization.k8s.io', resource: 'roles' }), 'Request');
  // Nothing matches: None.
  assert.equal(level({ verb: 'create', resource: 'pods' }), 'None');
  assert.equal(level({ verb: 'get', resource: 'pods' }), 'Metadata');
});

test('stages: the policy\'s omitStages plus the rule\'s; omitManagedFields per rule', () => {
  const d = evaluatePolicy(policy, attrs({ verb: 'create', namespace: 'kube-system' }));
  assert.deepEqual(d.omitStages.sort(), ['RequestReceived', 'ResponseStarted']);
  assert.equal(d.omitManagedFields, false);
  const m = evaluatePolicy(policy, attrs({ verb: 'create', resource: 'secrets' }));
  assert.deepEqual(m.omitStages, ['RequestReceived']);
  assert.equal(m.omitManagedFields, true);
});

test('"" in namespaces matches cluster-scoped requests', () => {
  const p = parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Request\n    namespaces: [""]\n');
  assert.equal(evaluatePolicy(p, attrs({ namespace: '', resource: 'nodes' })).level, 'Request');
  assert.equal(evaluatePolicy(p, attrs({ namespace: 'default' })).level, 'None');
  assert.equal(evaluatePolicy(p, attrs({ resourceRequest: false, namespace: '' })).level, 'None', 'namespaces only apply to resource requests');
});

test('invalid policies are refused with the reason', () => {
  const bad: [string, RegExp][] = [
    ['kind: Policy\napiVersion: audit.k8s.io/v1beta9\nrules: [{level: None}]', /expected kind Policy/],
    ['kind: Policy\napiVersion: audit.k8s.io/v1\nrules: []', /no rules/],
    ['kind: Policy\napiVersion: audit.k8s.io/v1\nrules: [{level: Everything}]', /level.*is not one of/],
    ['kind: Policy\napiVersion: audit.k8s.io/v1\nrules: [{level: None, omitStages: [Sometime]}]', /unknown stage/],
    ['kind: Policy\napiVersion: audit.k8s.io/v1\nrules: [{level: None, nonResourceURLs: ["/x"], resources: [{group: ""}]}]', /both regular resources and non-resource URLs/],
    ['kind: Policy\napiVersion: audit.k8s.io/v1\nrules: [{level: None, users: "alice"}]', /users must be a list of strings/],
    ['rules: [', /not valid YAML/],
  ];
  for (const [text, re] of bad) assert.throws(() => parsePolicy(text), re, text);
});
