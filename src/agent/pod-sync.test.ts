import { test, after } from 'node:test';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import assert from 'node:assert/strict';
import type { Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { FakeClock } from '../base/clock.ts';
import type { EventRecorder } from '../client/index.ts';
import { FakeCri } from './cri/fake.ts';
import { computePodStatus } from './pod-status.ts';
import { PodSync, killGraceSeconds, terminationMessage } from './pod-sync.ts';
import { RestartBackoff } from './restart-backoff.ts';

const IMAGE = 'localhost/pilot/busybox:1.35';
const logRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'pilot-pod-sync-'));
after(() => fs.rmSync(logRoot, { recursive: true, force: true }));

function setup() {
  const clock = new FakeClock(Date.UTC(2026, 0, 1));
  const cri = new FakeCri(clock);
  cri.images.set(IMAGE, 'sha256:busybox');
  const events: string[] = [];
  const recorder = { event: (_o: unknown, type: string, reason: string, message: string) => { events.push(`${type} ${reason} ${message}`); } } as unknown as EventRecorder;
  const sync = new PodSync({
    cri, clock, logger: pino({ level: 'silent' }), events: recorder, backoff: new RestartBackoff(clock),
    hostIP: () => '192.0.2.1', nodeAllocatable: () => ({ cpu: '2', memory: '1Gi' }),
    sandboxOptions: () => ({ logDirectory: path.join(logRoot, 'pod'), cgroupParent: '/pilot-test/pod' }),
    lookups: { configMap: async () => undefined, secret: async () => undefined, secrets: async () => [] },
  });
  return { clock, cri, sync, events };
}

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: { nodeName: 'n', containers: [{ name: 'app', image: IMAGE, command: ['sleep', '3600'] }], ...spec },
    status: { phase: 'Pending' },
  };
}

async function status(s: ReturnType<typeof setup>, p: Pod, waiting = new Map()) {
  return computePodStatus(p, await s.sync.view('uid-1'), waiting, { now: '2026-01-01T00:00:00Z' });
}

test('a new pod gets a sandbox and its container, created from the local image and started', async () => {
  const s = setup();
  const p = pod();
  const r = await s.sync.sync(p);
  assert.deepEqual(s.cri.calls, ['RunPodSandbox p 0', 'CreateContainer app 0', 'StartContainer app 0']);
  assert.equal(r.waiting.size, 0);
  const st = await status(s, p);
  assert.equal(st.phase, 'Running');
  assert.equal(st.podIP, '10.42.0.1');
  assert.ok(s.events.includes(`Normal Pulled Container image "${IMAGE}" already present on machine`));
  assert.ok(s.events.includes('Normal Started Started container app'));
  // Idempotent: a second sync with nothing changed does nothing.
  s.cri.calls.length = 0;
  await s.sync.sync(p);
  assert.deepEqual(s.cri.calls, []);
});

test('restartPolicy Always: first restart at once, then CrashLoopBackOff for 10 s, then 20 s', async () => {
  const s = setup();
  const p = pod();
  await s.sync.sync(p);
  s.cri.exit(s.cri.named('app')[0].id, 3);
  await s.sync.sync(p);
  assert.deepEqual(s.cri.named('app').map((c) => c.metadata.attempt), [0, 1], 'restarted at once');

  s.cri.exit(s.cri.named('app')[1].id, 3);
  const r = await s.sync.sync(p);
  // Not restarted while backing off (attempt 0 is pruned: one dead container per name stays).
  assert.deepEqual(s.cri.named('app').map((c) => c.metadata.attempt), [1]);
  assert.equal(r.waiting.get('app')?.reason, 'CrashLoopBackOff');
  assert.equal(r.waiting.get('app')?.message, 'back-off 10s restarting failed container=app pod=p_default(uid-1)');
  assert.ok(r.requeueAfterMs! > 9_000 && r.requeueAfterMs! <= 10_100, String(r.requeueAfterMs));
  const st = await status(s, p, r.waiting);
  assert.equal(st.containerStatuses?.[0].state?.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(st.containerStatuses?.[0].restartCount, 1);
  assert.equal(st.containerStatuses?.[0].lastState?.terminated?.exitCode, 3);
  assert.ok(s.events.some((e) => e.startsWith('Warning BackOff Back-off restarting failed container app in pod p_default(uid-1)')));

  await s.clock.advance(10_000);
  await s.sync.sync(p);
  assert.deepEqual(s.cri.named('app').map((c) => c.metadata.attempt), [1, 2], 'restarted after the back-off');
  s.cri.exit(s.cri.named('app')[1].id, 3);
  const r2 = await s.sync.sync(p);
  assert.match(r2.waiting.get('app')?.message ?? '', /^back-off 20s /);
  // Old attempts are pruned: the latest dead one of each container stays (for lastState), besides the running one.
  await s.clock.advance(20_000);
  await s.sync.sync(p);
  assert.deepEqual(s.cri.named('app').map((c) => c.metadata.attempt), [2, 3]);
});

test('restartPolicy Never and OnFailure: finished containers stay finished', async () => {
  for (const [policy, code, restarts] of [['Never', 1, false], ['OnFailure', 0, false], ['OnFailure', 1, true]] as const) {
    const s = setup();
    const p = pod({ restartPolicy: policy });
    await s.sync.sync(p);
    s.cri.exit(s.cri.named('app')[0].id, code);
    await s.sync.sync(p);
    assert.equal(s.cri.named('app').length, restarts ? 2 : 1, `${policy} exit ${code}`);
  }
});

test('init containers run one at a time, each to success, before app containers', async () => {
  const s = setup();
  const p = pod({ initContainers: [{ name: 'i1', image: IMAGE }, { name: 'i2', image: IMAGE }] });
  await s.sync.sync(p);
  assert.deepEqual(s.cri.calls.filter((c) => c.startsWith('Start')), ['StartContainer i1 0']);
  await s.sync.sync(p);
  assert.equal(s.cri.named('i2').length, 0, 'i2 waits while i1 runs');
  s.cri.exit(s.cri.named('i1')[0].id, 1);
  await s.sync.sync(p);
  assert.deepEqual(s.cri.named('i1').map((c) => c.metadata.attempt), [0, 1], 'a failed init container is retried (restartPolicy Always)');
  s.cri.exit(s.cri.named('i1')[1].id, 0);
  await s.sync.sync(p);
  assert.equal(s.cri.named('i2').length, 1);
  assert.equal(s.cri.named('app').length, 0);
  s.cri.exit(s.cri.named('i2')[0].id, 0);
  await s.sync.sync(p);
  assert.equal(s.cri.named('app')[0].state, 'CONTAINER_RUNNING');
  const st = await status(s, p);
  assert.equal(st.phase, 'Running');
  assert.equal(st.conditions?.find((c) => c.type === 'Initialized')?.status, 'True');
});

test('a sandbox that died is replaced, and its containers started again in the new one', async () => {
  const s = setup();
  const p = pod();
  await s.sync.sync(p);
  const [first] = [...s.cri.sandboxes.values()];
  first.state = 'SANDBOX_NOTREADY';
  await s.sync.sync(p);
  const sandboxes = [...s.cri.sandboxes.values()];
  assert.equal(sandboxes.length, 2);
  assert.equal(sandboxes[1].metadata.attempt, 1);
  const running = s.cri.named('app').filter((c) => c.state === 'CONTAINER_RUNNING');
  assert.equal(running.length, 1);
  assert.equal(running[0].podSandboxId, sandboxes[1].id);
  assert.ok(s.events.some((e) => e.includes('SandboxChanged')));
});

test('images: Never without the image waits with ErrImageNeverPull; failed pulls back off with ImagePullBackOff', async () => {
  const s = setup();
  const never = await s.sync.sync(pod({ containers: [{ name: 'app', image: 'missing:1', imagePullPolicy: 'Never' }] }));
  assert.equal(never.waiting.get('app')?.reason, 'ErrImageNeverPull');
  assert.equal(never.waiting.get('app')?.message, 'Container image "missing:1" is not present with pull policy of Never');

  const s2 = setup();
  const p = pod({ containers: [{ name: 'app', image: 'reg.local/app:2' }] });
  const r1 = await s2.sync.sync(p);
  assert.equal(r1.waiting.get('app')?.reason, 'ErrImagePull');
  assert.match(r1.waiting.get('app')?.message ?? '', /^Failed to pull image "reg.local\/app:2": /);
  const r2 = await s2.sync.sync(p);
  assert.equal(r2.waiting.get('app')?.reason, 'ImagePullBackOff');
  assert.equal(s2.cri.calls.filter((c) => c.startsWith('PullImage')).length, 1, 'no pull during the back-off');
  s2.cri.pullable.add('reg.local/app:2');
  await s2.clock.advance(10_000);
  const r3 = await s2.sync.sync(p);
  assert.equal(r3.waiting.size, 0);
  assert.equal(s2.cri.named('app')[0].state, 'CONTAINER_RUNNING');
});

test('a missing ConfigMap for env is CreateContainerConfigError, retried', async () => {
  const s = setup();
  const r = await s.sync.sync(pod({ containers: [{ name: 'app', image: IMAGE, env: [{ name: 'X', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }] }] }));
  assert.deepEqual(r.waiting.get('app'), { reason: 'CreateContainerConfigError', message: 'configmap "cfg" not found' });
  assert.ok(r.requeueAfterMs !== undefined);
  assert.equal(s.cri.named('app').length, 0);
});

test('killPod stops containers with the grace period, then the sandbox; removePod removes everything', async () => {
  const s = setup();
  const p = pod({ terminationGracePeriodSeconds: 7 });
  await s.sync.sync(p);
  s.cri.calls.length = 0;
  await s.sync.killPod('uid-1', killGraceSeconds(p), p);
  assert.deepEqual(s.cri.calls, ['StopContainer app 7', `StopPodSandbox ${[...s.cri.sandboxes.keys()][0]}`]);
  assert.ok(s.events.includes('Normal Killing Stopping container app'));
  await s.sync.removePod('uid-1');
  assert.equal(s.cri.containers.size, 0);
  assert.equal(s.cri.sandboxes.size, 0);
  // The grace period: deletionGracePeriodSeconds first, with a 2 s floor.
  assert.equal(killGraceSeconds({ ...p, metadata: { ...p.metadata, deletionGracePeriodSeconds: 1 } }), 2);
  assert.equal(killGraceSeconds({ ...p, metadata: { ...p.metadata, deletionGracePeriodSeconds: 20 } }), 20);
  assert.equal(killGraceSeconds(pod()), 30);
});

test('termination message: from the file mounted at terminationMessagePath, or the log tail with FallbackToLogsOnError', async () => {
  const s = setup();
  const p = pod({ restartPolicy: 'Never', containers: [{ name: 'app', image: IMAGE, terminationMessagePath: '/tmp/msg' }] });
  await s.sync.sync(p);
  const c = s.cri.named('app')[0];
  const mount = c.config.mounts?.[0];
  assert.equal(mount?.containerPath, '/tmp/msg');
  assert.ok(mount && fs.existsSync(mount.hostPath), 'the host file exists before the container starts');
  fs.writeFileSync(mount.hostPath, 'bad config');
  s.cri.exit(c.id, 2);
  const st = await status(s, p);
  assert.deepEqual(st.containerStatuses?.[0].state?.terminated && { m: st.containerStatuses[0].state.terminated.message, c: st.containerStatuses[0].state.terminated.exitCode }, { m: 'bad config', c: 2 });

  const log = path.join(logRoot, 'fallback.log');
  fs.writeFileSync(log, '2026-01-01T00:00:00Z stdout F line one\n2026-01-01T00:00:01Z stderr F panic: boom\n');
  const ann = { 'io.kubernetes.container.terminationMessagePolicy': 'FallbackToLogsOnError' };
  assert.equal(terminationMessage(ann, 1, log), 'line one\npanic: boom');
  assert.equal(terminationMessage(ann, 0, log), '', 'only on failure');
  assert.equal(terminationMessage({}, 1, log), '', 'only with FallbackToLogsOnError');
});

test('lifecycle hooks: postStart runs after start (a failure kills the container); preStop runs before the stop', async () => {
  const s = setup();
  const p = pod({
    terminationGracePeriodSeconds: 9,
    containers: [{ name: 'app', image: IMAGE, lifecycle: { postStart: { exec: { command: ['warm', 'up'] } }, preStop: { exec: { command: ['drain'] } } } }],
  });
  await s.sync.sync(p);
  assert.deepEqual(s.cri.calls.slice(-2), ['StartContainer app 0', 'ExecSync app warm up']);
  s.cri.calls.length = 0;
  await s.sync.killPod('uid-1', 9, p);
  assert.deepEqual(s.cri.calls.slice(0, 2), ['ExecSync app drain', 'StopContainer app 9']);

  const s2 = setup();
  s2.cri.execResults.set('warm up', 1);
  const r = await s2.sync.sync(pod({ containers: [{ name: 'app', image: IMAGE, lifecycle: { postStart: { exec: { command: ['warm', 'up'] } } } }] }));
  assert.equal(r.waiting.get('app')?.reason, 'PostStartHookError');
  assert.equal(s2.cri.named('app')[0].state, 'CONTAINER_EXITED', 'killed after the failed hook');
  assert.ok(s2.events.some((e) => e.startsWith('Warning FailedPostStartHook PostStartHook failed')));
});
