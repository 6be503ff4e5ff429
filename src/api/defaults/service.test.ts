import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, prepareServiceUpdate } from './index.ts';
import { validateUpdate } from '../validation/index.ts';
import { findByKind } from '../resources.ts';

const SVC = findByKind('v1', 'Service')!;
const EP = findByKind('v1', 'Endpoints')!;
const ES = findByKind('discovery.k8s.io/v1', 'EndpointSlice')!;

const table: [string, any, any][] = [
  ['ClusterIP', { selector: { app: 'a' }, ports: [{ port: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }] }, {
    selector: { app: 'a' }, ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }, { port: 53, protocol: 'UDP', targetPort: 'dns' }],
    sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['NodePort', { type: 'NodePort', ports: [{ port: 80, targetPort: 0 }] }, {
    type: 'NodePort', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['LoadBalancer', { type: 'LoadBalancer', ports: [{ port: 443 }] }, {
    type: 'LoadBalancer', ports: [{ port: 443, protocol: 'TCP', targetPort: 443 }], sessionAffinity: 'None', externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['headless', { clusterIP: 'None', selector: { app: 'a' } }, {
    clusterIP: 'None', clusterIPs: ['None'], selector: { app: 'a' }, sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['ExternalName', { type: 'ExternalName', externalName: 'example.com' }, { type: 'ExternalName', externalName: 'example.com', sessionAffinity: 'None' }],
  ['ClientIP affinity', { sessionAffinity: 'ClientIP', ports: [{ port: 1 }] }, {
    sessionAffinity: 'ClientIP', sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } }, ports: [{ port: 1, protocol: 'TCP', targetPort: 1 }],
    type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['external IPs make it externally accessible', { externalIPs: ['192.0.2.1'], ports: [{ port: 1 }] }, {
    externalIPs: ['192.0.2.1'], ports: [{ port: 1, protocol: 'TCP', targetPort: 1 }], sessionAffinity: 'None', type: 'ClusterIP',
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  }],
  ['IPv6 cluster IP', { clusterIP: 'fd00::10', ports: [{ port: 1 }] }, {
    clusterIP: 'fd00::10', clusterIPs: ['fd00::10'], ports: [{ port: 1, protocol: 'TCP', targetPort: 1 }], sessionAffinity: 'None',
    type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'],
  }],
];
for (const [name, spec, want] of table) {
  test(`defaults: service ${name}`, () => {
    const svc: any = { spec };
    applyDefaults(SVC, svc);
    assert.deepEqual(svc.spec, want);
  });
}

test('defaults: sessionAffinityConfig is dropped for None', () => {
  const svc: any = { spec: { sessionAffinityConfig: { clientIP: { timeoutSeconds: 5 } }, ports: [{ port: 1 }] } };
  applyDefaults(SVC, svc);
  assert.equal(svc.spec.sessionAffinityConfig, undefined);
});

test('defaults: endpoints and endpoint slice ports', () => {
  const ep: any = { subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }] };
  applyDefaults(EP, ep);
  assert.deepEqual(ep.subsets[0].ports, [{ port: 80, protocol: 'TCP' }]);
  const es: any = { addressType: 'IPv4', endpoints: [{ addresses: ['10.0.0.1'] }], ports: [{ port: 80 }] };
  applyDefaults(ES, es);
  assert.deepEqual(es.ports, [{ port: 80, name: '', protocol: 'TCP' }]);
  assert.deepEqual(es.endpoints, [{ addresses: ['10.0.0.1'] }]);
});


const storedSvc = (): any => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default', uid: 'u' },
  spec: { type: 'NodePort', clusterIP: '10.43.0.10', clusterIPs: ['10.43.0.10'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
    ports: [{ name: 'http', port: 80, targetPort: 80, protocol: 'TCP', nodePort: 30080 }], selector: { app: 'a' }, sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster' },
});

const updateTable: [string, (s: any) => void, (s: any) => void][] = [
  ['kept allocated values', (s) => { s.spec = { type: 'NodePort', ports: [{ name: 'http', port: 80 }], selector: { app: 'a' } }; }, (s) => {
    assert.equal(s.spec.clusterIP, '10.43.0.10');
    assert.deepEqual(s.spec.clusterIPs, ['10.43.0.10']);
    assert.equal(s.spec.ports[0].nodePort, 30080);
  }],
  ['NodePort to ClusterIP drops unchanged node ports', (s) => { s.spec.type = 'ClusterIP'; }, (s) => {
    assert.equal(s.spec.ports[0].nodePort, undefined);
    assert.equal(s.spec.externalTrafficPolicy, undefined);
  }],
  ['ClusterIP to ExternalName drops IP fields', (s) => { s.spec.type = 'ExternalName'; s.spec.externalName = 'example.com'; s.spec.ports = []; }, (s) => {
    assert.equal(s.spec.clusterIP, undefined);
    assert.equal(s.spec.clusterIPs, undefined);
    assert.equal(s.spec.ipFamilies, undefined);
    assert.equal(s.spec.ipFamilyPolicy, undefined);
  }],
];
for (const [name, mutate, check] of updateTable) {
  test(`defaults: service update, ${name}`, () => {
    const old = storedSvc();
    const next = structuredClone(old);
    mutate(next);
    prepareServiceUpdate(next, old);
    applyDefaults(SVC, next);
    check(next);
    assert.deepEqual(validateUpdate(SVC, next, old), []);
  });
}
