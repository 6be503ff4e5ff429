// The Scheduler against an in-process API server (the server's own scheduler
// off): bindings race another binder, restarts, and the failure status.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pino from 'pino';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { realClock } from '../base/clock.ts';
import { EventRecorder, RestClient, SharedInformerFactory, type RequestOptions } from '../client/index.ts';
import { startTestServer, type TestServer } from '../../test/helpers/testserver.ts';
import { Scheduler } from './scheduler.ts';
import { mkNode, mkPod } from './testing.ts';

let ts: TestServer;
before(async () => {
  ts = await startTestServer({ disableScheduler: true });
  // Pod admission wants the pods' ServiceAccount (no controller makes it here).
  await ts.client.resource('v1', 'ServiceAccount').namespace('default').create({ metadata: { name: 'default' } } as never).catch(() => undefined);
});
after(async () => { await ts?.close(); });

/** A client that, just before the scheduler's binding of `victim`, lets "another scheduler" bind it elsewhere. */
class RacingClient extends RestClient {
  constructor(private readonly base: RestClient, private readonly victim: string, private readonly elsewhere: string) { super(base.config, { qps: 0 }); }
  override async request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    if (method === 'POST' && path.endsWith(`/pods/${this.victim}/binding`)) {
      await this.base.resource('v1', 'Pod').namespace('default').createSubresource(this.victim, 'binding', {
        apiVersion: 'v1', kind: 'Binding', metadata: { name: this.victim }, target: { kind: 'Node', name: this.elsewhere },
      });
    }
    return super.request<T>(method, path, opts);
  }
}

function start(client: RestClient): { sched: Scheduler; stop: () => Promise<void> } {
  const abort = new AbortController();
  const logger = pino({ level: 'silent' });
  const informers = new SharedInformerFactory(client, { logger });
  const sched = new Scheduler({
    client, informers, clock: realClock, logger, signal: abort.signal,
    recorder: (component) => new EventRecorder(client, { component, logger }),
  });
  informers.start(abort.signal);
  const running = sched.run();
  return { sched, stop: async () => { abort.abort(); await running; await informers.stop(); } };
}

async function until<T>(fn: () => Promise<T | undefined | false>, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out: ${what}`);
}

const pods = (): ReturnType<RestClient['resource']> => ts.client.resource('v1', 'Pod').namespace('default');

test('a binding that loses the race (409) is treated as done: no retry, the cache follows the real node', async () => {
  const nodes = ts.client.resource('v1', 'Node');
  await nodes.create(mkNode('a', { cpu: '4' }) as never);
  await nodes.create(mkNode('b', { cpu: '4', labels: { other: 'yes' } }) as never);
  const client = new RacingClient(ts.client, 'raced', 'b');
  const { sched, stop } = start(client);
  try {
    await pods().create(mkPod('raced', { cpu: '1', spec: { nodeSelector: { 'kubernetes.io/hostname': 'a' } } }) as never);
    const bound = await until(async () => (await pods().get('raced') as Pod).spec?.nodeName, 'pod bound');
    assert.equal(bound, 'b', 'the other binder won');
    await until(async () => sched.stats.bindConflicts === 1, 'conflict seen');
    await until(async () => sched.cache.podNode('default/raced') === 'b', 'cache follows the informer');
    assert.equal(sched.cache.isAssumed('default/raced'), false);
    assert.equal(sched.cache.nodeInfo('a')!.requested.milliCPU, 0, 'the assumption on a was forgotten');
    assert.equal(sched.stats.scheduled, 0);
  } finally {
    await stop();
    client.close();
  }
});

test('a fresh scheduler (restart) leaves bound pods alone and binds only pending ones', async () => {
  await pods().create(mkPod('pending-1', { cpu: '100m' }) as never);
  const client = ts.newClient({ qps: 0 });
  const { sched, stop } = start(client);
  try {
    await until(async () => (await pods().get('pending-1') as Pod).spec?.nodeName, 'pending pod bound');
    assert.equal(sched.stats.bindConflicts, 0);
    assert.equal(sched.stats.scheduled, 1, 'only the pending pod was bound; "raced" was already bound');
    assert.equal(sched.cache.podNode('default/raced'), 'b');
  } finally {
    await stop();
  }
});

test('a pod with scheduling gates waits (PodScheduled=False/SchedulingGated) until they are removed', async () => {
  const client = ts.newClient({ qps: 0 });
  const { stop } = start(client);
  try {
    await pods().create(mkPod('gated', { cpu: '100m', spec: { schedulingGates: [{ name: 'example.com/wait' }] } }) as never);
    const cond = await until(async () => (await pods().get('gated') as Pod).status?.conditions?.find((c) => c.type === 'PodScheduled'), 'gated condition');
    assert.equal(cond.reason, 'SchedulingGated');
    assert.equal((await pods().get('gated') as Pod).spec?.nodeName, undefined);
    await pods().patch('gated', 'json', [{ op: 'remove', path: '/spec/schedulingGates' }]);
    await until(async () => (await pods().get('gated') as Pod).spec?.nodeName, 'bound once ungated');
  } finally {
    await stop();
  }
});
