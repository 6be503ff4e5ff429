// Admission through a real pilot server and the real kubectl: Pod Security
// (enforce, warn, the warning on labelling a namespace), LimitRanger defaults
// and limits, the ServiceAccount token volume, and a node's identity narrowed
// by the Node authorizer and NodeRestriction.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KUBECTL, Pilot, run } from './helpers/pilot.ts';
import { issueClientCert } from '../src/server/pki.ts';

let pilot: Pilot;
let auditLog: string;
let tmp: string;

before(async () => {
  const dir = tmp = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'pilot-admission-'));
  fs.writeFileSync(path.join(dir, 'policy.yaml'), 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n    resources: [{group: "", resources: ["pods"]}]\n');
  auditLog = path.join(dir, 'audit.log');
  pilot = await new Pilot({ extraArgs: ['--controllers', 'serviceaccount', '--disable-agent', '--disable-scheduler',
    '--audit-policy-file', path.join(dir, 'policy.yaml'), '--audit-log-path', auditLog] }).start();
});
after(async () => {
  await pilot?.dispose();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

/** The ResponseComplete audit event of a pod create. */
function auditedCreate(ns: string, name: string): Record<string, any> | undefined {
  const lines = fs.existsSync(auditLog) ? fs.readFileSync(auditLog, 'utf8').split('\n').filter(Boolean) : [];
  return lines.map((l) => JSON.parse(l)).find((e) => e.stage === 'ResponseComplete' && e.verb === 'create'
    && e.objectRef?.resource === 'pods' && e.objectRef?.namespace === ns && e.objectRef?.name === name);
}

async function eventually<T>(fn: () => Promise<T | undefined>, what: string, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A namespace whose `default` ServiceAccount exists (pods are refused until its controller made it, as upstream). */
async function namespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await pilot.k(['create', 'namespace', name]);
  if (Object.keys(labels).length) await pilot.k(['label', 'namespace', name, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)]);
  await eventually(async () => ((await pilot.kubectl(['get', 'serviceaccount', 'default', '-n', name])).code === 0 ? true : undefined), `default ServiceAccount in ${name}`);
}

const compliantPod = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
  containers:
  - name: c
    image: nginx
    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
`;

const privilegedPod = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  containers:
  - name: c
    image: nginx
    securityContext: {privileged: true}
`;

test('PodSecurity enforce=restricted refuses a plain pod with upstream\'s message and admits a compliant one', async () => {
  await namespace('psa-enforce', { 'pod-security.kubernetes.io/enforce': 'restricted' });
  const r = await pilot.kubectl(['run', 'x', '--image=nginx', '-n', 'psa-enforce']);
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim(), 'Error from server (Forbidden): pods "x" is forbidden: violates PodSecurity "restricted:latest": '
    + 'allowPrivilegeEscalation != false (container "x" must set securityContext.allowPrivilegeEscalation=false), '
    + 'unrestricted capabilities (container "x" must set securityContext.capabilities.drop=["ALL"]), '
    + 'runAsNonRoot != true (pod or container "x" must set securityContext.runAsNonRoot=true), '
    + 'seccompProfile (pod or container "x" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")');
  // The audit event records the policy that refused it.
  const refused = await eventually(async () => auditedCreate('psa-enforce', 'x'), 'audit event of the refused create');
  assert.equal(refused.responseStatus.code, 403);
  assert.equal(refused.annotations['pod-security.kubernetes.io/enforce-policy'], 'restricted:latest');
  const ok = await pilot.kubectl(['apply', '-n', 'psa-enforce', '-f', '-'], { input: compliantPod('good') });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stderr, '', 'no warning for a compliant pod');
  // Workloads are only warned about: a Deployment of plain pods is created.
  const dep = await pilot.kubectl(['create', 'deployment', 'web', '--image=nginx', '-n', 'psa-enforce']);
  assert.equal(dep.code, 0, dep.stderr);
});

test('PodSecurity warn=baseline: a privileged pod is created with a Warning; labelling enforce warns about it', async () => {
  await namespace('psa-warn', { 'pod-security.kubernetes.io/warn': 'baseline', 'pod-security.kubernetes.io/audit': 'baseline' });
  const r = await pilot.kubectl(['apply', '-n', 'psa-warn', '-f', '-'], { input: privilegedPod('priv') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Warning: would violate PodSecurity "baseline:latest": privileged \(container "c" must not set securityContext\.privileged=true\)$/m);
  const audited = await eventually(async () => auditedCreate('psa-warn', 'priv'), 'audit event of the create');
  assert.equal(audited.annotations['pod-security.kubernetes.io/audit-violations'],
    'would violate PodSecurity "baseline:latest": privileged (container "c" must not set securityContext.privileged=true)');
  const label = await pilot.kubectl(['label', 'namespace', 'psa-warn', 'pod-security.kubernetes.io/enforce=baseline']);
  assert.equal(label.code, 0, label.stderr);
  assert.match(label.stderr, /^Warning: existing pods in namespace "psa-warn" violate the new PodSecurity enforce level "baseline:latest"$/m);
  assert.match(label.stderr, /^Warning: priv: privileged$/m);
  // Now enforced.
  const again = await pilot.kubectl(['apply', '-n', 'psa-warn', '-f', '-'], { input: privilegedPod('priv2') });
  assert.notEqual(again.code, 0);
  assert.match(again.stderr, /pods "priv2" is forbidden: violates PodSecurity "baseline:latest": privileged/);
});

test('LimitRanger fills requests and limits, and refuses a pod over the maximum', async () => {
  await namespace('limits');
  await pilot.k(['apply', '-n', 'limits', '-f', '-'], { input: `apiVersion: v1
kind: LimitRange
metadata: {name: lr}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 256Mi}
    defaultRequest: {cpu: 100m, memory: 128Mi}
    max: {cpu: "1"}
` });
  await pilot.k(['run', 'small', '--image=nginx', '-n', 'limits']);
  const pod = await pilot.json(['get', 'pod', 'small', '-n', 'limits']);
  assert.deepEqual(pod.spec.containers[0].resources, { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } });
  assert.equal(pod.metadata.annotations['kubernetes.io/limit-ranger'], 'LimitRanger plugin set: cpu, memory request for container small; cpu, memory limit for container small');
  assert.equal(pod.status.qosClass, 'Burstable');
  const big = await pilot.kubectl(['run', 'big', '--image=nginx', '-n', 'limits', '--overrides', JSON.stringify({ spec: { containers: [{ name: 'big', image: 'nginx', resources: { limits: { cpu: '2' } } }] } })]);
  assert.notEqual(big.code, 0);
  assert.equal(big.stderr.trim(), 'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2');
});

test('pods get the kube-api-access volume unless automount is off; a missing ServiceAccount is refused', async () => {
  await namespace('sa');
  await pilot.k(['run', 'with-token', '--image=nginx', '-n', 'sa']);
  const pod = await pilot.json(['get', 'pod', 'with-token', '-n', 'sa']);
  const vol = pod.spec.volumes.find((v: { name: string }) => v.name.startsWith('kube-api-access-'));
  assert.ok(vol, JSON.stringify(pod.spec.volumes));
  assert.equal(vol.projected.sources[0].serviceAccountToken.expirationSeconds, 3607);
  assert.deepEqual(pod.spec.containers[0].volumeMounts, [{ name: vol.name, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }]);
  await pilot.k(['run', 'no-token', '--image=nginx', '-n', 'sa', '--overrides', '{"spec":{"automountServiceAccountToken":false}}']);
  const bare = await pilot.json(['get', 'pod', 'no-token', '-n', 'sa']);
  assert.equal(bare.spec.volumes, undefined);
  assert.equal(bare.spec.containers[0].volumeMounts, undefined);
  const missing = await pilot.kubectl(['run', 'orphan', '--image=nginx', '-n', 'sa', '--overrides', '{"spec":{"serviceAccountName":"ghost"}}']);
  assert.notEqual(missing.code, 0);
  assert.equal(missing.stderr.trim(), 'Error from server (Forbidden): pods "orphan" is forbidden: error looking up service account sa/ghost: serviceaccount "ghost" not found');
});

test('a node reads only the secrets of pods bound to it and may not modify other nodes', async () => {
  await namespace('nodes');
  for (const n of ['n1', 'n2']) await pilot.k(['apply', '-f', '-'], { input: `apiVersion: v1\nkind: Node\nmetadata: {name: ${n}}\n` });
  await pilot.k(['create', 'secret', 'generic', 'mine', '--from-literal=a=b', '-n', 'nodes']);
  await pilot.k(['create', 'secret', 'generic', 'theirs', '--from-literal=a=b', '-n', 'nodes']);
  await pilot.k(['apply', '-n', 'nodes', '-f', '-'], { input: `apiVersion: v1
kind: Pod
metadata: {name: uses-secret}
spec:
  nodeName: n1
  containers: [{name: c, image: nginx}]
  volumes: [{name: s, secret: {secretName: mine}}]
` });
  const dir = fs.mkdtempSync(path.join(pilot.dataDir, 'node-'));
  const pki = { caCertPem: fs.readFileSync(path.join(pilot.dataDir, 'tls/ca.crt'), 'utf8'), caKeyPem: fs.readFileSync(path.join(pilot.dataDir, 'tls/ca.key'), 'utf8') };
  const cert = await issueClientCert(pki, { cn: 'system:node:n1', orgs: ['system:nodes'] });
  fs.writeFileSync(path.join(dir, 'n1.crt'), cert.certPem);
  fs.writeFileSync(path.join(dir, 'n1.key'), cert.keyPem, { mode: 0o600 });
  const asNode = (args: string[], input?: string) => run(KUBECTL, ['--kubeconfig', '/dev/null', '--server', pilot.url, '--certificate-authority', path.join(pilot.dataDir, 'tls/ca.crt'),
    '--client-certificate', path.join(dir, 'n1.crt'), '--client-key', path.join(dir, 'n1.key'), '--cache-dir', pilot.cacheDir, ...args], { input });

  // The graph follows the pod through a watch: allowed within moments of the binding.
  const got = await eventually(async () => { const r = await asNode(['get', 'secret', 'mine', '-n', 'nodes', '-o', 'name']); return r.code === 0 ? r.stdout.trim() : undefined; }, 'node reads its pod\'s secret');
  assert.equal(got, 'secret/mine');
  const other = await asNode(['get', 'secret', 'theirs', '-n', 'nodes']);
  assert.notEqual(other.code, 0);
  assert.equal(other.stderr.trim(), 'Error from server (Forbidden): secrets "theirs" is forbidden: User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "nodes": '
    + 'no relationship found between node \'n1\' and this object');

  // Evictions and tokens: only for its own pods.
  await pilot.k(['apply', '-n', 'nodes', '-f', '-'], { input: 'apiVersion: v1\nkind: Pod\nmetadata: {name: elsewhere}\nspec:\n  nodeName: n2\n  containers: [{name: c, image: nginx}]\n' });
  const evict = await asNode(['create', '--raw', '/api/v1/namespaces/nodes/pods/elsewhere/eviction', '-f', '-'],
    JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'elsewhere', namespace: 'nodes' } }));
  assert.notEqual(evict.code, 0);
  assert.match(evict.stderr, /node n1 can only evict pods with spec\.nodeName set to itself/);
  const uid = (await pilot.json(['get', 'pod', 'elsewhere', '-n', 'nodes'])).metadata.uid;
  const token = await asNode(['create', 'token', 'default', '-n', 'nodes', '--bound-object-kind=Pod', '--bound-object-name=elsewhere', `--bound-object-uid=${uid}`]);
  assert.notEqual(token.code, 0);
  assert.match(token.stderr, /serviceaccounts "default" is forbidden: node requested token bound to a pod scheduled on a different node/);
  const mineUid = (await pilot.json(['get', 'pod', 'uses-secret', '-n', 'nodes'])).metadata.uid;
  const ownToken = await asNode(['create', 'token', 'default', '-n', 'nodes', '--bound-object-kind=Pod', '--bound-object-name=uses-secret', `--bound-object-uid=${mineUid}`]);
  assert.equal(ownToken.code, 0, ownToken.stderr);

  const patch = await asNode(['label', 'node', 'n2', 'example.com/x=y']);
  assert.notEqual(patch.code, 0);
  assert.equal(patch.stderr.trim(), 'Error from server (Forbidden): nodes "n2" is forbidden: node "n1" is not allowed to modify node "n2"');
  const own = await asNode(['label', 'node', 'n1', 'example.com/x=y']);
  assert.equal(own.code, 0, own.stderr);
  const role = await asNode(['label', 'node', 'n1', 'node-role.kubernetes.io/worker=']);
  assert.notEqual(role.code, 0);
  assert.match(role.stderr, /nodes "n1" is forbidden: is not allowed to modify labels: node-role\.kubernetes\.io\/worker/);
});
