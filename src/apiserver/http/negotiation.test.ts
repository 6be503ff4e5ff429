import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { decodeBody, negotiateOutput } from './negotiation.ts';

const all = { allowTable: true, allowDiscovery: true, allowPartial: true };

test('kubectl get asks for a Table first and gets one', () => {
  const f = negotiateOutput('application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json', all);
  assert.deepEqual(f, { kind: 'table', version: 'v1' });
  assert.deepEqual(negotiateOutput('application/json;as=Table;v=v1;g=meta.k8s.io,application/json', { ...all, allowTable: false }), { kind: 'json' });
});

test('aggregated discovery, yaml, protobuf fallback', () => {
  assert.deepEqual(negotiateOutput('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json', all), { kind: 'discovery', version: 'v2' });
  assert.deepEqual(negotiateOutput('application/yaml', all), { kind: 'yaml' });
  assert.deepEqual(negotiateOutput('application/vnd.kubernetes.protobuf, */*', all), { kind: 'json' });
  assert.throws(() => negotiateOutput('application/vnd.kubernetes.protobuf', all), (e: unknown) => e instanceof ApiError && e.code === 406);
});

test('bodies: JSON and YAML, with clear errors', () => {
  assert.deepEqual(decodeBody(Buffer.from('a: 1\nb: [x]\n'), 'yaml'), { a: 1, b: ['x'] });
  assert.deepEqual(decodeBody(Buffer.from('{"a":1}'), 'json'), { a: 1 });
  assert.throws(() => decodeBody(Buffer.from('{"a":'), 'json'), (e: unknown) => e instanceof ApiError && e.code === 400);
  assert.throws(() => decodeBody(Buffer.from('a: 1\n---\nb: 2\n'), 'yaml'), (e: unknown) => e instanceof ApiError && e.code === 400);
});
