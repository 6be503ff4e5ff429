import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../base/clock.ts';
import { Heartbeats } from './heartbeat.ts';

function setup(opts: { failLease?: (node: string) => boolean; random?: () => number } = {}) {
  const clock = new FakeClock();
  const start = clock.now();
  const leases: { node: string; at: number }[] = [];
  const statuses: { node: string; at: number }[] = [];
  let seed = 1;
  const random = opts.random ?? (() => { seed = (seed * 16807) % 2147483647; return (seed - 1) / 2147483646; });
  const hb = new Heartbeats({
    renewLease: (node) => {
      leases.push({ node, at: clock.now() - start });
      return opts.failLease?.(node) ? Promise.reject(new Error('down')) : Promise.resolve();
    },
    reportStatus: (node) => { statuses.push({ node, at: clock.now() - start }); return Promise.resolve(); },
  }, { clock, random, leaseRenewIntervalMs: 10_000, nodeStatusReportIntervalMs: 300_000 });
  return { clock, hb, leases, statuses };
}

test('leases renew every 10 s (+≤4 % jitter) per node, spread over the interval across nodes', async () => {
  const { clock, hb, leases } = setup();
  for (let i = 0; i < 100; i++) hb.add(`n${i}`);
  await clock.advance(10_000);
  // First renewals land at random points of the first interval: spread, not a burst.
  assert.equal(leases.length, 100);
  const buckets = new Set(leases.map((l) => Math.floor(l.at / 1000)));
  assert.ok(buckets.size >= 8, `first renewals in ${buckets.size} distinct seconds`);
  await clock.advance(60_000);
  const n0 = leases.filter((l) => l.node === 'n0').map((l) => l.at);
  for (let i = 1; i < n0.length; i++) {
    const gap = n0[i] - n0[i - 1];
    assert.ok(gap >= 10_000 && gap <= 10_400, `gap ${gap}`);
  }
  assert.ok(n0.length >= 6 && n0.length <= 8, `${n0.length} renewals in 70 s`);
  assert.equal(hb.stats.leaseRenewals, leases.length);
  await hb.stop();
});

test('node status is re-reported about every 5 minutes', async () => {
  const { clock, hb, statuses } = setup();
  hb.add('n0');
  await clock.advance(269_000);
  assert.equal(statuses.length, 0);
  await clock.advance(31_000 + 331_000);
  assert.equal(statuses.length, 2);
  assert.ok(statuses[0].at >= 270_000 && statuses[0].at <= 330_000);
  await hb.stop();
});

test('a failed renewal is retried soon with back-off (200 ms doubling), then the cadence resumes', async () => {
  let failing = true;
  const { clock, hb, leases } = setup({ failLease: () => failing, random: () => 0 });
  hb.add('n0');
  await clock.advance(0);
  await clock.advance(1_600);
  // at 0, 200, 600, 1400 (gaps 200, 400, 800)
  assert.deepEqual(leases.map((l) => l.at), [0, 200, 600, 1400]);
  assert.equal(hb.stats.errors, 4);
  failing = false;
  await clock.advance(1_600); // next try at 3000 succeeds
  await clock.advance(10_000);
  assert.deepEqual(leases.map((l) => l.at), [0, 200, 600, 1400, 3000, 13_000]);
  await hb.stop();
});

test('stop() ends every renewal: no writes afterwards', async () => {
  const { clock, hb, leases, statuses } = setup();
  for (let i = 0; i < 10; i++) hb.add(`n${i}`);
  await clock.advance(20_000);
  const before = leases.length;
  await hb.stop();
  await clock.advance(600_000);
  assert.equal(leases.length, before);
  assert.equal(statuses.length, 0);
  assert.equal(clock.pending(), 0);
  hb.add('late');
  assert.equal(clock.pending(), 0);
});
