import { test } from 'node:test';
import { create, update, stored, expectError, expectValid, type Case } from './testing.ts';

const cm = () => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: 'b' } });
const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

test('meta: a valid object passes', () => expectValid(create(cm())));

const cases: Case[] = [
  { name: 'no name', mutate: (o) => { delete o.metadata.name; }, field: 'metadata.name', message: 'Required value: name or generateName is required' },
  { name: 'bad name', mutate: (o) => { o.metadata.name = 'Bad_Name'; }, field: 'metadata.name', message: `Invalid value: "Bad_Name": ${SUBDOMAIN}` },
  { name: 'bad generateName', mutate: (o) => { o.metadata.generateName = 'Xy-'; }, field: 'metadata.generateName', message: `Invalid value: "Xy-": ${SUBDOMAIN}` },
  { name: 'no namespace', mutate: (o) => { delete o.metadata.namespace; }, field: 'metadata.namespace', message: 'Required value' },
  { name: 'bad namespace', mutate: (o) => { o.metadata.namespace = 'a.b'; }, field: 'metadata.namespace', message: 'Invalid value: "a.b": must not contain dots' },
  { name: 'bad label key', mutate: (o) => { o.metadata.labels = { '-a': 'b' }; }, field: 'metadata.labels',
    message: "Invalid value: \"-a\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')" },
  { name: 'long label value', mutate: (o) => { o.metadata.labels = { a: 'x'.repeat(64) }; }, field: 'metadata.labels',
    message: `Invalid value: "${'x'.repeat(64)}": must be no more than 63 characters` },
  { name: 'bad annotation key', mutate: (o) => { o.metadata.annotations = { 'a/b/c': 'x' }; }, field: 'metadata.annotations',
    message: "Invalid value: \"a/b/c\": a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" },
  { name: 'annotations too big', mutate: (o) => { o.metadata.annotations = { a: 'x'.repeat(256 * 1024) }; }, field: 'metadata.annotations', message: 'Too long: may not be longer than 262144' },
  { name: 'unqualified finalizer', mutate: (o) => { o.metadata.finalizers = ['foo']; }, field: 'metadata.finalizers',
    message: 'Invalid value: "foo": name is neither a standard finalizer name nor is it fully qualified' },
  { name: 'orphan and foreground', mutate: (o) => { o.metadata.finalizers = ['orphan', 'foregroundDeletion']; }, field: 'metadata.finalizers',
    message: 'Invalid value: []string{"orphan", "foregroundDeletion"}: finalizer orphan and foregroundDeletion cannot be both set' },
  { name: 'owner without uid', mutate: (o) => { o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Pod', name: 'p', uid: '' }]; },
    field: 'metadata.ownerReferences.uid', message: 'Invalid value: "": uid must not be empty' },
  { name: 'owner without version', mutate: (o) => { o.metadata.ownerReferences = [{ apiVersion: 'apps/', kind: 'X', name: 'p', uid: 'u' }]; },
    field: 'metadata.ownerReferences.apiVersion', message: 'Invalid value: "apps/": version must not be empty' },
  { name: 'two controllers', mutate: (o) => {
    o.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'A', name: 'a', uid: '1', controller: true }, { apiVersion: 'v1', kind: 'B', name: 'b', uid: '2', controller: true }];
  }, field: 'metadata.ownerReferences',
  message: 'Invalid value: [{"apiVersion":"v1","kind":"A","name":"a","uid":"1","controller":true},{"apiVersion":"v1","kind":"B","name":"b","uid":"2","controller":true}]: Only one reference can have Controller set to true. Found "true" in references for A/a and B/b' },
];
for (const c of cases) test(`meta: ${c.name}`, () => { const o = cm(); c.mutate(o); expectError(create(o), c.field, c.message); });

test('meta: namespace forbidden on cluster-scoped kinds', () => {
  const o = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', namespace: 'x' } };
  expectError(create(o), 'metadata.namespace', 'Forbidden: not allowed on this type');
});

test('meta: namespace names are DNS labels', () => {
  expectError(create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'My' } }), 'metadata.name', `Invalid value: "My": ${LABEL}`);
});

test('meta: events fall back to path-segment names', () => {
  const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'a/b', namespace: 'default' }, involvedObject: { namespace: 'default' } };
  expectError(create(ev), 'metadata.name', 'Invalid value: "a/b": may not contain \'/\'');
});

const updates: Case[] = [
  { name: 'name', mutate: (o) => { o.metadata.name = 'other'; }, field: 'metadata.name', message: 'Invalid value: "other": field is immutable' },
  { name: 'namespace', mutate: (o) => { o.metadata.namespace = 'other'; }, field: 'metadata.namespace', message: 'Invalid value: "other": field is immutable' },
  { name: 'uid', mutate: (o) => { o.metadata.uid = 'u2'; }, field: 'metadata.uid', message: 'Invalid value: "u2": field is immutable' },
  { name: 'creationTimestamp', mutate: (o) => { o.metadata.creationTimestamp = '2020-01-01T00:00:00Z'; },
    field: 'metadata.creationTimestamp', message: 'Invalid value: "2020-01-01T00:00:00Z": field is immutable' },
];
for (const c of updates) {
  test(`meta update: ${c.name} is immutable`, () => {
    const old = stored(cm);
    old.metadata.uid = 'u1';
    old.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
    const next = structuredClone(old);
    c.mutate(next);
    expectError(update(next, old), c.field, c.message);
  });
}

test('meta update: unchanged object is valid; omitted uid is filled by the server', () => {
  const old = stored(cm);
  old.metadata.uid = 'u1';
  const next = structuredClone(old);
  delete next.metadata.uid;
  expectValid(update(next, old));
});

test('meta update: no new finalizers while deleting', () => {
  const old = stored(cm);
  old.metadata.deletionTimestamp = '2024-01-01T00:00:00Z';
  old.metadata.finalizers = ['example.com/a'];
  const next = structuredClone(old);
  next.metadata.finalizers = ['example.com/a', 'example.com/b'];
  expectError(update(next, old), 'metadata.finalizers', 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}');
});
