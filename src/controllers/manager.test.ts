// The controller manager against a real in-process API server: the start
// protocol (informers registered, then started, synced before work), stop,
// and leader election between two managers on one Lease.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Namespace } from 'kubernetes-types/core/v1.js';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';
import type { RestClient } from '../client/index.ts';
import { selectControllers, startControllerManager, type ControllerManager } from './manager.ts';
import type { Controller, ControllerContext } from './types.ts';
import { waitForSync } from './worker.ts';
import { FakeClock } from '../base/clock.ts';
import { CONTROLLERS } from './index.ts';
import { namespaceController } from './namespace/index.ts';
import { serviceAccountController } from './serviceaccount/index.ts';
import { rootCACertPublisher } from './rootcacert/index.ts';

const logger = pino({ level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A controller that records what the manager did to it. */
function probe(name: string): Controller & { log: string[]; runs: number; ctx?: ControllerContext } {
  const p = {
    name, log: [] as string[], runs: 0, ctx: undefined as ControllerContext | undefined,
    async run(ctx: ControllerContext): Promise<void> {
      p.runs++;
      p.ctx = ctx;
      const inf = ctx.informers.informerFor<Namespace>('v1', 'Namespace');
      p.log.push(`registered:${inf.hasSynced()}`);
      if (await waitForSync(ctx.signal, inf)) p.log.push(`synced:${inf.lister().list().length > 0}`);
      await new Promise<void>((r) => { if (ctx.signal.aborted) r(); else ctx.signal.addEventListener('abort', () => r(), { once: true }); });
      p.log.push('stopped');
    },
  };
  return p;
}

test('selectControllers: *, names and -names like upstream --controllers', () => {
  const all = ['namespace', 'serviceaccount', 'root-ca-cert-publisher'].map((name) => ({ name, run: async () => {} }));
  const names = (spec: string[]): string[] => selectControllers(all, spec).map((c) => c.name);
  assert.deepEqual(names(['*']), ['namespace', 'serviceaccount', 'root-ca-cert-publisher']);
  assert.deepEqual(names(['*', '-namespace']), ['serviceaccount', 'root-ca-cert-publisher']);
  assert.deepEqual(names(['namespace']), ['namespace']);
  assert.deepEqual(names(['namespace', '-namespace']), []);
  assert.deepEqual(names([]), []);
  assert.throws(() => names(['*', 'nope']), /"nope" is not in the list of known controllers/);
  assert.throws(() => names(['-nope']), /"nope" is not in the list/);
});

describe('with a server', () => {
  let ts: TestServer;
  before(async () => { ts = await startTestServer(); });
  after(async () => { await ts.close(); });

  test('without leader election: informers start after registration and sync before work; stop ends everything', async () => {
    const a = probe('a');
    const b = probe('b');
    const m = startControllerManager({ client: ts.newClient(), controllers: [a, b], leaderElect: false, identity: 'x', logger });
    await until('both synced', () => a.log.length >= 2 && b.log.length >= 2);
    assert.deepEqual(a.log, ['registered:false', 'synced:true']);
    assert.deepEqual(b.log, ['registered:false', 'synced:true']);
    // One shared factory: both got the same informer.
    assert.equal(a.ctx!.informers, b.ctx!.informers);
    assert.equal(a.ctx!.informers.informerFor('v1', 'Namespace'), b.ctx!.informers.informerFor('v1', 'Namespace'));
    assert.equal(m.isLeading(), true);
    await m.stop();
    assert.deepEqual(a.log, ['registered:false', 'synced:true', 'stopped']);
    assert.equal(b.log.at(-1), 'stopped');
    assert.equal(a.ctx!.signal.aborted, true);
    assert.equal(m.isLeading(), false);
    await m.stop(); // idempotent
  });

  test('stop leaves no timer behind, even with requeues pending (fake clock)', async () => {
    const clock = new FakeClock(Date.now());
    const client = ts.newClient();
    const m = startControllerManager({
      client, leaderElect: false, identity: 'x', logger, clock, rootCAPem: 'CA',
      controllers: [namespaceController(), serviceAccountController(), rootCACertPublisher()],
    });
    const cms = client.resource('v1', 'ConfigMap').namespace('timers');
    await client.resource('v1', 'Namespace').create({ metadata: { name: 'timers' } });
    await cms.create({ metadata: { name: 'held', finalizers: ['example.com/hold'] } });
    await client.resource('v1', 'Namespace').delete('timers');
    // The namespace controller finds the held ConfigMap and requeues with back-off: a timer.
    await until('a requeue timer', () => clock.pending() > 0);
    await m.stop();
    assert.equal(clock.pending(), 0, 'timers left after stop');
    await cms.patch('held', 'json', [{ op: 'remove', path: '/metadata/finalizers' }]);
  });

  test('CONTROLLERS has unique names', () => {
    const names = CONTROLLERS.map((c) => c.name);
    assert.equal(new Set(names).size, names.length, names.join(', '));
    for (const n of ['namespace', 'serviceaccount', 'root-ca-cert-publisher']) assert.ok(names.includes(n), n);
  });

  describe('leader election', () => {
    const leases = (c: RestClient) => c.resource<Lease>('coordination.k8s.io/v1', 'Lease').namespace('kube-system');
    const timings = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 150 };
    const managers: ControllerManager[] = [];
    after(async () => { for (const m of managers) await m.stop(); });

    test('exactly one of two managers runs controllers; on stop it releases the Lease and the other takes over at once', async () => {
      const pa = probe('p');
      const pb = probe('p');
      const a = startControllerManager({ client: ts.newClient(), controllers: [pa], leaderElect: true, identity: 'mgr-a', logger, ...timings });
      const b = startControllerManager({ client: ts.newClient(), controllers: [pb], leaderElect: true, identity: 'mgr-b', logger, ...timings });
      managers.push(a, b);
      await until('a leader', () => a.isLeading() || b.isLeading());
      for (let i = 0; i < 20; i++) {
        assert.equal(Number(a.isLeading()) + Number(b.isLeading()), 1, 'exactly one leads');
        await sleep(25);
      }
      const [leader, standby, lp, sp, standbyId] = a.isLeading() ? [a, b, pa, pb, 'mgr-b'] : [b, a, pb, pa, 'mgr-a'];
      assert.equal(lp.runs, 1);
      assert.equal(sp.runs, 0);
      const lease = await leases(ts.client).get('kube-controller-manager');
      assert.equal(lease.spec?.holderIdentity, standbyId === 'mgr-b' ? 'mgr-a' : 'mgr-b');

      const stoppedAt = Date.now();
      await leader.stop();
      assert.equal(lp.log.at(-1), 'stopped');
      await until('standby leads', () => standby.isLeading());
      // Released, not expired: well under the lease duration.
      assert.ok(Date.now() - stoppedAt < 1000, `took over after ${Date.now() - stoppedAt} ms`);
      await until('standby synced', () => sp.log.includes('synced:true'));
      assert.equal((await leases(ts.client).get('kube-controller-manager')).spec?.holderIdentity, standbyId);
      await standby.stop();
      assert.equal(sp.log.at(-1), 'stopped');
      assert.equal((await leases(ts.client).get('kube-controller-manager')).spec?.holderIdentity, '');
    });

    test('losing the Lease stops the controllers; the manager campaigns again and restarts them with fresh informers', async () => {
      const p = probe('p');
      const m = startControllerManager({
        client: ts.newClient(), controllers: [p], leaderElect: true, identity: 'mgr-c', logger, ...timings, lease: { namespace: 'kube-system', name: 'lose-test' },
      });
      managers.push(m);
      await until('leading', () => p.log.includes('synced:true'));
      const firstCtx = p.ctx!;
      // Someone else grabs the Lease (as after a long partition): our renewals fail.
      const l = await leases(ts.client).get('lose-test');
      await leases(ts.client).update({ ...l, spec: { ...l.spec, holderIdentity: 'intruder', leaseDurationSeconds: 1, renewTime: new Date().toISOString() } });
      await until('controllers stopped', () => p.log.includes('stopped'), 5000);
      assert.equal(firstCtx.signal.aborted, true);
      // The intruder never renews: after its lease expires, we lead again.
      await until('leading again', () => p.runs === 2 && m.isLeading(), 5000);
      await until('synced again', () => p.log.filter((x) => x === 'synced:true').length === 2);
      assert.notEqual(p.ctx!.informers, firstCtx.informers);
      await m.stop();
      assert.equal(p.log.at(-1), 'stopped');
    });
  });
});
