import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareKeys, listStart, prefixEnd } from './keys.ts';

const bytes = (s: string) => Buffer.from(s, 'utf8');

void describe('compareKeys', () => {
  void it('agrees with UTF-8 byte order, including astral characters', () => {
    const keys = ['/a', '/a/', '/b', '/\uffff', '/\u{1f600}', '/\ue000', '/é', '', '/a\u0000'];
    const ours = [...keys].sort(compareKeys);
    const byBytes = [...keys].sort((a, b) => Buffer.compare(bytes(a), bytes(b)));
    assert.deepEqual(ours, byBytes);
  });
});

void describe('prefixEnd', () => {
  void it('bounds exactly the keys with the prefix', () => {
    assert.equal(prefixEnd('/registry/pods/'), '/registry/pods0');
    assert.equal(prefixEnd(''), undefined);
    assert.equal(prefixEnd('a\u{10ffff}'), 'b');
    assert.equal(prefixEnd('\ud7ff'), '\ue000');
    const end = prefixEnd('/registry/pods/')!;
    assert.ok(compareKeys('/registry/pods/\u{10ffff}', end) < 0);
    assert.ok(compareKeys('/registry/podsx', end) > 0);
  });
});

void describe('listStart', () => {
  void it('starts after continueAfter only when it is not before the prefix', () => {
    assert.deepEqual(listStart('/p/', '/p/a'), { key: '/p/a', inclusive: false });
    assert.deepEqual(listStart('/p/', '/a'), { key: '/p/', inclusive: true });
    assert.deepEqual(listStart('/p/'), { key: '/p/', inclusive: true });
  });
});
