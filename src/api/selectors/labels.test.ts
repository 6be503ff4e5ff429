import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../base/errors.ts';
import { formatLabels, labelSelectorMatcher, parseLabelSelector, selectorFromSet, selectorToString } from './labels.ts';

function parseError(s: string): string {
  try {
    parseLabelSelector(s);
  } catch (e) {
    assert.ok(e instanceof ApiError);
    assert.equal(e.code, 400);
    assert.equal(e.reason, 'BadRequest');
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to be rejected`);
}

const KEY_RULES = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character "
  + "(e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

void test('parses every operator and renders a canonical string', () => {
  const cases: [string, string][] = [
    ['', ''],
    ['a=b', 'a=b'],
    ['a==b', 'a==b'],
    ['a!=b', 'a!=b'],
    ['tier in (web, api)', 'tier in (api,web)'],
    ['tier notin(x)', 'tier notin (x)'],
    ['a', 'a'],
    ['!a', '!a'],
    [' z = 1 ,  a ', 'a,z=1'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['in in (in, notin)', 'in in (in,notin)'],
    ['k=', 'k='],
    ['n>5,n<10', 'n>5,n<10'],
    ['example.com/role=db', 'example.com/role=db'],
  ];
  for (const [input, want] of cases) assert.equal(parseLabelSelector(input).toString(), want, input);
  assert.equal(parseLabelSelector('').empty, true);
  assert.equal(parseLabelSelector('a').empty, false);
});

void test('matching semantics', () => {
  const m = (sel: string, labels: Record<string, string> | undefined): boolean => parseLabelSelector(sel).matches(labels);
  const l = { app: 'web', tier: 'front', n: '7' };
  assert.equal(m('', undefined), true);
  assert.equal(m('app=web', l), true);
  assert.equal(m('app==web,tier=front', l), true);
  assert.equal(m('app=api', l), false);
  assert.equal(m('app!=api', l), true);
  assert.equal(m('missing!=x', l), true);
  assert.equal(m('tier in (front,back)', l), true);
  assert.equal(m('tier notin (front)', l), false);
  assert.equal(m('missing notin (x)', l), true);
  assert.equal(m('missing in (x)', l), false);
  assert.equal(m('app', l), true);
  assert.equal(m('!app', l), false);
  assert.equal(m('!missing', undefined), true);
  assert.equal(m('n>5', l), true);
  assert.equal(m('n<5', l), false);
  assert.equal(m('app>5', l), false);
  assert.equal(m('k=', { k: '' }), true);
  assert.equal(m('k=', {}), false);
});

void test('exact-match introspection', () => {
  const s = parseLabelSelector('a=1,b in (2),c in (3,4),d!=5');
  assert.equal(s.requiresExactMatch('a'), '1');
  assert.equal(s.requiresExactMatch('b'), '2');
  assert.equal(s.requiresExactMatch('c'), undefined);
  assert.equal(s.requiresExactMatch('d'), undefined);
  assert.equal(s.requiresExactMatch('zz'), undefined);
});

void test('syntax errors carry upstream messages', () => {
  assert.equal(parseError('a in (x'), "unable to parse requirement: found '', expected: ',' or ')'");
  assert.equal(parseError('a in b'), "unable to parse requirement: found 'b' expected: '('");
  assert.equal(parseError('a b'), "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt");
  assert.equal(parseError('a,'), "found '', expected: identifier after ','");
  assert.equal(parseError(',a'), "found ',', expected: !, identifier, or 'end of string'");
  assert.equal(parseError('a=b=c'), "found '=', expected: ',' or 'end of string'");
  assert.equal(parseError('!a=b'), "found '=', expected: ',' or 'end of string'");
  assert.equal(parseError('a=(b'), "unable to parse requirement: found '(', expected: identifier");
  assert.equal(parseError('a>x'), "unable to parse requirement: values[0]: Invalid value: \"x\": for 'Gt', 'Lt' operators, the value must be an integer");
});

void test('invalid keys and values carry upstream validation messages', () => {
  assert.equal(parseError('app:monolith'), `unable to parse requirement: <nil>: Invalid value: "app:monolith": ${KEY_RULES}`);
  assert.equal(parseError('a=b@'), 'unable to parse requirement: values[0][a]: Invalid value: "b@": a valid label must be an empty string or consist of '
    + "alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', "
    + "regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')");
  assert.match(parseError('Example.com/x=y'), /^unable to parse requirement: <nil>: Invalid value: "Example.com\/x": prefix part a lowercase RFC 1123 subdomain must consist of/);
  assert.match(parseError('/x'), /prefix part must be non-empty$/);
  assert.match(parseError('a/b/c=d'), /"a\/b\/c": a qualified name must consist .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/);
  assert.match(parseError(`${'k'.repeat(64)}=v`), /name part must be no more than 63 characters/);
  assert.match(parseError(`k=${'v'.repeat(64)}`), /^unable to parse requirement: values\[0\]\[k\]: Invalid value: "v+": must be no more than 63 characters$/);
});

void test('structured selectors: matchLabels and matchExpressions', () => {
  const m = labelSelectorMatcher({ matchLabels: { app: 'web' }, matchExpressions: [
    { key: 'tier', operator: 'In', values: ['b', 'a'] }, { key: 'canary', operator: 'DoesNotExist' }, { key: 'env', operator: 'Exists' },
    { key: 'zone', operator: 'NotIn', values: ['z1'] }] });
  assert.equal(m.toString(), 'app=web,!canary,env,tier in (a,b),zone notin (z1)');
  assert.equal(m.matches({ app: 'web', tier: 'a', env: 'prod' }), true);
  assert.equal(m.matches({ app: 'web', tier: 'a', env: 'prod', canary: '1' }), false);
  assert.equal(m.matches({ app: 'web', tier: 'c', env: 'prod' }), false);
  assert.equal(m.matches({ app: 'web', tier: 'a', env: 'prod', zone: 'z1' }), false);
});

void test('empty structured selector matches everything, null matches nothing', () => {
  const all = labelSelectorMatcher({});
  assert.equal(all.empty, true);
  assert.equal(all.matches({ a: 'b' }), true);
  assert.equal(all.matches(undefined), true);
  assert.equal(labelSelectorMatcher({ matchLabels: {}, matchExpressions: [] }).empty, true);
  for (const none of [labelSelectorMatcher(null), labelSelectorMatcher(undefined)]) {
    assert.equal(none.empty, false);
    assert.equal(none.matches({}), false);
    assert.equal(none.matches({ a: 'b' }), false);
    assert.equal(none.toString(), '');
  }
});

void test('invalid structured selectors are rejected', () => {
  assert.throws(() => labelSelectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }),
    (e: ApiError) => e.code === 400 && e.message === '"Gt" is not a valid label selector operator');
  assert.throws(() => labelSelectorMatcher({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    (e: ApiError) => e.message === "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty");
  assert.throws(() => labelSelectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }),
    (e: ApiError) => e.message === 'values: Invalid value: []string{"x"}: values set must be empty for exists and does not exist');
  assert.throws(() => labelSelectorMatcher({ matchLabels: { 'bad key': 'v' } }),
    (e: ApiError) => e.message === `key: Invalid value: "bad key": ${KEY_RULES}`);
  assert.throws(() => labelSelectorMatcher({ matchLabels: { 'bad key': 'v!' } }), (e: ApiError) => e.message.startsWith('[key: Invalid value'));
});

void test('selectorToString, formatLabels, selectorFromSet', () => {
  assert.equal(selectorToString({ matchLabels: { b: '2', a: '1' } }), 'a=1,b=2');
  assert.equal(selectorToString({}), '');
  assert.equal(selectorToString(null), '');
  assert.equal(formatLabels({ b: '2', a: '1' }), 'a=1,b=2');
  assert.equal(formatLabels({}), '<none>');
  assert.equal(formatLabels(undefined), '<none>');
  const s = selectorFromSet({ app: 'web' });
  assert.equal(s.matches({ app: 'web', x: 'y' }), true);
  assert.equal(s.matches({ app: 'api' }), false);
  assert.equal(selectorFromSet({}).empty, true);
});
