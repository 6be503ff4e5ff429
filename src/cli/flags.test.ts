import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBool, parseDuration, parseList } from './flags.ts';

test('parseDuration takes Go durations and bare seconds', () => {
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5h'), 5_400_000);
  assert.equal(parseDuration('3'), 3000);
  for (const bad of ['', 's', '10x', '1s2', '-1s']) assert.throws(() => parseDuration(bad), /invalid duration/);
});

test('parseBool is Go\'s ParseBool; no value is true', () => {
  assert.equal(parseBool(undefined), true);
  assert.equal(parseBool('false'), false);
  assert.equal(parseBool('1'), true);
  assert.throws(() => parseBool('yes'), /invalid boolean/);
});

test('parseList splits on commas', () => {
  assert.deepEqual(parseList('*, -namespace,,'), ['*', '-namespace']);
  assert.deepEqual(parseList(''), []);
});
