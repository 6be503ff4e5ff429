import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dns1123LabelErrors, dns1123SubdomainErrors, dns1035LabelErrors, qualifiedNameErrors, labelValueErrors, configMapKeyErrors,
  envVarNameErrors, portNameErrors, isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue, nameIsDNSSubdomain,
  pathSegmentNameErrors, isIPv4, isIPv6,
} from './names.ts';

const LABEL = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const SUBDOMAIN = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035 = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const QNAME = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LVALUE = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

const table: [string, () => string[], string[]][] = [
  ['label ok', () => dns1123LabelErrors('my-name'), []],
  ['label upper', () => dns1123LabelErrors('My'), [LABEL]],
  ['label dots', () => dns1123LabelErrors('a.b'), ['must not contain dots']],
  ['label long', () => dns1123LabelErrors('a'.repeat(64)), ['must be no more than 63 characters']],
  ['subdomain ok', () => dns1123SubdomainErrors('example.com'), []],
  ['subdomain bad', () => dns1123SubdomainErrors('Example'), [SUBDOMAIN]],
  ['subdomain long', () => dns1123SubdomainErrors('a'.repeat(254)), ['must be no more than 253 characters']],
  ['1035 digit start', () => dns1035LabelErrors('1abc'), [DNS1035]],
  ['qname ok', () => qualifiedNameErrors('example.com/My_name'), []],
  ['qname bad name', () => qualifiedNameErrors('-x'), [QNAME]],
  ['qname empty prefix', () => qualifiedNameErrors('/x'), ['prefix part must be non-empty']],
  ['qname bad prefix', () => qualifiedNameErrors('Foo/x'), [`prefix part ${SUBDOMAIN}`]],
  ['qname empty name', () => qualifiedNameErrors('a.com/'), ['name part must be non-empty', QNAME]],
  ['qname long', () => qualifiedNameErrors('a'.repeat(64)), ['name part must be no more than 63 characters']],
  ['qname two slashes', () => qualifiedNameErrors('a/b/c'), ["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]],
  ['label value empty ok', () => labelValueErrors(''), []],
  ['label value bad', () => labelValueErrors('a b'), [LVALUE]],
  ['label value long', () => labelValueErrors('a'.repeat(64)), ['must be no more than 63 characters']],
  ['config key', () => configMapKeyErrors('a/b'), ["a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"]],
  ['config key dotdot', () => configMapKeyErrors('..a'), ["must not start with '..'"]],
  ['env name', () => envVarNameErrors('1A'), ["a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')"]],
  ['port name', () => portNameErrors('A--'), ['must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)', 'must contain at least one letter (a-z)', 'must not contain consecutive hyphens', 'must not begin or end with a hyphen']],
  ['port name long', () => portNameErrors('abcdefghijklmnop'), ['must be no more than 15 characters']],
  ['generateName trailing dash', () => nameIsDNSSubdomain('web-', true), []],
  ['path segment', () => pathSegmentNameErrors('a/b%'), ["may not contain '/'", "may not contain '%'"]],
  ['path segment dot', () => pathSegmentNameErrors('..'), ["may not be '..'"]],
];

for (const [name, fn, want] of table) test(`names: ${name}`, () => assert.deepEqual(fn(), want));

test('names: boolean helpers', () => {
  assert.equal(isDNS1123Label('abc'), true);
  assert.equal(isDNS1123Label('a.b'), false);
  assert.equal(isDNS1123Subdomain('a.b'), true);
  assert.equal(isQualifiedName('app.kubernetes.io/name'), true);
  assert.equal(isValidLabelValue('x y'), false);
});

test('names: IP parsing', () => {
  for (const ip of ['10.0.0.1', '010.0.0.1', '255.255.255.255']) assert.equal(isIPv4(ip), true, ip);
  for (const ip of ['256.0.0.1', '1.2.3', 'a.b.c.d']) assert.equal(isIPv4(ip), false, ip);
  for (const ip of ['::1', '2001:db8::ffff', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8']) assert.equal(isIPv6(ip), true, ip);
  for (const ip of ['1:2:3:4:5:6:7:8:9', '1::2::3', 'g::1']) assert.equal(isIPv6(ip), false, ip);
});
