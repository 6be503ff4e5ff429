// The reliability checkers on hand-made histories: each accepts a good one and
// names what is wrong in each kind of bad one.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDurable, checkNoLostUpdate, checkWatchEvents, type AckedWrite, type SeenEvent, type Update, type Version } from './history.ts';

const u = (client: string, object: string, readRv: number, readValue: number, writtenRv: number, writtenValue = readValue + 1): Update =>
  ({ client, object, readRv, readValue, writtenRv, writtenValue });

describe('checkNoLostUpdate', () => {
  const initial = new Map<string, Version>([['a', { rv: 10, value: 0 }], ['b', { rv: 11, value: 5 }]]);
  // Interleaved writers on two objects; recorded out of order, as concurrent clients do.
  const good: Update[] = [
    u('c2', 'a', 12, 1, 14),
    u('c1', 'a', 10, 0, 12),
    u('c1', 'b', 11, 5, 13),
    u('c3', 'b', 13, 6, 15),
    u('c1', 'a', 14, 2, 16),
  ];
  const finals = new Map<string, Version>([['a', { rv: 16, value: 3 }], ['b', { rv: 15, value: 7 }]]);

  test('a chain of increments is good', () => {
    assert.deepEqual(checkNoLostUpdate(initial, good, finals), []);
    assert.deepEqual(checkNoLostUpdate(initial, [], new Map([['a', { rv: 10, value: 0 }], ['b', { rv: 11, value: 5 }]])), []);
  });

  test('two writes from the same read: a lost update', () => {
    const bad = [...good, u('c4', 'a', 14, 2, 17)];
    const p = checkNoLostUpdate(initial, bad, new Map([['a', { rv: 17, value: 3 }], ['b', { rv: 15, value: 7 }]]));
    assert.ok(p.some((s) => /^a: lost update: c4's write at rv 17 read rv 14, but the version before it is rv 16/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^a: final value 3, expected 4/.test(s)), p.join('\n'));
  });

  test('a write that read a value its rv never held', () => {
    const bad = good.map((x) => (x.writtenRv === 16 ? u('c1', 'a', 14, 7, 16) : x));
    const p = checkNoLostUpdate(initial, bad);
    assert.ok(p.some((s) => /read value 7 at rv 14, which holds 2/.test(s)), p.join('\n'));
  });

  test('a write that is not an increment', () => {
    const p = checkNoLostUpdate(initial, [u('c1', 'a', 10, 0, 12, 2)]);
    assert.ok(p.some((s) => /wrote 2 after reading 0/.test(s)), p.join('\n'));
  });

  test('two writes acknowledged with one rv', () => {
    const p = checkNoLostUpdate(initial, [u('c1', 'a', 10, 0, 12), u('c1', 'b', 11, 5, 12)]);
    assert.ok(p.some((s) => /rv 12 was also written by/.test(s)), p.join('\n'));
  });

  test('a final state that lost the last write, or an object gone', () => {
    const p = checkNoLostUpdate(initial, good, new Map([['a', { rv: 14, value: 2 }]]));
    assert.ok(p.some((s) => /^a: final value 2, expected 3/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^a: final rv 14, but the last successful update wrote rv 16/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^b: missing from the final state/.test(s)), p.join('\n'));
  });

  test('a write of an object that does not exist, or one that goes back in rv', () => {
    const p = checkNoLostUpdate(initial, [u('c1', 'zz', 1, 0, 2), u('c1', 'a', 10, 0, 9)]);
    assert.ok(p.some((s) => /zz at rv 2: unknown object/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /written rv is not after the rv it read/.test(s)), p.join('\n'));
  });
});

describe('checkDurable', () => {
  const acked: AckedWrite[] = [
    { object: 'x', value: 0, rv: 3 }, { object: 'x', value: 1, rv: 5 }, { object: 'y', value: 0, rv: 4 },
  ];
  // y's update to 1 and z's create were sent but never answered.
  const attempted = new Map([['x', 1], ['y', 1], ['z', 0]]);

  test('acknowledged writes present; unanswered ones may or may not have landed', () => {
    assert.deepEqual(checkDurable(acked, attempted, new Map([['x', { rv: 5, value: 1 }], ['y', { rv: 4, value: 0 }]])), []);
    assert.deepEqual(checkDurable(acked, attempted, new Map([['x', { rv: 5, value: 1 }], ['y', { rv: 9, value: 1 }], ['z', { rv: 8, value: 0 }]])), []);
  });

  test('an object lost, or an older value', () => {
    const p = checkDurable(acked, attempted, new Map([['x', { rv: 3, value: 0 }]]));
    assert.ok(p.some((s) => /^x: lost write: acknowledged 1 at rv 5, found older 0 at rv 3/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^y: lost: acknowledged 0 at rv 4, not found/.test(s)), p.join('\n'));
  });

  test('the acknowledged value at another rv, or a newer one not after it', () => {
    const p = checkDurable(acked, attempted, new Map([['x', { rv: 6, value: 1 }], ['y', { rv: 2, value: 1 }]]));
    assert.ok(p.some((s) => /^x: acknowledged 1 at rv 5, found it at rv 6/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^y: found newer 1 at rv 2, not after the acknowledged rv 4/.test(s)), p.join('\n'));
  });

  test('something never written', () => {
    const p = checkDurable(acked, attempted, new Map([['x', { rv: 9, value: 2 }], ['y', { rv: 4, value: 0 }], ['w', { rv: 7, value: 0 }]]));
    assert.ok(p.some((s) => /^x: found 2 at rv 9, but at most 1 was ever written/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^w: found .* but never written/.test(s)), p.join('\n'));
  });

  test('one rv acknowledged twice, or rvs against the order of writes', () => {
    const p = checkDurable([...acked, { object: 'y', value: 1, rv: 5 }], attempted, new Map([['x', { rv: 5, value: 1 }], ['y', { rv: 5, value: 1 }]]));
    assert.ok(p.some((s) => /^rv 5 acknowledged twice/.test(s)), p.join('\n'));
    const q = checkDurable([{ object: 'x', value: 0, rv: 7 }, { object: 'x', value: 1, rv: 5 }], attempted, new Map([['x', { rv: 5, value: 1 }]]));
    assert.ok(q.some((s) => /^x: acknowledged 0 at rv 7 and 1 at rv 5: rvs do not follow the writes/.test(s)), q.join('\n'));
  });
});

describe('checkWatchEvents', () => {
  const e = (type: string, object: string, rv: number, value?: string): SeenEvent => ({ type, object, rv, value });
  const expected = [e('ADDED', 'a', 5, '0'), e('ADDED', 'b', 6, '0'), e('MODIFIED', 'a', 7, '1')];

  test('every event once, in revision order', () => {
    assert.deepEqual(checkWatchEvents(expected, expected), []);
    // The expected list may come in any order (acknowledgements race).
    assert.deepEqual(checkWatchEvents([...expected].reverse(), expected), []);
  });

  test('a missing event', () => {
    const p = checkWatchEvents(expected, [expected[0]!, expected[2]!]);
    assert.deepEqual(p, ['1 events missing, first ADDED b=0 at rv 6']);
  });

  test('an event twice, or out of order', () => {
    assert.ok(checkWatchEvents(expected, [...expected, expected[2]!]).some((s) => /^event #3 MODIFIED a=1 at rv 7: seen twice/.test(s)));
    const p = checkWatchEvents(expected, [expected[1]!, expected[0]!, expected[2]!]);
    assert.ok(p.some((s) => /^event #1 ADDED a=0 at rv 5: out of order \(after rv 6\)/.test(s)), p.join('\n'));
  });

  test('an event that is not the write at its revision, or no write at all', () => {
    const p = checkWatchEvents(expected, [expected[0]!, e('MODIFIED', 'b', 6, '0'), expected[2]!, e('ADDED', 'c', 9, '0')]);
    assert.ok(p.some((s) => /^event #1 MODIFIED b=0 at rv 6: the write at rv 6 was ADDED b=0 at rv 6/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^event #3 ADDED c=0 at rv 9: no such write/.test(s)), p.join('\n'));
  });

  test('reports at most `limit` problems', () => {
    const many = Array.from({ length: 50 }, (_, i) => e('ADDED', `x${i}`, 100 + i));
    assert.equal(checkWatchEvents([], many, { limit: 7 }).length, 7);
  });

  test('an unacknowledged write is allowed only when the caller says it may have landed', () => {
    const seen = [expected[0]!, expected[1]!, e('MODIFIED', 'b', 7, '1'), e('MODIFIED', 'a', 8, '1')];
    const mayHave = (x: SeenEvent): boolean => x.object === 'b' && x.value === '1';
    // The write of a=1 was acknowledged at rv 7: seeing it at 8 is wrong, and rv 7 holds b=1 instead.
    const p = checkWatchEvents(expected, seen, { unacknowledged: mayHave });
    assert.ok(p.some((s) => /^event #2 MODIFIED b=1 at rv 7: the write at rv 7 was MODIFIED a=1/.test(s)), p.join('\n'));
    assert.ok(p.some((s) => /^event #3 MODIFIED a=1 at rv 8: no such write/.test(s)), p.join('\n'));
    assert.deepEqual(checkWatchEvents(expected, [...expected, e('MODIFIED', 'b', 9, '1')], { unacknowledged: mayHave }), []);
    assert.deepEqual(checkWatchEvents(expected, [...expected, e('MODIFIED', 'b', 9, '1')]), ['event #3 MODIFIED b=1 at rv 9: no such write']);
  });
});
