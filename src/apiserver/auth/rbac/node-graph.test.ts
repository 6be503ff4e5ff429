import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NodeGraph, podReferences } from './node-graph.ts';
import { RbacAuthorizer, forbidden } from './authorizer.ts';
import { bootstrapClusterRoles } from './bootstrap-policy.ts';
import type { RbacSource } from './resolver.ts';
import type { Attributes } from './rules.ts';
import { attributesOf } from './authorizer.ts';
import { parseRequestInfo } from '../../http/request-info.ts';

type Obj = Record<string, any>;

const roles = new Map(bootstrapClusterRoles().map((r) => [r.metadata.name as string, r]));
const src: RbacSource = {
  role: () => undefined,
  clusterRole: (name) => roles.get(name),
  roleBindings: () => [],
  clusterRoleBindings: () => [],
};

const node = (name: string) => ({ username: `system:node:${name}`, groups: ['system:nodes', 'system:authenticated'] });
const req = (user: Attributes['user'], verb: string, resource: string, o: Partial<Attributes> = {}): Attributes =>
  ({ user, verb, resourceRequest: true, apiGroup: '', resource, namespace: 'ns', ...o });

function fullPod(name: string, nodeName: string | undefined): Obj {
  return {
    metadata: { name, namespace: 'ns' },
    spec: {
      nodeName, serviceAccountName: 'sa',
      imagePullSecrets: [{ name: 'pull' }],
      containers: [{
        name: 'c', image: 'i',
        env: [{ name: 'A', valueFrom: { secretKeyRef: { name: 'env-secret', key: 'k' } } }, { name: 'B', valueFrom: { configMapKeyRef: { name: 'env-cm', key: 'k' } } }],
        envFrom: [{ secretRef: { name: 'envfrom-secret' } }, { configMapRef: { name: 'envfrom-cm' } }],
      }],
      volumes: [
        { name: 'v1', secret: { secretName: 'vol-secret' } },
        { name: 'v2', configMap: { name: 'vol-cm' } },
        { name: 'v3', persistentVolumeClaim: { claimName: 'claim' } },
        { name: 'v4', projected: { sources: [{ secret: { name: 'proj-secret' } }, { configMap: { name: 'proj-cm' } }] } },
        { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
      ],
    },
  };
}

void test('every kind of reference a pod makes', () => {
  assert.deepEqual(podReferences(fullPod('p', 'n1')).sort(), [
    'configmaps/ns/env-cm', 'configmaps/ns/envfrom-cm', 'configmaps/ns/proj-cm', 'configmaps/ns/vol-cm',
    'persistentvolumeclaims/ns/claim', 'persistentvolumeclaims/ns/p-scratch',
    'secrets/ns/env-secret', 'secrets/ns/envfrom-secret', 'secrets/ns/proj-secret', 'secrets/ns/pull', 'secrets/ns/vol-secret',
    'serviceaccounts/ns/sa',
  ]);
});

void test('node authorizer decisions follow the graph', () => {
  const g = new NodeGraph();
  const az = new RbacAuthorizer(src, g);
  const n1 = node('n1');
  const n2 = node('n2');
  g.setPod(fullPod('p', 'n1'));
  g.setPod(fullPod('unbound', undefined));
  g.setClaim({ metadata: { name: 'claim', namespace: 'ns' }, spec: { volumeName: 'pv-1' } });
  const table: [Attributes, boolean, string?][] = [
    [req(n1, 'get', 'secrets', { name: 'vol-secret' }), true],
    [req(n1, 'get', 'secrets', { name: 'pull' }), true],
    [req(n1, 'watch', 'configmaps', { name: 'env-cm' }), true],
    [req(n1, 'get', 'persistentvolumeclaims', { name: 'claim' }), true],
    [req(n1, 'get', 'persistentvolumes', { name: 'pv-1', namespace: '' }), true],
    [req(n1, 'create', 'serviceaccounts', { name: 'sa', subresource: 'token' }), true],
    [req(n2, 'get', 'secrets', { name: 'vol-secret' }), false, "no relationship found between node 'n2' and this object"],
    [req(n1, 'get', 'secrets', { name: 'other' }), false, "no relationship found between node 'n1' and this object"],
    [req(n1, 'get', 'secrets', { name: 'vol-secret', namespace: 'elsewhere' }), false],
    [req(n1, 'list', 'secrets'), false, 'No Object name found'],
    [req(n1, 'update', 'secrets', { name: 'vol-secret' }), false, 'can only read resources of this type'],
    [req(n2, 'get', 'persistentvolumes', { name: 'pv-1', namespace: '' }), false],
    [req(n1, 'create', 'serviceaccounts', { name: 'other', subresource: 'token' }), false],
    [req(n1, 'get', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n1' }), true],
    [req(n1, 'update', 'leases', { apiGroup: 'coordination.k8s.io', namespace: 'kube-node-lease', name: 'n2' }), false, 'can only access node lease with the same name as the requesting node'],
    // Not narrowed: the system:node role's rules.
    [req(n1, 'list', 'pods', { namespace: '' }), true],
    [req(n1, 'patch', 'nodes', { namespace: '', subresource: 'status', name: 'n2' }), true],
    [req(n1, 'delete', 'namespaces', { namespace: 'ns', name: 'ns' }), false],
    [req({ username: 'alice', groups: [] }, 'get', 'secrets', { name: 'vol-secret' }), false],
  ];
  for (const [a, allowed, reason] of table) {
    const d = az.authorize(a);
    assert.equal(d.allowed, allowed, `${a.user.username} ${a.verb} ${a.resource}/${a.name ?? ''} in ${a.namespace ?? ''}`);
    if (reason !== undefined) assert.equal(d.reason, reason);
  }
  // The 403 a client sees ends with the Node authorizer's reason, as upstream.
  const a = req(n1, 'get', 'secrets', { name: 'other' });
  assert.equal(forbidden(a, az.authorize(a).reason).message,
    'secrets "other" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "ns": no relationship found between node \'n1\' and this object');
});

void test('the graph follows pod moves and deletions, and counts shared references', () => {
  const g = new NodeGraph();
  const p1 = fullPod('p1', 'n1');
  const p2 = fullPod('p2', 'n1');
  g.setPod(p1);
  g.setPod(p2);
  g.deletePod('ns/p1');
  assert.ok(g.references('n1', 'secrets', 'ns', 'vol-secret'), 'p2 still uses it');
  g.deletePod('ns/p2');
  assert.ok(!g.references('n1', 'secrets', 'ns', 'vol-secret'));
  g.setPod(fullPod('p3', undefined));
  assert.ok(!g.references('n1', 'secrets', 'ns', 'vol-secret'), 'an unbound pod opens nothing');
  g.setPod(fullPod('p3', 'n2'));
  assert.ok(g.references('n2', 'secrets', 'ns', 'vol-secret'), 'binding opens its references to its node');
  g.setClaim({ metadata: { name: 'claim', namespace: 'ns' }, spec: { volumeName: 'pv-1' } });
  assert.ok(g.referencesVolume('n2', 'pv-1'));
  g.deleteClaim('ns/claim');
  assert.ok(!g.referencesVolume('n2', 'pv-1'));
});

void test('a watch of one secret by field selector is judged by its name (as kubelets watch them)', () => {
  const g = new NodeGraph();
  g.setPod(fullPod('p', 'n1'));
  const az = new RbacAuthorizer(src, g);
  const attrs = (q: string) => attributesOf(node('n1'), parseRequestInfo('GET', '/api/v1/namespaces/ns/secrets', new URLSearchParams(q)), 'GET');
  assert.ok(az.authorize(attrs('watch=true&fieldSelector=metadata.name%3Dvol-secret')).allowed);
  assert.ok(!az.authorize(attrs('watch=true&fieldSelector=metadata.name%3Dother')).allowed);
  assert.ok(!az.authorize(attrs('fieldSelector=type%3DOpaque')).allowed, 'a list of many secrets is never allowed');
});
