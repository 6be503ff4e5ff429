import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { findResource, type ResourceInfo } from '../resources.ts';
import { escapeFieldValue, fieldsOf, parseFieldSelector } from './fields.ts';

const res = (group: string, plural: string): ResourceInfo => findResource(group, 'v1', plural)!;
const pods = res('', 'pods');

function rejects(r: ResourceInfo, s: string): string {
  try {
    parseFieldSelector(r, s);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`);
}

const pod = {
  metadata: { name: 'web-1', namespace: 'prod' },
  spec: { nodeName: 'n1', restartPolicy: 'Always', schedulerName: 'default-scheduler', serviceAccountName: 'default', hostNetwork: true },
  status: { phase: 'Running', podIP: '10.42.0.7', podIPs: [{ ip: '10.42.0.7' }, { ip: 'fd00::7' }], nominatedNodeName: '' },
};

void test('pod fields', () => {
  assert.deepEqual(fieldsOf(pods, pod), {
    'metadata.name': 'web-1', 'metadata.namespace': 'prod',
    'spec.nodeName': 'n1', 'spec.restartPolicy': 'Always', 'spec.schedulerName': 'default-scheduler',
    'spec.serviceAccountName': 'default', 'spec.hostNetwork': 'true', 'status.phase': 'Running',
    'status.podIP': '10.42.0.7', 'status.nominatedNodeName': '',
  });
  assert.equal(fieldsOf(pods, { metadata: { name: 'x' } })['spec.hostNetwork'], 'false');
});

void test('fields of other resources', () => {
  assert.deepEqual(fieldsOf(res('', 'nodes'), { metadata: { name: 'n1' }, spec: { unschedulable: true } }),
    { 'metadata.name': 'n1', 'spec.unschedulable': 'true' });
  assert.deepEqual(fieldsOf(res('', 'namespaces'), { metadata: { name: 'ns' }, status: { phase: 'Terminating' } }),
    { 'metadata.name': 'ns', 'status.phase': 'Terminating' });
  assert.deepEqual(fieldsOf(res('', 'secrets'), { metadata: { name: 's', namespace: 'd' }, type: 'kubernetes.io/tls' }),
    { 'metadata.name': 's', 'metadata.namespace': 'd', type: 'kubernetes.io/tls' });
  assert.deepEqual(fieldsOf(res('', 'services'), { metadata: { name: 's', namespace: 'd' }, spec: { clusterIP: '10.43.0.1', type: 'ClusterIP' } }),
    { 'metadata.name': 's', 'metadata.namespace': 'd', 'spec.clusterIP': '10.43.0.1', 'spec.type': 'ClusterIP' });
  assert.deepEqual(fieldsOf(res('', 'replicationcontrollers'), { metadata: { name: 'r', namespace: 'd' }, status: { replicas: 3 } })['status.replicas'], '3');
  assert.deepEqual(fieldsOf(res('batch', 'jobs'), { metadata: { name: 'j', namespace: 'd' } })['status.successful'], '0');
  assert.deepEqual(fieldsOf(res('apps', 'deployments'), { metadata: { name: 'd', namespace: 'x' }, status: { replicas: 2 } }),
    { 'metadata.name': 'd', 'metadata.namespace': 'x' });
  assert.deepEqual(fieldsOf(res('', 'persistentvolumes'), { metadata: { name: 'pv' } }), { 'metadata.name': 'pv' });
});

void test('core and events.k8s.io events expose the same canonical fields', () => {
  const core = { metadata: { name: 'e', namespace: 'd' }, involvedObject: { kind: 'Pod', namespace: 'd', name: 'web', uid: 'u1', apiVersion: 'v1', resourceVersion: '5', fieldPath: 'spec.containers{a}' },
    reason: 'BackOff', type: 'Warning', reportingComponent: 'kubelet', source: {} };
  const v1 = { metadata: { name: 'e', namespace: 'd' }, regarding: core.involvedObject, reason: 'BackOff', type: 'Warning', reportingController: 'kubelet' };
  const want = {
    'metadata.name': 'e', 'metadata.namespace': 'd', 'involvedObject.kind': 'Pod', 'involvedObject.namespace': 'd', 'involvedObject.name': 'web',
    'involvedObject.uid': 'u1', 'involvedObject.apiVersion': 'v1', 'involvedObject.resourceVersion': '5', 'involvedObject.fieldPath': 'spec.containers{a}',
    reason: 'BackOff', reportingComponent: 'kubelet', source: 'kubelet', type: 'Warning',
  };
  assert.deepEqual(fieldsOf(res('', 'events'), core), want);
  assert.deepEqual(fieldsOf(res('events.k8s.io', 'events'), v1), want);
  assert.equal(fieldsOf(res('', 'events'), { ...core, source: { component: 'sched' } }).source, 'sched');

  const sel = parseFieldSelector(res('events.k8s.io', 'events'), 'regarding.name=web,reportingController=kubelet');
  assert.deepEqual(sel.exact, { 'involvedObject.name': 'web', reportingComponent: 'kubelet' });
  assert.equal(sel.matches(v1), true);
  assert.equal(parseFieldSelector(res('', 'events'), 'involvedObject.name=web,type=Warning').matches(core), true);
  assert.equal(rejects(res('events.k8s.io', 'events'), 'involvedObject.name=web'), 'field label not supported: involvedObject.name');
});

void test('parsing and matching: =, ==, !=, AND, empty', () => {
  const m = (s: string): boolean => parseFieldSelector(pods, s).matches(pod);
  assert.equal(m(''), true);
  assert.equal(parseFieldSelector(pods, '').empty, true);
  assert.equal(m('metadata.name=web-1'), true);
  assert.equal(m('metadata.name==web-1'), true);
  assert.equal(m('metadata.name!=web-1'), false);
  assert.equal(m('spec.nodeName=n1,status.phase=Running'), true);
  assert.equal(m('spec.nodeName=n1,status.phase!=Running'), false);
  assert.equal(m('status.nominatedNodeName='), true);
  assert.equal(m('spec.nodeName='), false);
  assert.equal(m('spec.host=n1'), true);
  assert.equal(m(',metadata.namespace=prod,'), true);
  assert.equal(m('spec.hostNetwork=true'), true);
  // Accepted but never exposed: only "" matches, like upstream.
  assert.equal(m('status.podIPs=10.42.0.7'), false);
  assert.equal(m('status.podIPs!=10.42.0.7'), true);
});

void test('exact requirements and canonical string', () => {
  const s = parseFieldSelector(pods, 'spec.host=n1,metadata.name=a,status.phase!=Failed');
  assert.deepEqual(s.exact, { 'metadata.name': 'a', 'spec.nodeName': 'n1' });
  assert.equal(s.toString(), 'metadata.name=a,spec.nodeName=n1,status.phase!=Failed');
});

void test('escaped values', () => {
  const cm = res('', 'configmaps');
  const weird = { metadata: { name: 'a,b=c\\d', namespace: 'x' } };
  assert.equal(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  const s = parseFieldSelector(cm, `metadata.name=${escapeFieldValue('a,b=c\\d')}`);
  assert.deepEqual(s.exact, { 'metadata.name': 'a,b=c\\d' });
  assert.equal(s.matches(weird), true);
  assert.equal(rejects(cm, 'metadata.name=a\\x'), 'invalid field selector: invalid escape sequence: \\x');
  assert.equal(rejects(cm, 'metadata.name=a\\'), 'invalid field selector: invalid escape sequence: \\');
  assert.equal(rejects(cm, 'metadata.name=a=b'), 'invalid field selector: unescaped character in value: 61');
});

void test('syntax errors', () => {
  assert.equal(rejects(pods, 'metadata.name'), "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
  assert.equal(rejects(pods, 'status.phase=Running,bogus'), "invalid selector: 'status.phase=Running,bogus'; can't understand 'bogus'");
});

void test('unsupported fields use the message of the kind', () => {
  assert.equal(rejects(pods, 'spec.foo=x'), 'field label not supported: spec.foo');
  assert.equal(rejects(res('', 'nodes'), 'metadata.namespace=x'), 'field label not supported: metadata.namespace');
  assert.equal(rejects(res('', 'namespaces'), 'metadata.namespace=x'), 'field label not supported: metadata.namespace');
  assert.equal(rejects(res('batch', 'jobs'), 'status.active=1'), 'field label "status.active" not supported for Job');
  assert.equal(rejects(res('apps', 'deployments'), 'status.replicas=1'),
    '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"');
  assert.equal(parseFieldSelector(res('batch', 'jobs'), 'status.successful=0').matches({ metadata: { name: 'j' } }), true);
  assert.equal(parseFieldSelector(res('', 'nodes'), 'spec.unschedulable=false').matches({ metadata: { name: 'n' } }), true);
  // Cluster-scoped kinds on the default rules accept metadata.namespace but never expose it.
  assert.equal(parseFieldSelector(res('', 'persistentvolumes'), 'metadata.namespace=').matches({ metadata: { name: 'pv' } }), true);
});
