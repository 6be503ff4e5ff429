import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const ep = (): any => ({ apiVersion: 'v1', kind: 'Endpoints', metadata: { name: 'web', namespace: 'default' },
  subsets: [{ addresses: [{ ip: '10.42.0.5', nodeName: 'node-1' }], ports: [{ name: 'http', port: 80 }, { name: 'https', port: 443 }] }] });
const es = (): any => ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: 'web-abc', namespace: 'default' },
  addressType: 'IPv4', endpoints: [{ addresses: ['10.42.0.5'], conditions: { ready: true } }], ports: [{ name: 'http', port: 80 }] });

test('endpoints: valid Endpoints and EndpointSlice pass', () => { expectValid(create(ep())); expectValid(create(es())); });

const cases: [string, () => any, Case][] = [
  ['endpoints', ep, { name: 'bad ip', mutate: (o) => { o.subsets[0].addresses[0].ip = 'x'; }, field: 'subsets[0].addresses[0].ip',
    message: 'Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)' }],
  ['endpoints', ep, { name: 'loopback ip', mutate: (o) => { o.subsets[0].addresses[0].ip = '127.0.0.1'; }, field: 'subsets[0].addresses[0].ip',
    message: 'Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)' }],
  ['endpoints', ep, { name: 'no addresses', mutate: (o) => { o.subsets[0].addresses = []; }, field: 'subsets[0]', message: 'Required value: must specify `addresses` or `notReadyAddresses`' }],
  ['endpoints', ep, { name: 'port names required', mutate: (o) => { delete o.subsets[0].ports[1].name; }, field: 'subsets[0].ports[1].name', message: 'Required value' }],
  ['endpointslice', es, { name: 'addressType required', mutate: (o) => { delete o.addressType; }, field: 'addressType', message: 'Required value' }],
  ['endpointslice', es, { name: 'addressType', mutate: (o) => { o.addressType = 'IPv5'; }, field: 'addressType', message: 'Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"' }],
  ['endpointslice', es, { name: 'no addresses', mutate: (o) => { o.endpoints[0].addresses = []; }, field: 'endpoints[0].addresses', message: 'Required value: must contain at least 1 address' }],
  ['endpointslice', es, { name: 'wrong family', mutate: (o) => { o.endpoints[0].addresses = ['fd00::1']; }, field: 'endpoints[0].addresses[0]', message: 'Invalid value: "fd00::1": must be a valid IPv4 address' }],
  ['endpointslice', es, { name: 'duplicate port names', mutate: (o) => { o.ports.push({ name: 'http', port: 81 }); }, field: 'ports[1].name', message: 'Duplicate value: "http"' }],
  ['endpointslice', es, { name: 'fqdn', mutate: (o) => { o.addressType = 'FQDN'; o.endpoints[0].addresses = ['local']; }, field: 'endpoints[0].addresses[0]',
    message: 'Invalid value: "local": should be a domain with at least two segments separated by dots' }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('endpointslice update: addressType is immutable', () => {
  const old = stored(es);
  const next = structuredClone(old); next.addressType = 'IPv6'; next.endpoints[0].addresses = ['fd00::5'];
  expectError(update(next, old), 'addressType', 'Invalid value: "IPv6": field is immutable');
});
