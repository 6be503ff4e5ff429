import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findResource } from '../../api/resources.ts';
import { ApiError } from '../../base/errors.ts';
import type { AdmissionAttributes } from './chain.ts';
import { forbiddenNodeLabels, NodeRestriction } from './noderestriction.ts';

type Obj = Record<string, any>;

const n1 = { username: 'system:node:n1', groups: ['system:nodes', 'system:authenticated'] };
const plugin = new NodeRestriction({
  getNode: async (name) => ({ metadata: { name, uid: `uid-${name}` } }),
  getPod: async (ns, name) => ({ metadata: { name, namespace: ns, uid: `uid-${name}` }, spec: { nodeName: name === 'on-n1' ? 'n1' : 'n2' } }),
});

function attrs(plural: string, operation: AdmissionAttributes['operation'], obj: Obj, o: { old?: Obj; sub?: string; ns?: string; group?: string; user?: AdmissionAttributes['user'] } = {}): AdmissionAttributes {
  const info = findResource(o.group ?? '', 'v1', plural)!;
  return { operation, info, namespace: o.ns ?? '', subresource: o.sub ?? '', obj, old: o.old ?? (operation === 'DELETE' ? obj : undefined), dryRun: false, user: o.user ?? n1 };
}

function token(boundObjectRef: Obj | undefined): AdmissionAttributes {
  const a = attrs('serviceaccounts', 'CREATE', { metadata: { name: 'sa', namespace: 'ns' }, spec: { audiences: ['x'], boundObjectRef } }, { ns: 'ns' });
  a.subresource = 'token';
  return a;
}

async function run(a: AdmissionAttributes): Promise<string> {
  try {
    // Both phases, as the chain runs them: each judges its own share.
    await plugin.admit(a);
    await plugin.validate(a);
    return 'allowed';
  } catch (e) {
    assert.ok(e instanceof ApiError && e.code === 403, String(e));
    return e.message;
  }
}

const node = (name: string, extra: Obj = {}): Obj => ({ metadata: { name, ...extra }, spec: {} });
const boundPod = (nodeName: string, meta: Obj = {}): Obj => ({ metadata: { name: 'p', namespace: 'ns', ...meta }, spec: { nodeName, containers: [{ name: 'c', image: 'i' }] } });
const mirror = { 'kubernetes.io/config.mirror': 'hash' };

const cases: { name: string; a: () => AdmissionAttributes; want: string }[] = [
  { name: 'create own node', a: () => attrs('nodes', 'CREATE', node('n1', { labels: { 'kubernetes.io/hostname': 'n1', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } })), want: 'allowed' },
  { name: 'create another node', a: () => attrs('nodes', 'CREATE', node('n2')), want: 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"' },
  { name: 'patch another node', a: () => attrs('nodes', 'UPDATE', node('n2', { labels: { a: 'b' } }), { old: node('n2') }), want: 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"' },
  { name: 'status of another node', a: () => attrs('nodes', 'UPDATE', node('n2'), { old: node('n2'), sub: 'status' }), want: 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"' },
  { name: 'delete another node', a: () => attrs('nodes', 'DELETE', node('n2')), want: 'nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"' },
  { name: 'register with a node-restriction label', a: () => attrs('nodes', 'CREATE', node('n1', { labels: { 'node-restriction.kubernetes.io/pool': 'a' } })),
    want: 'nodes "n1" is forbidden: node "n1" is not allowed to set the following labels: node-restriction.kubernetes.io/pool' },
  { name: 'change own taints', a: () => attrs('nodes', 'UPDATE', { ...node('n1'), spec: { taints: [] } }, { old: { ...node('n1'), spec: { taints: [{ key: 'k', effect: 'NoSchedule' }] } } }),
    want: 'nodes "n1" is forbidden: node "n1" is not allowed to modify taints' },
  { name: 'give itself a kubernetes.io role label', a: () => attrs('nodes', 'UPDATE', node('n1', { labels: { 'node-role.kubernetes.io/control-plane': '' } }), { old: node('n1') }),
    want: 'nodes "n1" is forbidden: is not allowed to modify labels: node-role.kubernetes.io/control-plane' },
  { name: 'update own labels the kubelet owns and free ones', a: () => attrs('nodes', 'UPDATE', node('n1', { labels: { 'kubernetes.io/arch': 'amd64', 'example.com/x': 'y' } }), { old: node('n1') }), want: 'allowed' },
  { name: 'status of own pod', a: () => attrs('pods', 'UPDATE', boundPod('n1'), { old: boundPod('n1'), sub: 'status', ns: 'ns' }), want: 'allowed' },
  { name: 'status of a pod on another node', a: () => attrs('pods', 'UPDATE', boundPod('n2'), { old: boundPod('n2'), sub: 'status', ns: 'ns' }),
    want: 'pods "p" is forbidden: node "n1" can only update pod status for pods with spec.nodeName set to itself' },
  { name: 'delete own pod', a: () => attrs('pods', 'DELETE', boundPod('n1'), { ns: 'ns' }), want: 'allowed' },
  { name: 'delete another node\'s pod', a: () => attrs('pods', 'DELETE', boundPod('n2'), { ns: 'ns' }), want: 'pods "p" is forbidden: node "n1" can only delete pods with spec.nodeName set to itself' },
  { name: 'create a plain pod', a: () => attrs('pods', 'CREATE', boundPod('n1'), { ns: 'ns' }),
    want: 'pods "p" is forbidden: pod does not have "kubernetes.io/config.mirror" annotation, node "n1" can only create mirror pods' },
  { name: 'create a mirror pod for itself', a: () => attrs('pods', 'CREATE', boundPod('n1', { annotations: mirror, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'uid-n1', controller: true }] }), { ns: 'ns' }), want: 'allowed' },
  { name: 'create a mirror pod for another node', a: () => attrs('pods', 'CREATE', boundPod('n2', { annotations: mirror }), { ns: 'ns' }),
    want: 'pods "p" is forbidden: node "n1" can only create pods with spec.nodeName set to itself' },
  { name: 'a mirror pod reading a secret', a: () => { const p = boundPod('n1', { annotations: mirror }); p.spec.volumes = [{ name: 's', secret: { secretName: 's' } }]; return attrs('pods', 'CREATE', p, { ns: 'ns' }); },
    want: 'pods "p" is forbidden: node "n1" can not create pods that reference secrets' },
  { name: 'a mirror pod with a service account', a: () => { const p = boundPod('n1', { annotations: mirror }); p.spec.serviceAccountName = 'default'; return attrs('pods', 'CREATE', p, { ns: 'ns' }); },
    want: 'pods "p" is forbidden: node "n1" can not create pods that reference a service account' },
  { name: 'update a pod', a: () => attrs('pods', 'UPDATE', boundPod('n1', { labels: { a: 'b' } }), { old: boundPod('n1'), ns: 'ns' }),
    want: 'pods "p" is forbidden: unexpected operation "UPDATE", node "n1" can only create and delete mirror pods' },
  { name: 'own lease', a: () => attrs('leases', 'UPDATE', { metadata: { name: 'n1' } }, { old: { metadata: { name: 'n1' } }, ns: 'kube-node-lease', group: 'coordination.k8s.io' }), want: 'allowed' },
  { name: 'another node\'s lease', a: () => attrs('leases', 'CREATE', { metadata: { name: 'n2' } }, { ns: 'kube-node-lease', group: 'coordination.k8s.io' }),
    want: 'leases.coordination.k8s.io "n2" is forbidden: can only access node lease with the same name as the requesting node' },
  { name: 'a lease elsewhere', a: () => attrs('leases', 'CREATE', { metadata: { name: 'n1' } }, { ns: 'default', group: 'coordination.k8s.io' }),
    want: 'leases.coordination.k8s.io "n1" is forbidden: can only access leases in the "kube-node-lease" system namespace' },
  { name: 'a token bound to its own pod', a: () => token({ kind: 'Pod', apiVersion: 'v1', name: 'on-n1', uid: 'uid-on-n1' }), want: 'allowed' },
  { name: 'a token bound to another node\'s pod', a: () => token({ kind: 'Pod', apiVersion: 'v1', name: 'on-n2', uid: 'uid-on-n2' }),
    want: 'serviceaccounts "sa" is forbidden: node requested token bound to a pod scheduled on a different node' },
  { name: 'an unbound token', a: () => token(undefined), want: 'serviceaccounts "sa" is forbidden: node requested token not bound to a pod' },
  { name: 'a token bound without a uid', a: () => token({ kind: 'Pod', apiVersion: 'v1', name: 'on-n1' }), want: 'serviceaccounts "sa" is forbidden: node requested token with a pod binding without a uid' },
  { name: 'evict own pod', a: () => { const a = attrs('pods', 'CREATE', { metadata: { name: 'on-n1' } }, { ns: 'ns' }); a.subresource = 'eviction'; return a; }, want: 'allowed' },
  { name: 'evict another node\'s pod', a: () => { const a = attrs('pods', 'CREATE', { metadata: { name: 'on-n2' } }, { ns: 'ns' }); a.subresource = 'eviction'; return a; },
    want: 'pods "on-n2" is forbidden: node n1 can only evict pods with spec.nodeName set to itself' },
  { name: 'other users are not concerned', a: () => attrs('nodes', 'DELETE', node('n2'), { user: { username: 'alice', groups: [] } }), want: 'allowed' },
  { name: 'a node group member without a node name', a: () => attrs('nodes', 'DELETE', node('n2'), { user: { username: 'bob', groups: ['system:nodes'] } }),
    want: 'nodes "n2" is forbidden: could not determine node from user "bob"' },
];

for (const c of cases) void test(`NodeRestriction: ${c.name}`, async () => assert.equal(await run(c.a()), c.want));

void test('node label rules', () => {
  assert.deepEqual(forbiddenNodeLabels(['kubernetes.io/hostname', 'topology.kubernetes.io/zone', 'kubelet.kubernetes.io/x', 'foo.node.kubernetes.io/y', 'example.com/z']), []);
  assert.deepEqual(forbiddenNodeLabels(['node-role.kubernetes.io/master', 'a.node-restriction.kubernetes.io/b', 'k8s.io/x']), ['a.node-restriction.kubernetes.io/b', 'k8s.io/x', 'node-role.kubernetes.io/master']);
});

void test('phases: creates of objects are judged while admitting, create-only subresources while validating', async () => {
  const evict = attrs('pods', 'CREATE', { metadata: { name: 'on-n2' } }, { ns: 'ns' });
  evict.subresource = 'eviction';
  await plugin.admit(evict);
  await assert.rejects(plugin.validate(evict), /can only evict pods with spec.nodeName set to itself/);
  const other = attrs('nodes', 'CREATE', node('n2'));
  await assert.rejects(plugin.admit(other), /is not allowed to modify node "n2"/);
  await plugin.validate(other);
});
