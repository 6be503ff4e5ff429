import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, imageTag } from './index.ts';
import { findByKind } from '../resources.ts';

const POD = findByKind('v1', 'Pod')!;
const PT = findByKind('v1', 'PodTemplate')!;

const specDefaults = { dnsPolicy: 'ClusterFirst', restartPolicy: 'Always', securityContext: {}, terminationGracePeriodSeconds: 30, schedulerName: 'default-scheduler' };
const containerDefaults = { terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', resources: {} };

test('defaults: a minimal pod gets what upstream fills in', () => {
  const pod: any = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  applyDefaults(POD, pod);
  assert.deepEqual(pod.spec, {
    containers: [{ name: 'c', image: 'nginx', imagePullPolicy: 'Always', ...containerDefaults }],
    ...specDefaults, enableServiceLinks: true, priority: 0, preemptionPolicy: 'PreemptLowerPriority',
  });
});

test('defaults: imagePullPolicy follows the tag', () => {
  const table: [string, string][] = [
    ['nginx', 'Always'], ['nginx:latest', 'Always'], ['nginx:1.25', 'IfNotPresent'], ['registry:5000/team/app', 'Always'],
    ['registry:5000/team/app:v1', 'IfNotPresent'], ['nginx@sha256:' + 'a'.repeat(64), 'IfNotPresent'], ['nginx:latest@sha256:' + 'a'.repeat(64), 'Always'],
    ['Bad/Image', 'IfNotPresent'], ['', 'IfNotPresent'],
  ];
  for (const [image, want] of table) {
    const pod: any = { spec: { containers: [{ name: 'c', image }] } };
    applyDefaults(POD, pod);
    assert.equal(pod.spec.containers[0].imagePullPolicy, want, image);
  }
  assert.equal(imageTag('localhost/app'), 'latest');
});

test('defaults: ports, probes, env, lifecycle and resources', () => {
  const pod: any = { spec: { containers: [{
    name: 'c', image: 'app:1', ports: [{ containerPort: 80 }, { containerPort: 53, protocol: 'UDP' }],
    livenessProbe: { httpGet: { port: 80 } }, readinessProbe: { grpc: { port: 9000 }, periodSeconds: 5 }, startupProbe: { exec: { command: ['true'] } },
    lifecycle: { preStop: { httpGet: { port: 80, path: '/stop' } } },
    env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory' } } }],
    resources: { limits: { cpu: '1000m', memory: '1024Mi' }, requests: { cpu: 0.5 } },
  }] } };
  applyDefaults(POD, pod);
  const c = pod.spec.containers[0];
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }, { containerPort: 53, protocol: 'UDP' }]);
  assert.deepEqual(c.livenessProbe, { httpGet: { port: 80, path: '/', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.readinessProbe, { grpc: { port: 9000, service: '' }, periodSeconds: 5, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.startupProbe, { exec: { command: ['true'] }, timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3 });
  assert.deepEqual(c.lifecycle.preStop.httpGet, { port: 80, path: '/stop', scheme: 'HTTP' });
  assert.deepEqual(c.env[0].valueFrom.fieldRef, { fieldPath: 'spec.nodeName', apiVersion: 'v1' });
  assert.deepEqual(c.env[1].valueFrom.resourceFieldRef, { resource: 'limits.memory', divisor: '0' });
  // requests default to limits on pods, and quantities come back canonical
  assert.deepEqual(c.resources, { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } });
});

test('defaults: volumes', () => {
  const pod: any = { spec: { containers: [], volumes: [
    { name: 'a' }, { name: 'b', secret: { secretName: 's' } }, { name: 'c', configMap: { name: 'c', defaultMode: 256 } },
    { name: 'd', hostPath: { path: '/x' } }, { name: 'e', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
    { name: 'f', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } }, { name: 'g', emptyDir: { sizeLimit: '1024Mi' } },
    { name: 'h', ephemeral: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } } } },
  ] } };
  applyDefaults(POD, pod);
  assert.deepEqual(pod.spec.volumes, [
    { name: 'a', emptyDir: {} },
    { name: 'b', secret: { secretName: 's', defaultMode: 420 } },
    { name: 'c', configMap: { name: 'c', defaultMode: 256 } },
    { name: 'd', hostPath: { path: '/x', type: '' } },
    { name: 'e', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name', apiVersion: 'v1' } }], defaultMode: 420 } },
    { name: 'f', projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }], defaultMode: 420 } },
    { name: 'g', emptyDir: { sizeLimit: '1Gi' } },
    { name: 'h', ephemeral: { volumeClaimTemplate: { metadata: { creationTimestamp: null },
      spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } }, volumeMode: 'Filesystem' } } } },
  ]);
});

test('defaults: pod-only defaults do not apply to templates', () => {
  const pt: any = { template: { spec: { containers: [{ name: 'c', image: 'x:1', resources: { limits: { cpu: '1' } } }] } } };
  applyDefaults(PT, pt);
  assert.deepEqual(pt.template, {
    metadata: { creationTimestamp: null },
    spec: { containers: [{ name: 'c', image: 'x:1', imagePullPolicy: 'IfNotPresent', terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File', resources: { limits: { cpu: '1' } } }], ...specDefaults },
  });
});

test('defaults: host network pods publish container ports on the host', () => {
  const pod: any = { spec: { hostNetwork: true, containers: [{ name: 'c', image: 'x:1', ports: [{ containerPort: 8080 }] }] } };
  applyDefaults(POD, pod);
  assert.equal(pod.spec.containers[0].ports[0].hostPort, 8080);
});

test('defaults: explicit values and priority classes are left alone; defaulting twice changes nothing', () => {
  const pod: any = { spec: { priorityClassName: 'high', restartPolicy: 'Never', dnsPolicy: 'Default', terminationGracePeriodSeconds: 0,
    enableServiceLinks: false, containers: [{ name: 'c', image: 'x', imagePullPolicy: 'Never' }] } };
  applyDefaults(POD, pod);
  assert.equal(pod.spec.priority, undefined);
  assert.equal(pod.spec.restartPolicy, 'Never');
  assert.equal(pod.spec.dnsPolicy, 'Default');
  assert.equal(pod.spec.terminationGracePeriodSeconds, 0);
  assert.equal(pod.spec.enableServiceLinks, false);
  assert.equal(pod.spec.containers[0].imagePullPolicy, 'Never');
  const again = structuredClone(pod);
  applyDefaults(POD, again);
  assert.deepEqual(again, pod);
});
