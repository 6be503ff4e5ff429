import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../base/clock.ts';
import { SchedulingQueue } from './queue.ts';
import { mkPod } from './testing.ts';

const events = new Map([['NodeResourcesFit', ['NodeAdd', 'AssignedPodDelete'] as const], ['TaintToleration', ['NodeTaintChange'] as const]]);
const mkQueue = (clock = new FakeClock()): { q: SchedulingQueue; clock: FakeClock } => ({ q: new SchedulingQueue({ clock, pluginEvents: events as never }), clock });

test('activeQ: higher priority first, then older first', async () => {
  const { q, clock } = mkQueue();
  q.add(mkPod('low-old', { priority: 0 }));
  await clock.advance(10);
  q.add(mkPod('high', { priority: 100 }));
  await clock.advance(10);
  q.add(mkPod('low-new', { priority: 0 }));
  const order = [];
  for (let i = 0; i < 3; i++) order.push((await q.pop())!.podInfo.pod.metadata!.name);
  assert.deepEqual(order, ['high', 'low-old', 'low-new']);
  q.close();
});

test('backoff doubles from 1 s to a 10 s cap', () => {
  const { q } = mkQueue();
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((a) => q.backoffDuration(a)), [1000, 2000, 4000, 8000, 10000, 10000]);
  q.close();
});

test('an unschedulable pod waits for a relevant event, then goes through backoff', async () => {
  const { q, clock } = mkQueue();
  q.add(mkPod('p'));
  const qp = (await q.pop())!;
  const cycle = q.currentCycle();
  qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
  q.addUnschedulable(qp, cycle);
  assert.equal(q.whereIs('default/p'), 'unschedulable');
  q.moveOnEvent('NodeTaintChange'); // cannot help a pod short of resources
  assert.equal(q.whereIs('default/p'), 'unschedulable');
  q.moveOnEvent('NodeAdd');
  assert.equal(q.whereIs('default/p'), 'backoff'); // first failure: 1 s backoff not over yet
  await clock.advance(1000);
  assert.equal(q.whereIs('default/p'), 'active');
  q.close();
});

test('a move request during the cycle sends the failed pod to backoff, not unschedulable', async () => {
  const { q, clock } = mkQueue();
  q.add(mkPod('p'));
  const qp = (await q.pop())!;
  const cycle = q.currentCycle();
  q.moveOnEvent('NodeAdd'); // e.g. a node arrived while the cycle ran
  qp.unschedulablePlugins = new Set(['NodeResourcesFit']);
  q.addUnschedulable(qp, cycle);
  assert.equal(q.whereIs('default/p'), 'backoff');
  await clock.advance(1000);
  assert.equal(q.whereIs('default/p'), 'active');
  q.close();
});

test('pods left unschedulable for 5 minutes are retried without an event', async () => {
  const { q, clock } = mkQueue();
  q.add(mkPod('p'));
  const qp = (await q.pop())!;
  qp.unschedulablePlugins = new Set(['TaintToleration']);
  q.addUnschedulable(qp, q.currentCycle());
  await clock.advance(4 * 60_000);
  assert.equal(q.whereIs('default/p'), 'unschedulable');
  await clock.advance(90_000);
  assert.equal(q.whereIs('default/p'), 'active');
  q.close();
});

test('a spec update gives an unschedulable pod another try; a status update does not', async () => {
  const { q, clock } = mkQueue();
  const p = mkPod('p');
  q.add(p);
  const qp = (await q.pop())!;
  qp.unschedulablePlugins = new Set(['TaintToleration']);
  q.addUnschedulable(qp, q.currentCycle());
  const withStatus = { ...p, status: { conditions: [{ type: 'PodScheduled', status: 'False' }] } };
  q.update(p, withStatus);
  assert.equal(q.whereIs('default/p'), 'unschedulable');
  q.update(withStatus, { ...withStatus, spec: { ...p.spec!, tolerations: [{ operator: 'Exists' }] } });
  assert.notEqual(q.whereIs('default/p'), 'unschedulable');
  await clock.advance(1000);
  assert.equal(q.whereIs('default/p'), 'active');
  q.close();
});

test('a pod deleted while in flight is not requeued', async () => {
  const { q } = mkQueue();
  const p = mkPod('p');
  q.add(p);
  const qp = (await q.pop())!;
  q.delete(p);
  q.addUnschedulable(qp, q.currentCycle());
  assert.equal(q.whereIs('default/p'), undefined);
  q.close();
});

test('pop waits for a pod and returns undefined once closed', async () => {
  const { q } = mkQueue();
  const waiting = q.pop();
  q.add(mkPod('late'));
  assert.equal((await waiting)!.podInfo.key, 'default/late');
  const closed = q.pop();
  q.close();
  assert.equal(await closed, undefined);
});

test('nominated pods are tracked per node', () => {
  const { q } = mkQueue();
  q.add({ ...mkPod('pre', { priority: 10 }), status: { nominatedNodeName: 'n1' } });
  assert.deepEqual(q.nominatedPodsFor('n1').map((p) => p.key), ['default/pre']);
  q.delete(mkPod('pre'));
  assert.deepEqual(q.nominatedPodsFor('n1'), []);
  q.close();
});
