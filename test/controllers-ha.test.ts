// Two `pilot server`s on one etcd (same --token): exactly one controller
// manager leads (the Lease kube-system/kube-controller-manager names it); when
// the leader is killed the other takes over once the Lease expires, and when
// the leader stops gracefully it releases the Lease so the other takes over
// at once. Lease timings are shortened by flag.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Pilot } from './helpers/pilot.ts';
import { EtcdServer } from './helpers/etcd.ts';

const TOKEN = 'controllers-ha-token-51c2';
// Long enough that expiry (after a crash) and release (after a clean stop) are told apart on a loaded machine.
const LEASE = ['--leader-elect-lease-duration=6s', '--leader-elect-renew-deadline=4s', '--leader-elect-retry-period=250ms'];
let etcd: EtcdServer;
let a: Pilot;
let b: Pilot;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const identity = (p: Pilot): string => `${os.hostname()}_${fs.readFileSync(path.join(p.dataDir, 'server-id'), 'utf8').trim()}`;

async function holder(via: Pilot): Promise<{ holder: string; transitions: number }> {
  const lease = await via.json(['get', 'lease', 'kube-controller-manager', '-n', 'kube-system']);
  return { holder: lease.spec.holderIdentity ?? '', transitions: lease.spec.leaseTransitions ?? 0 };
}

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** The controllers work: a new namespace gets its ServiceAccount, and deleting it completes. */
async function controllersWork(via: Pilot, ns: string): Promise<void> {
  await via.k(['create', 'namespace', ns]);
  await until(`sa in ${ns}`, async () => ((await via.kubectl(['get', 'sa', 'default', '-n', ns])).code === 0 ? true : undefined), 10_000);
  const r = await via.kubectl(['delete', 'namespace', ns, '--timeout=20s'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  etcd = await EtcdServer.start();
  a = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN, ...LEASE] });
  b = new Pilot({ datastore: etcd.url, extraArgs: ['--token', TOKEN, ...LEASE] });
  await Promise.all([a.start(), b.start()]);
});

after(async () => {
  for (const p of [a, b]) await p?.dispose();
  await etcd?.dispose();
});

test('one leader at a time; kill -9 of the leader: the other takes over after the lease duration; graceful stop: at once', async () => {
  const ids = new Map([[identity(a), a], [identity(b), b]]);
  const first = await until('a leader', async () => {
    const h = await holder(a);
    return ids.has(h.holder) ? h : undefined;
  }, 10_000);
  // Stable: the standby does not steal it while the leader renews.
  for (let i = 0; i < 10; i++) {
    await sleep(250);
    const h = await holder(i % 2 ? a : b);
    assert.equal(h.holder, first.holder, 'the holder never changes while the leader lives');
  }
  const leader = ids.get(first.holder)!;
  const standby = leader === a ? b : a;
  await controllersWork(standby, 'ha-before');

  // A crash: no release; the standby waits for the Lease to expire (6 s here).
  const killedAt = Date.now();
  await leader.stop(true);
  const next = await until('takeover', async () => {
    const h = await holder(standby);
    return h.holder === identity(standby) ? h : undefined;
  }, 30_000);
  const took = Date.now() - killedAt;
  assert.ok(took >= 5000, `took over after ${took} ms: before the lease could have expired`);
  assert.ok(took < 20000, `took over after ${took} ms`);
  assert.equal(next.transitions, first.transitions + 1);
  await controllersWork(standby, 'ha-after-kill');

  // The crashed server comes back as a standby: the new leader keeps the Lease.
  await leader.start();
  await sleep(1500);
  assert.equal((await holder(leader)).holder, identity(standby));

  // A graceful stop releases the Lease: the restarted server takes over well within the lease duration.
  await standby.stop();
  // Counted from the end of the stop (a loaded machine may take seconds to stop a server):
  // with the Lease released, the other takes it at its next retry, long before it could expire.
  const stoppedAt = Date.now();
  await until('takeover after release', async () => ((await holder(leader)).holder === identity(leader) ? true : undefined), 10_000);
  const tookGraceful = Date.now() - stoppedAt;
  assert.ok(tookGraceful < 3000, `took over ${tookGraceful} ms after the stop: the Lease was not released`);
  await controllersWork(leader, 'ha-after-stop');
});
