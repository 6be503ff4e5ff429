import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity, parseQuantityStrict, formatQuantity, compareQuantities, milliValue, QUANTITY_FORMAT_ERROR, QUANTITY_SUFFIX_ERROR } from './quantity.ts';

const canonical: [unknown, string][] = [
  ['0', '0'], ['1000m', '1'], ['500m', '500m'], ['0.5', '500m'], ['1.5', '1500m'], ['1500', '1500'], ['2000', '2k'],
  ['1024Mi', '1Gi'], ['1.5Gi', '1536Mi'], ['100Mi', '100Mi'], ['512', '512'], ['0.5Ki', '512'], ['1Ki', '1Ki'],
  ['1e3', '1e3'], ['12e2', '1200'], ['1M', '1M'], ['1000k', '1M'], ['0.1m', '100u'], ['-1', '-1'], ['+2', '2'],
  [1, '1'], [0.25, '250m'], ['100n', '100n'], ['0.0000000001', '1n'], ['1E', '1E'], ['.5', '500m'],
];
for (const [input, want] of canonical) {
  test(`quantity: ${String(input)} -> ${want}`, () => assert.equal(formatQuantity(parseQuantity(input)!), want));
}

test('quantity: errors use upstream wording', () => {
  assert.equal(parseQuantityStrict('abc').error, QUANTITY_FORMAT_ERROR);
  assert.equal(parseQuantityStrict('').error, QUANTITY_FORMAT_ERROR);
  assert.equal(parseQuantityStrict('1Qi').error, QUANTITY_FORMAT_ERROR);
  assert.equal(parseQuantityStrict('1ki').error, QUANTITY_SUFFIX_ERROR);
  assert.equal(QUANTITY_FORMAT_ERROR, "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
});

test('quantity: compare and values', () => {
  assert.equal(compareQuantities(parseQuantity('1')!, parseQuantity('1000m')!), 0);
  assert.equal(compareQuantities(parseQuantity('1Gi')!, parseQuantity('1G')!), 1);
  assert.equal(compareQuantities(parseQuantity('100m')!, parseQuantity('0.2')!), -1);
  assert.equal(milliValue(parseQuantity('1.5')!), 1500n);
  assert.equal(milliValue(parseQuantity('0.0001')!), 1n);
  assert.equal(parseQuantity('2Gi')!.value, 2 * 1024 ** 3);
});
