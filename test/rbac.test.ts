// RBAC through the real kubectl, as upstream decides: users from a token file
// and a service account, Roles and ClusterRoles bound in a namespace or
// cluster-wide, resourceNames, subresources, non-resource URLs, escalation
// attempts, aggregation, impersonation, and access reviews.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Pilot, run, KUBECTL } from './helpers/pilot.ts';

let pilot: Pilot;
let caFile: string;
const TOKENS: Record<string, string> = { alice: 'alice-token', bob: 'bob-token', carol: 'carol-token' };

before(async () => {
  const dir = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pilot-rbac-'));
  const file = path.join(dir, 'tokens.csv');
  fs.writeFileSync(file, 'alice-token,alice,u-alice,"devs"\nbob-token,bob,u-bob\ncarol-token,carol,u-carol,"ops"\n');
  pilot = await new Pilot({ extraArgs: ['--token-auth-file', file, '--controllers', 'serviceaccount,clusterrole-aggregation', '--disable-agent', '--disable-scheduler'] }).start();
  caFile = path.join(pilot.dataDir, 'tls/ca.crt');
  await pilot.k(['create', 'namespace', 'dev']);
  await pilot.k(['create', 'namespace', 'prod']);
});
after(async () => { await pilot?.dispose(); });

/** kubectl as a user of the token file (or any bearer token). */
function as(who: string, args: string[]) {
  const token = TOKENS[who] ?? who;
  return run(KUBECTL, ['--kubeconfig', '/dev/null', '--server', pilot.url, '--certificate-authority', caFile, '--token', token, '--cache-dir', pilot.cacheDir, ...args]);
}

async function allowed(who: string, args: string[]): Promise<string> {
  const r = await as(who, args);
  assert.equal(r.code, 0, `${who}: kubectl ${args.join(' ')} should be allowed:\n${r.stderr}`);
  return r.stdout;
}

async function denied(who: string, args: string[], message?: string): Promise<void> {
  const r = await as(who, args);
  assert.notEqual(r.code, 0, `${who}: kubectl ${args.join(' ')} should be forbidden`);
  assert.match(r.stderr, /Forbidden|forbidden/, r.stderr);
  if (message) assert.ok(r.stderr.includes(message), `expected ${JSON.stringify(message)} in:\n${r.stderr}`);
}

/** RBAC follows writes through a watch: give it a moment, as clients of upstream must too. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const canI = async (who: string, args: string[]): Promise<string> => (await as(who, ['auth', 'can-i', ...args])).stdout.trim();

test('nobody may do anything without a binding, except discovery, health and self-reviews', async () => {
  await denied('bob', ['get', 'pods', '-n', 'dev'], 'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "dev"');
  await denied('bob', ['get', 'nodes'], 'nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope');
  await denied('bob', ['get', '--raw', '/metrics'], 'forbidden: User "bob" cannot get path "/metrics"');
  await allowed('bob', ['get', '--raw', '/healthz']);
  await allowed('bob', ['api-resources', '-o', 'name']);
  const who = JSON.parse(await allowed('bob', ['auth', 'whoami', '-o', 'json']));
  assert.equal(who.status.userInfo.username, 'bob');
  assert.equal(await canI('bob', ['list', 'pods', '-n', 'dev']), 'no');
  assert.equal(await canI('bob', ['get', '/version']), 'yes');
});

test('a Role bound in a namespace: its verbs, resources, subresources and resourceNames there, nothing elsewhere', async () => {
  await pilot.k(['create', 'role', 'pod-reader', '-n', 'dev', '--verb=get,list,watch', '--resource=pods']);
  await pilot.k(['create', 'role', 'one-cm', '-n', 'dev', '--verb=get,update', '--resource=configmaps', '--resource-name=cm1']);
  await pilot.k(['create', 'rolebinding', 'bob-pods', '-n', 'dev', '--role=pod-reader', '--user=bob']);
  await pilot.k(['create', 'rolebinding', 'bob-cm', '-n', 'dev', '--role=one-cm', '--user=bob']);
  await pilot.k(['create', 'configmap', 'cm1', '-n', 'dev', '--from-literal=a=1']);
  await pilot.k(['create', 'configmap', 'cm2', '-n', 'dev', '--from-literal=a=2']);
  await pilot.k(['run', 'p', '-n', 'dev', '--image=busybox', '--restart=Never']);
  await eventually(async () => (await as('bob', ['get', 'pods', '-n', 'dev'])).code === 0, 'the binding takes effect');
  assert.match(await allowed('bob', ['get', 'pod', 'p', '-n', 'dev', '-o', 'name']), /pod\/p/);
  await denied('bob', ['get', 'pods', '-n', 'prod'], 'in the namespace "prod"');
  await denied('bob', ['delete', 'pod', 'p', '-n', 'dev'], 'pods "p" is forbidden: User "bob" cannot delete resource "pods" in API group "" in the namespace "dev"');
  await denied('bob', ['get', '--raw', '/api/v1/namespaces/dev/pods/p/status'], 'cannot get resource "pods/status"');
  await allowed('bob', ['get', 'configmap', 'cm1', '-n', 'dev']);
  await denied('bob', ['get', 'configmap', 'cm2', '-n', 'dev'], 'configmaps "cm2" is forbidden');
  await denied('bob', ['get', 'configmaps', '-n', 'dev'], 'cannot list resource "configmaps"');
  assert.equal(await canI('bob', ['get', 'configmaps/cm1', '-n', 'dev']), 'yes');
  assert.equal(await canI('bob', ['get', 'configmaps/cm2', '-n', 'dev']), 'no');
  const list = await allowed('bob', ['auth', 'can-i', '--list', '-n', 'dev']);
  assert.match(list, /pods\s+\[\]\s+\[\]\s+\[get list watch\]/);
  assert.match(list, /configmaps\s+\[\]\s+\[cm1\]\s+\[get update\]/);
});

test('ClusterRoles: view in one namespace via a RoleBinding, everywhere via a ClusterRoleBinding; groups and service accounts as subjects', async () => {
  await pilot.k(['create', 'rolebinding', 'devs-view', '-n', 'dev', '--clusterrole=view', '--group=devs']);
  await eventually(async () => (await as('alice', ['get', 'deployments', '-n', 'dev'])).code === 0, 'group binding');
  await denied('alice', ['get', 'secrets', '-n', 'dev'], 'cannot list resource "secrets"');
  await denied('alice', ['get', 'pods', '-n', 'prod']);
  await pilot.k(['create', 'clusterrolebinding', 'ops-view', '--clusterrole=view', '--group=ops']);
  await eventually(async () => (await as('carol', ['get', 'pods', '-A'])).code === 0, 'cluster binding');
  await allowed('carol', ['get', 'services', '-n', 'prod']);
  await denied('carol', ['create', 'configmap', 'x', '-n', 'prod']);

  await pilot.k(['create', 'serviceaccount', 'robot', '-n', 'dev']);
  const token = (await pilot.k(['create', 'token', 'robot', '-n', 'dev'])).trim();
  await denied(token, ['get', 'pods', '-n', 'dev'], 'User "system:serviceaccount:dev:robot" cannot list resource "pods"');
  await pilot.k(['create', 'rolebinding', 'robot-edit', '-n', 'dev', '--clusterrole=edit', '--serviceaccount=dev:robot']);
  await eventually(async () => (await as(token, ['create', 'configmap', 'from-robot', '-n', 'dev'])).code === 0, 'service account binding');
  await denied(token, ['create', 'role', 'r', '-n', 'dev', '--verb=get', '--resource=pods'], 'cannot create resource "roles"');
});

test('escalation: a namespace admin cannot grant more than they hold, unless allowed to bind', async () => {
  await pilot.k(['create', 'rolebinding', 'carol-admin', '-n', 'dev', '--clusterrole=admin', '--user=carol']);
  await eventually(async () => (await as('carol', ['get', 'roles', '-n', 'dev'])).code === 0, 'admin binding');
  // Within what admin holds: fine.
  await allowed('carol', ['create', 'role', 'secret-reader', '-n', 'dev', '--verb=get', '--resource=secrets']);
  await allowed('carol', ['create', 'rolebinding', 'bob-view', '-n', 'dev', '--clusterrole=view', '--user=bob']);
  // Beyond it: refused with upstream's message.
  await denied('carol', ['create', 'role', 'node-reader', '-n', 'dev', '--verb=get', '--resource=nodes'],
    'roles.rbac.authorization.k8s.io "node-reader" is forbidden: user "carol" (groups=["ops" "system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["nodes"], Verbs:["get"]}');
  await denied('carol', ['create', 'rolebinding', 'carol-root', '-n', 'dev', '--clusterrole=cluster-admin', '--user=carol'], 'is attempting to grant RBAC permissions not currently held');
  await denied('carol', ['create', 'clusterrolebinding', 'carol-root', '--clusterrole=cluster-admin', '--user=carol'], 'cannot create resource "clusterrolebindings"');
  // With `bind` on cluster-admin, binding it in her namespace is allowed (what upstream's bind verb is for).
  await pilot.k(['create', 'clusterrole', 'bind-admin', '--verb=bind', '--resource=clusterroles', '--resource-name=cluster-admin']);
  await pilot.k(['create', 'rolebinding', 'carol-bind', '-n', 'dev', '--clusterrole=bind-admin', '--user=carol']);
  await eventually(async () => (await as('carol', ['create', 'rolebinding', 'carol-root', '-n', 'dev', '--clusterrole=cluster-admin', '--user=carol'])).code === 0, 'bind verb');
  // Changing what a binding points at is not allowed at all.
  const patch = await pilot.kubectl(['patch', 'rolebinding', 'bob-view', '-n', 'dev', '--type=merge', '-p', '{"roleRef":{"name":"edit"}}']);
  assert.notEqual(patch.code, 0);
  assert.match(patch.stderr, /cannot change roleRef/);
});

test('aggregation: a ClusterRole labelled for view joins view, edit and admin', async () => {
  await pilot.k(['create', '-f', '-'], {
    input: JSON.stringify({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
      metadata: { name: 'lease-viewer', labels: { 'rbac.authorization.k8s.io/aggregate-to-view': 'true' } },
      rules: [{ apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] }],
    }),
  });
  for (const role of ['view', 'edit', 'admin']) {
    await eventually(async () => {
      const r = await pilot.json(['get', 'clusterrole', role]);
      return (r.rules ?? []).some((x: { resources?: string[] }) => x.resources?.includes('leases'));
    }, `${role} aggregates lease-viewer`);
  }
  await eventually(async () => (await as('alice', ['get', 'leases', '-n', 'dev'])).code === 0, 'alice (view in dev) now reads leases');
});

test('impersonation needs the impersonate verb; access reviews answer for others', async () => {
  await denied('bob', ['get', 'pods', '-n', 'dev', '--as=alice'], 'users "alice" is forbidden: User "bob" cannot impersonate resource "users" in API group "" at the cluster scope');
  // The admin may, and then acts with exactly alice's rights.
  const r = await pilot.kubectl(['get', 'secrets', '-n', 'dev', '--as=alice']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /User "alice" cannot list resource "secrets"/);
  await pilot.k(['get', 'pods', '-n', 'dev', '--as=alice', '--as-group=devs']);
  assert.equal((await pilot.k(['auth', 'can-i', 'list', 'pods', '-n', 'dev', '--as=bob'])).trim(), 'yes');
  assert.equal((await pilot.kubectl(['auth', 'can-i', 'delete', 'pods', '-n', 'dev', '--as=bob'])).stdout.trim(), 'no');
  const sar = JSON.parse(await pilot.k(['create', '--raw', '/apis/authorization.k8s.io/v1/subjectaccessreviews', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', groups: ['devs'], resourceAttributes: { namespace: 'dev', verb: 'list', resource: 'deployments', group: 'apps' } } }),
  }));
  assert.equal(sar.status.allowed, true);
  const no = JSON.parse(await pilot.k(['create', '--raw', '/apis/authorization.k8s.io/v1/subjectaccessreviews', '-f', '-'], {
    input: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: { user: 'alice', resourceAttributes: { namespace: 'dev', verb: 'list', resource: 'deployments', group: 'apps' } } }),
  }));
  assert.equal(no.status.allowed, false, 'without the group, alice has no binding');
});

test('kubectl get shows the default policy like upstream', async () => {
  const crb = await pilot.k(['get', 'clusterrolebinding', 'cluster-admin', '-o', 'wide']);
  assert.match(crb, /NAME\s+ROLE\s+AGE\s+USERS\s+GROUPS\s+SERVICEACCOUNTS/);
  assert.match(crb, /cluster-admin\s+ClusterRole\/cluster-admin\s+\S+\s+system:masters/);
  const roles = await pilot.k(['get', 'clusterroles', '-o', 'name']);
  for (const r of ['admin', 'edit', 'view', 'cluster-admin', 'system:discovery', 'system:controller:replicaset-controller', 'system:kube-scheduler']) {
    assert.ok(roles.includes(`clusterrole.rbac.authorization.k8s.io/${r}\n`), r);
  }
});
