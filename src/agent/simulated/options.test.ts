import assert from 'node:assert/strict';
import { test } from 'node:test';
import { goDurationMs, parseKeyValues, parseTaints } from './options.ts';

test('parseKeyValues reads k=v lists and refuses items without a key', () => {
  assert.deepEqual(parseKeyValues('a=1, topology.kubernetes.io/zone=z1,empty='), { a: '1', 'topology.kubernetes.io/zone': 'z1', empty: '' });
  assert.deepEqual(parseKeyValues(''), {});
  assert.throws(() => parseKeyValues('novalue'), /invalid label "novalue": want key=value/);
  assert.throws(() => parseKeyValues('=x'), /invalid label/);
});

test('parseTaints reads kubelet --register-with-taints syntax', () => {
  assert.deepEqual(parseTaints('dedicated=gpu:NoSchedule,spot:PreferNoSchedule,k=v:NoExecute'), [
    { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' },
    { key: 'spot', effect: 'PreferNoSchedule' },
    { key: 'k', value: 'v', effect: 'NoExecute' },
  ]);
  assert.deepEqual(parseTaints(''), []);
  assert.throws(() => parseTaints('a=b'), /want key\[=value\]:Effect/);
  assert.throws(() => parseTaints('a=b:Sometimes'), /invalid taint effect "Sometimes"/);
  assert.throws(() => parseTaints('=b:NoSchedule'), /empty key/);
});

test('goDurationMs reads Go durations and rejects the rest', () => {
  assert.equal(goDurationMs('5s'), 5000);
  assert.equal(goDurationMs('1m30s'), 90_000);
  assert.equal(goDurationMs('250ms'), 250);
  assert.equal(goDurationMs('0'), 0);
  assert.equal(goDurationMs('5'), undefined);
  assert.equal(goDurationMs('soon'), undefined);
});
