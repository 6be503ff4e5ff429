// The decoder against request bodies the real kubectl (v1.32) sent: each
// fixtures/NAME.bin was recorded by fixtures/capture.ts, and NAME.json (where the
// command has one) is what the same command prints with --dry-run=client -o json,
// i.e. the object kubectl would have sent as JSON.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { ApiError } from '../../base/errors.ts';
import { decodeProtobufBody, isProtobufContentType } from './decode.ts';
import { encodeProtobufObject } from './encode.ts';
import { COMMANDS } from './fixtures/capture.ts';

type Obj = Record<string, unknown>;
const dir = new URL('./fixtures/', import.meta.url);
const bin = (name: string): Buffer => readFileSync(new URL(`${name}.bin`, dir));
const decode = (name: string): Obj => decodeProtobufBody(bin(name)).object;
const fixtures = readdirSync(dir).filter((f) => f.endsWith('.bin')).map((f) => f.slice(0, -4)).sort();

test('fixtures: there are real kubectl bodies to check', () => {
  assert.ok(fixtures.length >= 20, `only ${fixtures.length} fixtures`);
});

for (const name of fixtures) {
  test(`kubectl ${name}: decodes to the JSON kubectl would send, and re-encodes to the same bytes`, () => {
    const body = bin(name);
    const d = decodeProtobufBody(body);
    assert.equal(d.object.apiVersion, d.apiVersion);
    assert.equal(d.object.kind, d.kind);
    const jsonFile = new URL(`${name}.json`, dir);
    if (existsSync(jsonFile)) assert.deepStrictEqual(d.object, JSON.parse(readFileSync(jsonFile, 'utf8')));
    assert.ok(encodeProtobufObject(d.apiVersion, d.kind, d.object).equals(body), 're-encoded bytes differ');
  });
}

const spec = (o: Obj): Obj => o.spec as Obj;

test('Deployment: replicas 0 is a pointer present on the wire, so it is kept', () => {
  const o = decode('deployment-replicas0');
  assert.equal(o.kind, 'Deployment');
  assert.equal(o.apiVersion, 'apps/v1');
  assert.equal(spec(o).replicas, 0);
  assert.deepEqual(spec(o).strategy, {});
  assert.deepEqual(o.status, {});
  assert.equal((o.metadata as Obj).creationTimestamp, null);
  assert.equal('minReadySeconds' in spec(o), false, 'non-pointer omitempty zero is dropped');
  assert.equal('revisionHistoryLimit' in spec(o), false, 'absent pointer is dropped');
  const d2 = decode('deployment');
  assert.equal(spec(d2).replicas, 2);
  const c = ((spec(spec(d2).template as Obj).containers) as Obj[])[0];
  assert.deepEqual(c.ports, [{ containerPort: 80 }]);
});

test('Secret: bytes values become base64, binary included', () => {
  const o = decode('secret');
  assert.deepEqual(o.data, { a: 'Yg==', bin: Buffer.from([0xff, 0x00, 0x78]).toString('base64') });
  assert.equal(decode('secret-tls-type').type, 'kubernetes.io/basic-auth');
});

test('Service: targetPort as int and as string; clusterIP None; nodePort', () => {
  const ports = (n: string): Obj[] => spec(decode(n)).ports as Obj[];
  assert.deepEqual(ports('service')[0], { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 });
  const np = ports('service-named-port')[0];
  assert.equal(np.targetPort, 'https');
  assert.equal(np.nodePort, 30443);
  assert.equal(spec(decode('service-headless')).clusterIP, 'None');
});

test('ConfigMap: an empty value stays', () => {
  assert.deepEqual(decode('configmap').data, { k: 'v', empty: '' });
});

test('Job and CronJob: nested templates, command, restartPolicy', () => {
  const job = decode('job');
  const pod = spec(spec(job).template as Obj);
  assert.equal(pod.restartPolicy, 'Never');
  assert.deepEqual((pod.containers as Obj[])[0].command, ['sh', '-c', 'echo hi']);
  const cj = decode('cronjob');
  assert.equal(spec(cj).schedule, '*/1 * * * *');
  assert.ok(spec(cj).jobTemplate);
});

test('ResourceQuota: quantities come out as their strings', () => {
  assert.deepEqual(spec(decode('quota')).hard, { pods: '2', 'requests.cpu': '500m', 'requests.memory': '1Gi' });
});

test('PriorityClass: a non-omitempty zero value is kept', () => {
  assert.equal(decode('priorityclass-zero').value, 0);
  const p = decode('priorityclass');
  assert.equal(p.value, 10);
  assert.equal(p.preemptionPolicy, 'Never');
});

test('PodDisruptionBudget: IntOrString as number and as percentage', () => {
  assert.equal(spec(decode('pdb')).minAvailable, 1);
  assert.equal(spec(decode('pdb-percent')).maxUnavailable, '50%');
});

test('TokenRequest: pointer int64 and a nested reference', () => {
  const o = decode('token');
  assert.deepEqual(spec(o), {
    audiences: ['api', 'vault'], expirationSeconds: 3600,
    boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p1', uid: '0b9a1a3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b' },
  });
});

test('kubectl debug node: a Pod with hostPath volume, tolerations and host namespaces', () => {
  const p = spec(decode('debug-node'));
  assert.equal(p.nodeName, 'n1');
  assert.equal(p.hostPID, true);
  assert.deepEqual(p.volumes, [{ name: 'host-root', hostPath: { path: '/' } }]);
  assert.deepEqual(p.tolerations, [{ operator: 'Exists' }]);
  assert.deepEqual((p.containers as Obj[])[0].securityContext, { privileged: true });
});

test('kubectl certificate approve: the PUT carries back what was read, plus the new condition', () => {
  const served = structuredClone(COMMANDS['certificate-approve'].serve!['/apis/certificates.k8s.io/v1/certificatesigningrequests/c1']) as Obj;
  const o = decode('certificate-approve');
  const conds = (o.status as Obj).conditions as Obj[];
  assert.equal(conds.length, 2);
  const approved = conds[1];
  assert.match(String(approved.lastUpdateTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(approved, {
    type: 'Approved', status: 'True', reason: 'KubectlApprove', message: 'This CSR was approved by kubectl certificate approve.',
    lastUpdateTime: approved.lastUpdateTime, lastTransitionTime: null,
  });
  ((served.status as Obj).conditions as Obj[]).push(approved);
  // metadata (uid, resourceVersion, managedFields with FieldsV1 and time), bytes, maps of lists
  assert.deepEqual(o, served);
});

test('a body without the magic prefix is a 400', () => {
  assert.throws(() => decodeProtobufBody(Buffer.from('{"kind":"Pod"}')), (e: unknown) => e instanceof ApiError && e.code === 400 && /expected prefix \[107 56 115 0\]/.test(e.message));
  assert.throws(() => decodeProtobufBody(Buffer.alloc(0)), (e: unknown) => e instanceof ApiError && e.code === 400);
});

test('truncated or garbled bodies are a 400', () => {
  const b = bin('deployment');
  for (const n of [5, 10, 40, b.length - 3]) {
    assert.throws(() => decodeProtobufBody(b.subarray(0, n)), (e: unknown) => e instanceof ApiError && e.code === 400, `cut at ${n}`);
  }
  const bad = Buffer.concat([b.subarray(0, 4), Buffer.from([0x0b])]); // wire type 3 (group)
  assert.throws(() => decodeProtobufBody(bad), (e: unknown) => e instanceof ApiError && e.code === 400);
});

test('an unknown kind is a 400', () => {
  const body = encodeProtobufObject('v1', 'Namespace', { metadata: { name: 'x' } });
  const forged = Buffer.from(body.toString('latin1').replace('Namespace', 'Nomespace'), 'latin1');
  assert.throws(() => decodeProtobufBody(forged), (e: unknown) => e instanceof ApiError && e.code === 400 && /no kind "Nomespace"/.test(e.message));
});

test('isProtobufContentType', () => {
  assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf'), true);
  assert.equal(isProtobufContentType('Application/VND.Kubernetes.Protobuf; charset=binary'), true);
  assert.equal(isProtobufContentType('application/vnd.kubernetes.protobuf;stream=watch'), true);
  assert.equal(isProtobufContentType('application/json'), false);
  assert.equal(isProtobufContentType(undefined), false);
  assert.equal(isProtobufContentType(''), false);
});

test('DeleteOptions under any group-version, and kinds the OpenAPI schema lacks (rbac, networking, certificates)', () => {
  for (const av of ['v1', 'meta.k8s.io/v1', 'apps/v1']) {
    const o = decodeProtobufBody(encodeProtobufObject(av, 'DeleteOptions', { propagationPolicy: 'Foreground', gracePeriodSeconds: 0, preconditions: { uid: 'u' } })).object;
    assert.deepStrictEqual(o, { kind: 'DeleteOptions', apiVersion: av, gracePeriodSeconds: 0, preconditions: { uid: 'u' }, propagationPolicy: 'Foreground' });
  }
  assert.deepStrictEqual((decode('role').rules as Obj[])[0], { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods'] });
  assert.equal(decode('ingress').apiVersion, 'networking.k8s.io/v1');
});
