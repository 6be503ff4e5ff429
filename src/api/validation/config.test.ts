import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const cm = (): any => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { 'app.properties': 'a=b' } });
const secret = (): any => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: b64('x') } });
const sa = (): any => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder', namespace: 'default' } });
const KEY = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

test('config: valid objects pass', () => {
  for (const f of [cm, secret, sa]) expectValid(create(f()));
  const tls = secret(); tls.type = 'kubernetes.io/tls'; tls.data = { 'tls.crt': b64('c'), 'tls.key': b64('k') }; expectValid(create(tls));
  const dj = secret(); dj.type = 'kubernetes.io/dockerconfigjson'; dj.data = { '.dockerconfigjson': b64('{"auths":{}}') }; expectValid(create(dj));
});

const cases: [string, () => any, Case][] = [
  ['configmap', cm, { name: 'bad key', mutate: (o) => { o.data['a b'] = 'x'; }, field: 'data[a b]', message: `Invalid value: "a b": ${KEY}` }],
  ['configmap', cm, { name: 'duplicate key in binaryData', mutate: (o) => { o.binaryData = { 'app.properties': b64('x') }; }, field: 'data[app.properties]',
    message: 'Invalid value: "app.properties": duplicate of key present in binaryData' }],
  ['configmap', cm, { name: 'too big', mutate: (o) => { o.data.big = 'x'.repeat(1024 * 1024 + 1); }, field: '', message: 'Too long: may not be longer than 1048576' }],
  ['secret', secret, { name: 'bad key', mutate: (o) => { o.data['a/b'] = b64('x'); }, field: 'data[a/b]', message: `Invalid value: "a/b": ${KEY}` }],
  ['secret', secret, { name: 'too big', mutate: (o) => { o.data.big = b64('x'.repeat(1024 * 1024)); }, field: 'data', message: 'Too long: may not be longer than 1048576' }],
  ['secret', secret, { name: 'service account token needs annotation', mutate: (o) => { o.type = 'kubernetes.io/service-account-token'; },
    field: 'metadata.annotations[kubernetes.io/service-account.name]', message: 'Required value' }],
  ['secret', secret, { name: 'dockerconfigjson needs key', mutate: (o) => { o.type = 'kubernetes.io/dockerconfigjson'; }, field: 'data[.dockerconfigjson]', message: 'Required value' }],
  ['secret', secret, { name: 'tls needs cert', mutate: (o) => { o.type = 'kubernetes.io/tls'; o.data = { 'tls.key': b64('k') }; }, field: 'data[tls.crt]', message: 'Required value' }],
  ['secret', secret, { name: 'basic auth', mutate: (o) => { o.type = 'kubernetes.io/basic-auth'; o.data = {}; }, field: 'data[username]', message: 'Required value' }],
  ['secret', secret, { name: 'ssh auth', mutate: (o) => { o.type = 'kubernetes.io/ssh-auth'; }, field: 'data[ssh-privatekey]', message: 'Required value' }],
  ['serviceaccount', sa, { name: 'bad name', mutate: (o) => { o.metadata.name = 'Builder'; }, field: 'metadata.name',
    message: "Invalid value: \"Builder\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')" }],
];
for (const [kind, base, c] of cases) test(`${kind}: ${c.name}`, () => { const o = base(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('secret: stringData is folded into data before validation', () => {
  const o = secret(); o.stringData = { 'bad key': 'x' };
  expectError(create(o), 'data[bad key]', `Invalid value: "bad key": ${KEY}`);
});

const MSG = 'Forbidden: field is immutable when `immutable` is set';
test('configmap update: immutable configmaps keep their data', () => {
  const old = stored(cm); old.immutable = true;
  const next = structuredClone(old); next.data['app.properties'] = 'changed';
  expectError(update(next, old), 'data', MSG);
  const unset = structuredClone(old); unset.immutable = false;
  expectError(update(unset, old), 'immutable', MSG);
  const labels = structuredClone(old); labels.metadata.labels = { a: 'b' };
  expectValid(update(labels, old));
});
test('secret update: type is immutable, immutable secrets keep their data', () => {
  const old = stored(secret);
  const next = structuredClone(old); next.type = 'kubernetes.io/basic-auth'; next.data = { username: b64('u') };
  expectError(update(next, old), 'type', 'Invalid value: "kubernetes.io/basic-auth": field is immutable');
  old.immutable = true;
  const data = structuredClone(old); data.data = { password: b64('y') };
  expectError(update(data, old), 'data', MSG);
});
