import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Pod, Probe } from 'kubernetes-types/core/v1.js';
import { FakeClock } from '../../base/clock.ts';
import { ProbeManager } from './manager.ts';
import { runProbe } from './probe.ts';

function setup(outcomes: Record<string, boolean[]>) {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const events: string[] = [];
  const stopped: [string, number][] = [];
  const changes: string[] = [];
  const calls: string[] = [];
  const mgr = new ProbeManager({
    clock,
    events: { event: (_o, type, reason, message) => { events.push(`${type} ${reason} ${message}`); } },
    exec: async () => ({ stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exitCode: 0 }),
    stopContainer: async (id, grace) => { stopped.push([id, grace]); },
    onChange: (uid) => changes.push(uid),
    // The probe's command names which scripted outcome list to consume.
    probe: async (probe) => {
      const name = probe.exec!.command![0];
      calls.push(name);
      const ok = outcomes[name].shift() ?? true;
      return { ok, output: ok ? '' : `${name} failed` };
    },
  });
  return { clock, mgr, events, stopped, changes, calls };
}

function pod(probes: { liveness?: Probe; readiness?: Probe; startup?: Probe }): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'u1' },
    spec: { terminationGracePeriodSeconds: 5, containers: [{ name: 'c', image: 'i', livenessProbe: probes.liveness, readinessProbe: probes.readiness, startupProbe: probes.startup }] },
  };
}

const exec = (name: string, extra: Partial<Probe> = {}): Probe => ({ exec: { command: [name] }, periodSeconds: 10, ...extra });

test('readiness: not ready until successThreshold successes, not ready again after failureThreshold failures', async () => {
  const s = setup({ r: [true, true, false, false, true] });
  const p = pod({ readiness: exec('r', { initialDelaySeconds: 5, successThreshold: 2, failureThreshold: 2 }) });
  const started = s.clock.now();
  s.mgr.sync(p, [{ name: 'c', id: 'c1', startedAt: started }], '10.0.0.1');
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), false, 'readiness starts as failure');
  await s.clock.advance(4_999);
  assert.deepEqual(s.calls, [], 'initialDelaySeconds');
  await s.clock.advance(1);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), false, 'one success of two');
  await s.clock.advance(10_000);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), true);
  assert.deepEqual(s.changes, ['u1']);
  await s.clock.advance(10_000);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), true, 'one failure of two');
  await s.clock.advance(10_000);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), false);
  assert.ok(s.events.includes('Warning Unhealthy Readiness probe failed: r failed'));
  assert.deepEqual(s.stopped, [], 'readiness never kills');
  assert.equal(s.mgr.ready('u1', 'c', 'other-container'), undefined);
  await s.mgr.stop();
});

test('liveness: failureThreshold consecutive failures kill the container with the grace period', async () => {
  const s = setup({ l: [false, true, false, false, false] });
  s.mgr.sync(pod({ liveness: exec('l', { failureThreshold: 3 }) }), [{ name: 'c', id: 'c1', startedAt: s.clock.now() }], undefined);
  await s.clock.advance(30_000);
  assert.deepEqual(s.stopped, [], 'a success in between resets the count');
  await s.clock.advance(10_000);
  assert.deepEqual(s.stopped, [['c1', 5]]);
  assert.ok(s.events.includes('Normal Killing Container c failed liveness probe, will be restarted'));
  assert.deepEqual(s.changes, ['u1']);
  const calls = s.calls.length;
  await s.clock.advance(60_000);
  assert.equal(s.calls.length, calls, 'the worker of a killed container stops');
  await s.mgr.stop();
});

test('startup probe holds liveness and readiness back until it succeeds', async () => {
  const s = setup({ st: [false, true], l: [], r: [] });
  s.mgr.sync(pod({ startup: exec('st', { periodSeconds: 1 }), liveness: exec('l'), readiness: exec('r') }), [{ name: 'c', id: 'c1', startedAt: s.clock.now() }], undefined);
  await s.clock.advance(0);
  assert.equal(s.mgr.started('u1', 'c', 'c1'), false);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), false);
  assert.deepEqual(s.calls.filter((c) => c !== 'st'), [], 'nothing else probed before startup succeeds');
  await s.clock.advance(1_000);
  assert.equal(s.mgr.started('u1', 'c', 'c1'), true);
  await s.clock.advance(10_000);
  assert.ok(s.calls.includes('l') && s.calls.includes('r'));
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), true);
  await s.mgr.stop();
});

test('containers that go away lose their probe workers', async () => {
  const s = setup({ r: [] });
  const p = pod({ readiness: exec('r') });
  s.mgr.sync(p, [{ name: 'c', id: 'c1', startedAt: s.clock.now() }], undefined);
  await s.clock.advance(0);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), true);
  s.mgr.sync(p, [{ name: 'c', id: 'c2', startedAt: s.clock.now() }], undefined);
  assert.equal(s.mgr.ready('u1', 'c', 'c1'), undefined);
  assert.equal(s.mgr.ready('u1', 'c', 'c2'), false);
  s.mgr.removePod('u1');
  assert.equal(s.mgr.ready('u1', 'c', 'c2'), undefined);
  await s.mgr.stop();
});

test('probe handlers: httpGet (status codes, named ports), tcpSocket, exec exit codes', async () => {
  const server = http.createServer((req, res) => { res.statusCode = req.url === '/ok' ? 200 : 500; res.end(); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  try {
    const container = { name: 'c', ports: [{ name: 'http', containerPort: port }] };
    const t = { exec: async () => ({ stdout: Buffer.from('out'), stderr: Buffer.alloc(0), exitCode: 1 }), containerId: 'c1', container, podIP: '127.0.0.1' };
    assert.deepEqual(await runProbe({ httpGet: { path: '/ok', port: 'http' } }, t), { ok: true, output: '' });
    assert.deepEqual(await runProbe({ httpGet: { path: '/bad', port } }, t), { ok: false, output: 'HTTP probe failed with statuscode: 500' });
    assert.equal((await runProbe({ tcpSocket: { port } }, t)).ok, true);
    server.close();
    const refused = await runProbe({ tcpSocket: { port } }, t);
    assert.equal(refused.ok, false);
    assert.match(refused.output, new RegExp(`^dial tcp 127.0.0.1:${port}: .*ECONNREFUSED`));
    assert.deepEqual(await runProbe({ exec: { command: ['false'] } }, t), { ok: false, output: 'out' });
  } finally {
    server.close();
  }
});
