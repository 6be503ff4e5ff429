import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const svc = (): any => ({
  apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' },
  spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 'https' }] },
});

test('service: valid ClusterIP, NodePort, LoadBalancer, headless and ExternalName services pass', () => {
  expectValid(create(svc()));
  const np = svc(); np.spec.type = 'NodePort'; np.spec.ports[0].nodePort = 30080; expectValid(create(np));
  const lb = svc(); lb.spec.type = 'LoadBalancer'; expectValid(create(lb));
  const headless = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'h', namespace: 'default' }, spec: { clusterIP: 'None', selector: { app: 'x' } } };
  expectValid(create(headless));
  const ext = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.com.' } };
  expectValid(create(ext));
});

const DNS1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

const cases: Case[] = [
  { name: 'name is a DNS-1035 label', mutate: (o) => { o.metadata.name = '1web'; }, field: 'metadata.name', message: `Invalid value: "1web": ${DNS1035}` },
  { name: 'ports required', mutate: (o) => { o.spec.ports = []; }, field: 'spec.ports', message: 'Required value' },
  { name: 'port names required when several', mutate: (o) => { delete o.spec.ports[1].name; }, field: 'spec.ports[1].name', message: 'Required value' },
  { name: 'duplicate port names', mutate: (o) => { o.spec.ports[1].name = 'http'; }, field: 'spec.ports[1].name', message: 'Duplicate value: "http"' },
  { name: 'port range', mutate: (o) => { o.spec.ports[0].port = 0; }, field: 'spec.ports[0].port', message: 'Invalid value: 0: must be between 1 and 65535, inclusive' },
  { name: 'protocol', mutate: (o) => { o.spec.ports[0].protocol = 'HTTP'; }, field: 'spec.ports[0].protocol', message: 'Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"' },
  { name: 'targetPort range', mutate: (o) => { o.spec.ports[0].targetPort = 70000; }, field: 'spec.ports[0].targetPort', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive' },
  { name: 'targetPort name', mutate: (o) => { o.spec.ports[1].targetPort = 'Https'; }, field: 'spec.ports[1].targetPort', message: 'Invalid value: "Https": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)' },
  { name: 'duplicate ports', mutate: (o) => { o.spec.ports[1].port = 80; }, field: 'spec.ports[1]',
    message: 'Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}' },
  { name: 'type', mutate: (o) => { o.spec.type = 'Magic'; }, field: 'spec.type', message: 'Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"' },
  { name: 'nodePort on ClusterIP', mutate: (o) => { o.spec.ports[0].nodePort = 30001; }, field: 'spec.ports[0].nodePort', message: "Forbidden: may not be used when `type` is 'ClusterIP'" },
  { name: 'sessionAffinity', mutate: (o) => { o.spec.sessionAffinity = 'Sticky'; }, field: 'spec.sessionAffinity', message: 'Unsupported value: "Sticky": supported values: "ClientIP", "None"' },
  { name: 'clusterIP', mutate: (o) => { o.spec.clusterIP = '10.0.0.300'; }, field: 'spec.clusterIPs[0]', message: 'Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' },
  { name: 'clusterIPs must match clusterIP', mutate: (o) => { o.spec.clusterIP = '10.43.0.5'; o.spec.clusterIPs = ['10.43.0.6']; }, field: 'spec.clusterIPs', message: 'Invalid value: []string{"10.43.0.6"}: first value must match `clusterIP`' },
  { name: 'headless NodePort', mutate: (o) => { o.spec.type = 'NodePort'; o.spec.clusterIP = 'None'; }, field: 'spec.clusterIPs[0]', message: 'Invalid value: "None": may not be set to \'None\' for NodePort services' },
  { name: 'externalTrafficPolicy on ClusterIP', mutate: (o) => { o.spec.externalTrafficPolicy = 'Local'; }, field: 'spec.externalTrafficPolicy', message: 'Invalid value: "Local": may only be set for externally-accessible services' },
  { name: 'externalIPs', mutate: (o) => { o.spec.externalIPs = ['127.0.0.1']; }, field: 'spec.externalIPs[0]', message: 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)' },
  { name: 'selector labels', mutate: (o) => { o.spec.selector = { app: 'a b' }; }, field: 'spec.selector',
    message: "Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')" },
  { name: 'loadBalancerClass on ClusterIP', mutate: (o) => { o.spec.loadBalancerClass = 'example.com/lb'; }, field: 'spec.loadBalancerClass', message: "Forbidden: may only be used when `type` is 'LoadBalancer'" },
];
for (const c of cases) test(`service: ${c.name}`, () => { const o = svc(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('service: ExternalName needs a name and no cluster IPs', () => {
  const o: any = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'] } };
  const errs = create(o);
  expectError(errs, 'spec.externalName', 'Required value');
  expectError(errs, 'spec.clusterIPs', 'Forbidden: may not be set for ExternalName services');
});

test('service update: cluster IP may not change', () => {
  const old = stored(svc);
  old.spec.clusterIP = '10.43.0.10';
  old.spec.clusterIPs = ['10.43.0.10'];
  const next = structuredClone(old);
  next.spec.clusterIP = '10.43.0.11';
  next.spec.clusterIPs = ['10.43.0.11'];
  expectError(update(next, old), 'spec.clusterIPs[0]', 'Invalid value: []string{"10.43.0.11"}: may not change once set');
});

test('service update: ports may change', () => {
  const old = stored(svc);
  old.spec.clusterIP = '10.43.0.10';
  old.spec.clusterIPs = ['10.43.0.10'];
  const next = structuredClone(old);
  next.spec.ports[0].port = 8081;
  expectValid(update(next, old));
});
