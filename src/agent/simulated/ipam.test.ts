import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PodAddressPool } from './ipam.ts';

test('pods get the lowest free address from .2, the same one when asked again, and freed ones are reused', () => {
  const p = new PodAddressPool('10.128.3.0/24');
  assert.equal(p.allocate('a'), '10.128.3.2');
  assert.equal(p.allocate('b'), '10.128.3.3');
  assert.equal(p.allocate('a'), '10.128.3.2');
  p.release('a');
  assert.equal(p.allocate('c'), '10.128.3.2');
  assert.equal(p.allocated, 2);
});

test('adopted addresses (after a restart) are not handed out again; foreign ones are ignored', () => {
  const p = new PodAddressPool('10.42.1.0/24');
  p.adopt('old', '10.42.1.2');
  p.adopt('elsewhere', '10.99.0.5');
  assert.equal(p.allocate('new'), '10.42.1.3');
  assert.equal(p.allocated, 2);
});

test('a node pod CIDR replaces the fake range; bad CIDRs are refused', () => {
  const p = new PodAddressPool('10.128.0.0/24');
  p.setCidr('10.42.7.0/24');
  assert.equal(p.allocate('x'), '10.42.7.2');
  assert.throws(() => p.setCidr('fd00::/64'), /unsupported pod CIDR/);
  const small = new PodAddressPool('10.0.0.0/30');
  assert.equal(small.allocate('a'), '10.0.0.2');
  assert.equal(small.allocate('b'), '10.0.0.3');
  assert.equal(small.allocate('c'), '10.0.0.3'); // full: reuses rather than fails (the addresses are fake)
});
