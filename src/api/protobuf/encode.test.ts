// Round trips of hand-built objects, written in the form Go's encoding/json gives
// them (non-omitempty zero fields present, structs always present), through the
// encoder and back through the decoder; plus the special types one by one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeMessage, decodeProtobufBody, goDuration } from './decode.ts';
import { encodeMessage, encodeProtobufObject, parseGoDuration } from './encode.ts';
import { Reader, Writer, int32Of, int64Of } from './wire.ts';

type Obj = Record<string, unknown>;
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

function roundTrip(obj: Obj): Obj {
  const body = encodeProtobufObject(obj.apiVersion as string, obj.kind as string, obj);
  return decodeProtobufBody(body).object;
}

test('Pod: quantities, probes with IntOrString ports, times, owner refs, managed fields, affinity', () => {
  const pod: Obj = {
    kind: 'Pod', apiVersion: 'v1',
    metadata: {
      name: 'web-0', namespace: 'default', uid: '5f0c6f2e-2d6a-4a4e-9f39-1b6c1a2f3e4d', resourceVersion: '7', generation: 3,
      creationTimestamp: '2024-01-02T03:04:05Z', deletionTimestamp: '2024-01-02T03:05:05Z', deletionGracePeriodSeconds: 30,
      labels: { app: 'web', 'statefulset.kubernetes.io/pod-name': 'web-0' }, annotations: { 'a/b': 'c' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: 'u-1', controller: true, blockOwnerDeletion: false }],
      finalizers: ['example.com/x'],
      managedFields: [{
        manager: 'kubectl', operation: 'Apply', apiVersion: 'v1', time: '2024-01-02T03:04:05Z', fieldsType: 'FieldsV1',
        fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
      }],
    },
    spec: {
      volumes: [
        { name: 'data', emptyDir: { medium: 'Memory', sizeLimit: '64Mi' } },
        { name: 'cfg', configMap: { name: 'c', items: [{ key: 'a', path: 'a.txt', mode: 256 }], defaultMode: 420, optional: false } },
      ],
      containers: [{
        name: 'web', image: 'nginx',
        ports: [{ name: 'http', containerPort: 80, protocol: 'TCP' }],
        env: [{ name: 'A', value: '1' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
        resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '250m', memory: '128Mi', 'nvidia.com/gpu': '1' } },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP', httpHeaders: [{ name: 'X', value: '' }] },
          initialDelaySeconds: 5, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3,
        },
        readinessProbe: { tcpSocket: { port: 'http' }, periodSeconds: 5 },
        startupProbe: { exec: { command: ['true'] }, failureThreshold: 30, terminationGracePeriodSeconds: 0 },
        terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'Always',
        securityContext: { capabilities: { drop: ['ALL'] }, runAsUser: 0, runAsNonRoot: false, allowPrivilegeEscalation: false },
      }],
      restartPolicy: 'Always', terminationGracePeriodSeconds: 30, dnsPolicy: 'ClusterFirst', nodeSelector: { 'kubernetes.io/os': 'linux' },
      serviceAccountName: 'default', serviceAccount: 'default', securityContext: { fsGroup: 2000 },
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }] } } },
      schedulerName: 'default-scheduler',
      tolerations: [{ key: 'k', operator: 'Equal', value: 'v', effect: 'NoExecute', tolerationSeconds: 300 }],
      priority: -5, enableServiceLinks: true, preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2024-01-02T03:04:06Z' }],
      hostIP: '10.0.0.1', podIP: '10.1.0.5', podIPs: [{ ip: '10.1.0.5' }], startTime: '2024-01-02T03:04:05Z',
      containerStatuses: [{
        name: 'web', state: { running: { startedAt: '2024-01-02T03:04:06Z' } }, lastState: {}, ready: true, restartCount: 0,
        image: 'nginx', imageID: 'docker.io/library/nginx@sha256:abc', containerID: 'containerd://x', started: true,
      }],
      qosClass: 'Burstable',
    },
  };
  assert.deepStrictEqual(roundTrip(pod), pod);
});

test('Go zero values: pointers kept at zero, omitempty zeros dropped, structs and non-omitempty zeros filled in', () => {
  const out = roundTrip({
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: { name: 'd', generation: 0 },
    spec: { replicas: 0, paused: false, minReadySeconds: 0, template: { spec: { containers: [{ name: 'c', ports: [{ containerPort: 0 }] }] } } },
  });
  assert.deepStrictEqual(out, {
    kind: 'Deployment', apiVersion: 'apps/v1',
    metadata: { name: 'd', creationTimestamp: null },
    spec: {
      replicas: 0,
      template: { metadata: { creationTimestamp: null }, spec: { containers: [{ name: 'c', ports: [{ containerPort: 0 }], resources: {} }] } },
      strategy: {},
    },
    status: {},
  });
});

test('negative int32 and int64 travel as ten-byte varints', () => {
  const w = new Writer();
  w.int64(-5);
  const b = w.finish();
  assert.equal(b.length, 10);
  const v = new Reader(b).varint();
  assert.equal(int32Of(v), -5);
  assert.equal(int64Of(v), -5);
  const out = roundTrip({ kind: 'PriorityClass', apiVersion: 'scheduling.k8s.io/v1', metadata: { name: 'low', creationTimestamp: null }, value: -2147483648 });
  assert.equal(out.value, -2147483648);
  const big = roundTrip({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', creationTimestamp: null, deletionGracePeriodSeconds: -9007199254740991 }, spec: { containers: null }, status: {} });
  assert.equal((big.metadata as Obj).deletionGracePeriodSeconds, -9007199254740991);
});

test('MicroTime: six fraction digits (Lease, events.k8s.io Event)', () => {
  const lease: Obj = {
    kind: 'Lease', apiVersion: 'coordination.k8s.io/v1', metadata: { name: 'n1', namespace: 'kube-node-lease', creationTimestamp: null },
    spec: { holderIdentity: 'n1', leaseDurationSeconds: 40, acquireTime: '2024-03-04T05:06:07.000000Z', renewTime: '2024-03-04T05:06:47.123456Z', leaseTransitions: 0 },
  };
  assert.deepStrictEqual(roundTrip(lease), lease);
  const ev: Obj = {
    kind: 'Event', apiVersion: 'events.k8s.io/v1', metadata: { name: 'e', namespace: 'default', creationTimestamp: null },
    eventTime: '2024-03-04T05:06:07.654321Z', series: { count: 2, lastObservedTime: '2024-03-04T05:06:08.000001Z' },
    reportingController: 'c', reportingInstance: 'i', action: 'Pulling', reason: 'Pulling',
    regarding: { kind: 'Pod', namespace: 'default', name: 'p' }, note: 'pulling', type: 'Normal',
    deprecatedSource: {}, deprecatedFirstTimestamp: null, deprecatedLastTimestamp: null,
  };
  assert.deepStrictEqual(roundTrip(ev), ev);
});

test('RawExtension carries embedded JSON (ControllerRevision)', () => {
  const cr: Obj = {
    kind: 'ControllerRevision', apiVersion: 'apps/v1', metadata: { name: 'r', creationTimestamp: null },
    data: { spec: { template: { metadata: { labels: { a: 'b' } } } } }, revision: 4,
  };
  assert.deepStrictEqual(roundTrip(cr), cr);
});

test('Duration: Go duration strings', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'], [1n, '1ns'], [1100n, '1.1\u00b5s'], [2_200_000n, '2.2ms'], [3_300_000_000n, '3.3s'],
    [245_000_000_000n, '4m5s'], [245_001_000_000n, '4m5.001s'], [18_367_001_000_000n, '5h6m7.001s'],
    [480_000_000_001n, '8m0.000000001s'], [-1_000_000_000n, '-1s'], [3_600_000_000_000n, '1h0m0s'],
    [9223372036854775807n, '2562047h47m16.854775807s'],
  ];
  for (const [ns, s] of cases) {
    assert.equal(goDuration(ns), s);
    assert.equal(parseGoDuration(s), ns, s);
  }
  assert.equal(parseGoDuration('1.5h'), 5_400_000_000_000n);
  assert.equal(decodeMessage(encodeMessage('1h30m', `${META}.Duration`), `${META}.Duration`), '1h30m0s');
});

test('Time: seconds precision, UTC; the zero time is an empty message and null', () => {
  assert.equal(encodeMessage(null, `${META}.Time`).length, 0);
  assert.equal(decodeMessage(Buffer.alloc(0), `${META}.Time`), null);
  assert.equal(decodeMessage(encodeMessage('2024-01-02T03:04:05+02:00', `${META}.Time`), `${META}.Time`), '2024-01-02T01:04:05Z');
  assert.equal(decodeMessage(encodeMessage('1970-01-01T00:00:00Z', `${META}.Time`), `${META}.Time`), '1970-01-01T00:00:00Z');
});

test('Quantity and IntOrString on their own', () => {
  const q = 'io.k8s.apimachinery.pkg.api.resource.Quantity', ios = 'io.k8s.apimachinery.pkg.util.intstr.IntOrString';
  assert.equal(decodeMessage(encodeMessage('1.5Gi', q), q), '1.5Gi');
  assert.equal(decodeMessage(Buffer.alloc(0), q), '0');
  assert.equal(decodeMessage(encodeMessage(-3, ios), ios), -3);
  assert.equal(decodeMessage(encodeMessage('25%', ios), ios), '25%');
  assert.equal(decodeMessage(Buffer.alloc(0), ios), 0);
});

test('packed repeated scalars and unknown fields are read', () => {
  // ResourceAttributes-free check on a message with a repeated int: none of the
  // stable types has one, so build a NamespaceSpec (finalizers) with an unknown
  // packed field 9 and an unknown varint field 10 around it.
  const w = new Writer();
  w.tag(9, 2); w.bytes(Buffer.from([1, 2, 3]));
  w.tag(1, 2); w.bytes(Buffer.from('kubernetes'));
  w.tag(10, 0); w.uint(7);
  w.tag(11, 5); w.raw(Buffer.from([0, 0, 0, 0]));
  w.tag(12, 1); w.raw(Buffer.alloc(8));
  assert.deepStrictEqual(decodeMessage(w.finish(), 'io.k8s.api.core.v1.NamespaceSpec'), { finalizers: ['kubernetes'] });
});

test('a message field repeated on the wire merges', () => {
  const a = encodeMessage({ name: 'x' }, `${META}.ObjectMeta`);
  const b = encodeMessage({ labels: { k: 'v' } }, `${META}.ObjectMeta`);
  const w = new Writer();
  w.tag(1, 2); w.bytes(a);
  w.tag(1, 2); w.bytes(b);
  const out = decodeMessage(w.finish(), 'io.k8s.api.core.v1.ConfigMap') as Obj;
  // the second occurrence's zero strings overwrite the first's, as Go's merge does for non-pointer scalars
  assert.deepStrictEqual(out.metadata, { creationTimestamp: null, labels: { k: 'v' } });
});
