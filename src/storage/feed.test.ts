import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { ChangeFeed } from './feed.ts';

void describe('ChangeFeed', () => {
  void it('does not sleep through a revision published before the wait', async () => {
    const feed = new ChangeFeed(5);
    await feed.waitBeyond(4, new AbortController().signal);
    assert.equal(feed.waiting, 0);
  });

  void it('wakes waiters on publish, abort or close, and forgets them', async () => {
    const feed = new ChangeFeed(1);
    const ac = new AbortController();
    const published = feed.waitBeyond(1, ac.signal);
    const aborted = feed.waitBeyond(1, ac.signal);
    assert.equal(feed.waiting, 2);
    feed.publish(1); // not newer: nobody wakes
    assert.equal(feed.waiting, 2);
    feed.publish(2);
    await published;
    await aborted;
    assert.equal(feed.waiting, 0);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);

    const waiting = feed.waitBeyond(2, ac.signal);
    ac.abort();
    await waiting;
    const closing = feed.waitBeyond(2, new AbortController().signal);
    feed.close();
    await closing;
    await feed.waitBeyond(2, new AbortController().signal); // closed: returns at once
    assert.equal(feed.waiting, 0);
  });

  void it('wakes a waiter on a prefix only for writes under it, unless told no keys', async () => {
    const feed = new ChangeFeed(1);
    const ac = new AbortController();
    let woke = '';
    const cms = feed.waitBeyond(1, ac.signal, '/registry/configmaps/').then(() => { woke += 'cm '; });
    const all = feed.waitBeyond(1, ac.signal).then(() => { woke += 'all '; });
    feed.publish(2, ['/registry/secrets/default/s']);
    await new Promise((r) => setImmediate(r));
    assert.equal(woke, 'all ');
    assert.equal(feed.waiting, 1);
    feed.publish(3, ['/registry/secrets/default/t', '/registry/configmaps/default/c']);
    await cms;
    await all;
    assert.equal(feed.waiting, 0);

    // Behind the revision already: at once, whatever was written since.
    await feed.waitBeyond(2, ac.signal, '/registry/pods/');
    // A publish that does not say which keys wakes everyone.
    const pods = feed.waitBeyond(3, ac.signal, '/registry/pods/');
    feed.publish(4);
    await pods;
    assert.equal(feed.waiting, 0);
    assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
  });

  void it('settle() wakes every waiter, whatever its prefix, and gives them a turn', async () => {
    const feed = new ChangeFeed(1);
    const ac = new AbortController();
    let woke = 0;
    const waits = ['/a/', '/b/', ''].map((p) => feed.waitBeyond(1, ac.signal, p).then(() => { woke++; }));
    await feed.settle();
    assert.equal(woke, 3);
    await Promise.all(waits);
    assert.equal(feed.waiting, 0);
  });
});
