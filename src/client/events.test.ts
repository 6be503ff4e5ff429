// EventRecorder against a real API server: names, fields, aggregation by count.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigMap, Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../base/clock.ts';
import { EventRecorder, referenceOf } from './events.ts';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';

const quiet = { debug: () => undefined, warn: () => undefined };
let ts: TestServer;
before(async () => { ts = await startTestServer(); });
after(async () => { await ts.close(); });

async function eventsFor(ns: string, name: string): Promise<CoreEvent[]> {
  const list = await ts.client.resource<CoreEvent>('v1', 'Event').namespace(ns).list({ fieldSelector: `involvedObject.name=${name}` });
  return list.items.sort((a, b) => a.metadata!.name!.localeCompare(b.metadata!.name!));
}

test('an event is created with upstream fields and a <name>.<hex> name', async () => {
  const cm = await ts.client.resource<ConfigMap>('v1', 'ConfigMap').create({ metadata: { name: 'ev-one', namespace: 'default' } });
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const rec = new EventRecorder(ts.client, { component: 'test-controller', host: 'node-1', clock, logger: quiet });
  rec.eventf({ ...cm, kind: 'ConfigMap', apiVersion: 'v1' }, 'Normal', 'Created', 'created %s with %d keys', 'ev-one', 0);
  await rec.flush();
  const [ev] = await eventsFor('default', 'ev-one');
  assert.match(ev.metadata!.name!, /^ev-one\.[0-9a-f]+$/);
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.reason, 'Created');
  assert.equal(ev.message, 'created ev-one with 0 keys');
  assert.equal(ev.count, 1);
  assert.equal(ev.firstTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(ev.lastTimestamp, '2024-05-01T12:00:00Z');
  assert.deepEqual(ev.source, { component: 'test-controller', host: 'node-1' });
  assert.equal(ev.involvedObject.kind, 'ConfigMap');
  assert.equal(ev.involvedObject.name, 'ev-one');
  assert.equal(ev.involvedObject.namespace, 'default');
  assert.equal(ev.involvedObject.uid, cm.metadata?.uid);
});

test('repeats within the window bump count and lastTimestamp of one Event; others are separate', async () => {
  const clock = new FakeClock(Date.UTC(2024, 4, 1, 12, 0, 0));
  const rec = new EventRecorder(ts.client, { component: 'test-controller', clock, logger: quiet });
  const ref = { kind: 'Pod', apiVersion: 'v1', namespace: 'default', name: 'ev-agg', uid: 'u-1' };
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await clock.advance(5_000);
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await clock.advance(5_000);
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container');
  rec.event(ref, 'Warning', 'BackOff', 'a different message');
  await rec.flush();
  let events = await eventsFor('default', 'ev-agg');
  assert.equal(events.length, 2);
  const backoff = events.find((e) => e.message === 'Back-off restarting failed container')!;
  assert.equal(backoff.count, 3);
  assert.equal(backoff.firstTimestamp, '2024-05-01T12:00:00Z');
  assert.equal(backoff.lastTimestamp, '2024-05-01T12:00:10Z');

  // Past the window: a new Event.
  await clock.advance(11 * 60_000);
  rec.event(ref, 'Warning', 'BackOff', 'Back-off restarting failed container');
  await rec.flush();
  events = await eventsFor('default', 'ev-agg');
  assert.equal(events.length, 3);
});

test('an aggregated Event deleted meanwhile is created again; cluster-scoped objects use "default"', async () => {
  const clock = new FakeClock();
  const rec = new EventRecorder(ts.client, { component: 'node-controller', clock, logger: quiet });
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ev-node', uid: 'n-1' } };
  rec.event(node, 'Normal', 'RegisteredNode', 'Node ev-node event: Registered Node ev-node in Controller');
  await rec.flush();
  const [first] = await eventsFor('default', 'ev-node');
  assert.equal(first.involvedObject.namespace, undefined);
  await ts.client.resource('v1', 'Event').namespace('default').delete(first.metadata!.name!);
  rec.event(node, 'Normal', 'RegisteredNode', 'Node ev-node event: Registered Node ev-node in Controller');
  await rec.flush();
  const again = await eventsFor('default', 'ev-node');
  assert.equal(again.length, 1);
  assert.equal(again[0].count, 2);
  assert.equal(again[0].metadata?.name, first.metadata?.name);
});

test('objects without kind or name are not recorded', () => {
  assert.equal(referenceOf({ metadata: { name: 'x' } }), undefined);
  assert.equal(referenceOf({ kind: 'Pod' }), undefined);
  assert.deepEqual(referenceOf({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'p', namespace: 'n', uid: 'u', resourceVersion: '5' } }),
    { kind: 'Pod', apiVersion: 'v1', name: 'p', namespace: 'n', uid: 'u', resourceVersion: '5' });
});
