import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SchemaNode } from '../schema/types.ts';
import { schemaFor } from '../schema/index.ts';
import { pathString } from './fieldpath.ts';
import { compare, merge, toFieldSet, validateApplied } from './typed.ts';

const str: SchemaNode = { type: 'string' };
const schema: SchemaNode = {
  type: 'object',
  properties: {
    labels: { type: 'object', additionalProperties: str },
    selector: { type: 'object', properties: { m: { type: 'object', additionalProperties: str } }, mapType: 'atomic' },
    args: { type: 'array', items: str },
    finalizers: { type: 'array', items: str, listType: 'set' },
    items: {
      type: 'array', listType: 'map', listMapKeys: ['name'],
      items: { type: 'object', properties: { name: str, v: str, sub: { type: 'object', properties: { a: str } } } },
    },
    ports: {
      type: 'array', listType: 'map', listMapKeys: ['port', 'protocol'],
      items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
    },
    empty: { type: 'object', properties: { a: str } },
  },
};

const paths = (s: { paths(): unknown[] }): string[] => (s.paths() as never[]).map(pathString);

test('toFieldSet lists leaves, items, atomic values and empty structs', () => {
  const s = toFieldSet({
    labels: { app: 'x' }, selector: { m: { a: 'b' } }, args: ['1'], finalizers: ['f'],
    items: [{ name: 'a', sub: { a: '1' } }], ports: [{ port: 80 }], empty: {},
  }, schema);
  assert.deepEqual(paths(s).sort(), [
    '.args', '.empty', '.finalizers[="f"]', '.items[name="a"]', '.items[name="a"].name', '.items[name="a"].sub.a',
    '.labels.app', '.ports[port=80,protocol="TCP"]', '.ports[port=80,protocol="TCP"].port', '.selector',
  ]);
});

test('compare reports added subtrees node by node, modified leaves, removed items', () => {
  const c = compare(
    { labels: { a: '1' }, items: [{ name: 'a', v: '1' }, { name: 'b' }] },
    { labels: { a: '2' }, items: [{ name: 'a', v: '1', sub: { a: 'x' } }], args: ['z'] },
    schema,
  );
  assert.deepEqual(paths(c.modified), ['.labels.a']);
  assert.deepEqual(paths(c.added).sort(), ['.args', '.items[name="a"].sub', '.items[name="a"].sub.a']);
  assert.deepEqual(paths(c.removed).sort(), ['.items[name="b"]', '.items[name="b"].name']);
});

test('merge: list-map items merge by key, applied order wins, live-only items keep their place', () => {
  const live = { items: [{ name: 'a', v: '1' }, { name: 'x', v: 'live' }, { name: 'b', v: '2' }], labels: { keep: 'y' } };
  const out = merge(live, { items: [{ name: 'b', v: '3' }, { name: 'a' }, { name: 'c' }], labels: { n: 'z' } }, schema) as typeof live;
  assert.deepEqual(out.items, [{ name: 'x', v: 'live' }, { name: 'b', v: '3' }, { name: 'a', v: '1' }, { name: 'c' }]);
  assert.deepEqual(out.labels, { keep: 'y', n: 'z' });
});

test('merge: atomic values are replaced, applied null unsets', () => {
  const out = merge({ selector: { m: { a: '1', b: '2' } }, args: ['1', '2'], labels: { a: '1' } },
    { selector: { m: { c: '3' } }, args: ['3'], labels: { a: null } }, schema);
  assert.deepEqual(out, { selector: { m: { c: '3' } }, args: ['3'], labels: {} });
});

test('validation of an applied configuration uses structured-merge-diff wording', () => {
  assert.deepEqual(validateApplied({ nope: 1, items: [{ name: 'a' }, { name: 'a' }], ports: [{ protocol: 'UDP' }] }, schema), [
    '.nope: field not declared in schema',
    '.items: duplicate entries for key [name="a"]',
    '.ports: element 0: associative list with keys has an element that omits key field "port" (and doesn\'t have default value)',
  ]);
  assert.deepEqual(validateApplied({ labels: 'x', items: {} }, schema), ['.labels: expected map, got "x"', '.items: expected list, got {}']);
  const deploy = schemaFor('apps/v1', 'Deployment');
  assert.deepEqual(validateApplied({
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' },
    spec: { template: { spec: { containers: [{ name: 'app', env: [{ name: 'foo', value: 'x' }, { name: 'foo', value: 'y' }] }] } } },
  }, deploy), ['.spec.template.spec.containers[name="app"].env: duplicate entries for key [name="foo"]']);
});
